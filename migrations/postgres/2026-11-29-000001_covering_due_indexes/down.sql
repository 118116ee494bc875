DROP INDEX todos_user_due;
CREATE INDEX todos_user_due ON todos (user_id, due, id);
DROP INDEX todos_user_done_due;
CREATE INDEX todos_user_done_due ON todos (user_id, done, due, id);
