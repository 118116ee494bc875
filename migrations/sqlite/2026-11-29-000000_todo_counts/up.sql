-- Every list page shows the user's active and completed counts. Counting them is
-- O(to-dos); kept on the users row by triggers, reading them is O(1).
-- Booleans are 0/1 integers in SQLite, so they add up directly.
ALTER TABLE users ADD COLUMN todos_active BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN todos_completed BIGINT NOT NULL DEFAULT 0;

UPDATE users SET
    todos_active = (SELECT count(*) FROM todos WHERE todos.user_id = users.id AND NOT todos.done),
    todos_completed = (SELECT count(*) FROM todos WHERE todos.user_id = users.id AND todos.done);

CREATE TRIGGER todos_count_insert AFTER INSERT ON todos BEGIN
    UPDATE users
    SET todos_active = todos_active + (NOT NEW.done), todos_completed = todos_completed + (NEW.done <> 0)
    WHERE id = NEW.user_id;
END;

-- On a cascade from a deleted account the users row is already gone: no-op.
CREATE TRIGGER todos_count_delete AFTER DELETE ON todos BEGIN
    UPDATE users
    SET todos_active = todos_active - (NOT OLD.done), todos_completed = todos_completed - (OLD.done <> 0)
    WHERE id = OLD.user_id;
END;

CREATE TRIGGER todos_count_update AFTER UPDATE OF done, user_id ON todos
WHEN OLD.done IS NOT NEW.done OR OLD.user_id IS NOT NEW.user_id
BEGIN
    UPDATE users
    SET todos_active = todos_active - (NOT OLD.done), todos_completed = todos_completed - (OLD.done <> 0)
    WHERE id = OLD.user_id;
    UPDATE users
    SET todos_active = todos_active + (NOT NEW.done), todos_completed = todos_completed + (NEW.done <> 0)
    WHERE id = NEW.user_id;
END;
