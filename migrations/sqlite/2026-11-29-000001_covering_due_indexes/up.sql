-- A page sorted by due date takes its 50 rows from anywhere in the table: with the
-- listed columns in the index (SQLite has no INCLUDE) it reads only the index.
DROP INDEX todos_user_due;
CREATE INDEX todos_user_due ON todos (user_id, due, id, title, done);
DROP INDEX todos_user_done_due;
CREATE INDEX todos_user_done_due ON todos (user_id, done, due, id, title);
