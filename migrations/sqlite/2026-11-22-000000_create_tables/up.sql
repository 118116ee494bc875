-- Same schema as migrations/postgres; `INTEGER PRIMARY KEY` is SQLite's rowid alias (64-bit),
-- AUTOINCREMENT so a deleted id is never handed out again.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL CONSTRAINT users_username_key_unique UNIQUE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL CONSTRAINT users_email_key_unique UNIQUE,
    password_hash TEXT NOT NULL,
    theme TEXT NOT NULL DEFAULT 'light',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE todos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    due DATE,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- The list page: newest first, by state, by due date, by title; counts by state.
CREATE INDEX todos_user_created ON todos (user_id, created_at, id);
CREATE INDEX todos_user_done_created ON todos (user_id, done, created_at, id);
CREATE INDEX todos_user_due ON todos (user_id, due, id);
CREATE INDEX todos_user_done_due ON todos (user_id, done, due, id);
CREATE INDEX todos_user_title ON todos (user_id, title, id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    remember BOOLEAN NOT NULL DEFAULT FALSE,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_time ON login_failures (key, created_at);
CREATE INDEX login_failures_time ON login_failures (created_at);
