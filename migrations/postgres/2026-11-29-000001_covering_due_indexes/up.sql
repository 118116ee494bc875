-- A page sorted by due date takes its 50 rows from anywhere in the table: carrying
-- the listed columns in the index lets it be an index-only scan instead of one heap
-- page per row.
DROP INDEX todos_user_due;
CREATE INDEX todos_user_due ON todos (user_id, due, id) INCLUDE (title, done);
DROP INDEX todos_user_done_due;
CREATE INDEX todos_user_done_due ON todos (user_id, done, due, id) INCLUDE (title);
