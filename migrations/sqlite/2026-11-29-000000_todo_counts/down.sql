DROP TRIGGER todos_count_insert;
DROP TRIGGER todos_count_delete;
DROP TRIGGER todos_count_update;
ALTER TABLE users DROP COLUMN todos_active;
ALTER TABLE users DROP COLUMN todos_completed;
