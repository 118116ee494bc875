-- An opaque handle for a session, shown on the account page (`data-id`) and used to
-- end one session: never the session key or its hash (the row id). Rows written
-- before this migration get a random one here; new rows get one from the application.
ALTER TABLE sessions ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
UPDATE sessions SET public_id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
