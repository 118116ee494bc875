-- Every list page shows the user's active and completed counts. Counting them is
-- O(to-dos); kept on the users row by a trigger, reading them is O(1).
ALTER TABLE users
    ADD COLUMN todos_active BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN todos_completed BIGINT NOT NULL DEFAULT 0;

UPDATE users SET todos_active = c.active, todos_completed = c.completed
FROM (
    SELECT user_id,
           count(*) FILTER (WHERE NOT done) AS active,
           count(*) FILTER (WHERE done) AS completed
    FROM todos GROUP BY user_id
) c
WHERE c.user_id = users.id;

CREATE FUNCTION todos_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.user_id = NEW.user_id THEN
        IF OLD.done IS DISTINCT FROM NEW.done THEN
            UPDATE users
            SET todos_active = todos_active + (NOT NEW.done)::int - (NOT OLD.done)::int,
                todos_completed = todos_completed + NEW.done::int - OLD.done::int
            WHERE id = NEW.user_id;
        END IF;
        RETURN NULL;
    END IF;
    -- On a cascade from a deleted account the users row is already gone: no-op.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE users
        SET todos_active = todos_active - (NOT OLD.done)::int,
            todos_completed = todos_completed - OLD.done::int
        WHERE id = OLD.user_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE users
        SET todos_active = todos_active + (NOT NEW.done)::int,
            todos_completed = todos_completed + NEW.done::int
        WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER todos_count
AFTER INSERT OR DELETE OR UPDATE OF done, user_id ON todos
FOR EACH ROW EXECUTE FUNCTION todos_count();
