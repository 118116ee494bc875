-- Bumped by every password change: a log-in whose check began before the change
-- cannot create its session after it (see auth::session_store).
ALTER TABLE users ADD COLUMN password_version BIGINT NOT NULL DEFAULT 0;
