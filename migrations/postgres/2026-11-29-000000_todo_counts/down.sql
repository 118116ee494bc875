DROP TRIGGER todos_count ON todos;
DROP FUNCTION todos_count();
ALTER TABLE users DROP COLUMN todos_active, DROP COLUMN todos_completed;
