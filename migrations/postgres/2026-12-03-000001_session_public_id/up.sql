-- An opaque handle for a session, shown on the account page (`data-id`) and used to
-- end one session: never the session key or its hash (the row id). Rows written
-- before this migration get a random one here; new rows get one from the application.
ALTER TABLE sessions ADD COLUMN public_id TEXT;
UPDATE sessions SET public_id = replace(gen_random_uuid()::text, '-', '');
ALTER TABLE sessions ALTER COLUMN public_id SET NOT NULL;
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
