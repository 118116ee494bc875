-- Every mail goes first into the outbox, in the transaction of the change that causes
-- it; a background sender delivers it (SPEC §9). A password-reset request is a row of
-- kind 'password_reset' whatever the email named (user_id is NULL when it named no
-- account, or when the account already had its three mails this hour): the request
-- does the same work either way, and its link is made only when the mail is sent, so
-- no token is ever stored in clear.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    -- Empty for a reset: it goes to the account's address as stored when it is sent.
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- Who asked: reset requests are limited per client address.
    client_ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- When the sender may (next) try; NULL: nothing (more) to send.
    next_attempt_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
CREATE INDEX mail_outbox_ip ON mail_outbox (client_ip, kind, created_at);
CREATE INDEX mail_outbox_user ON mail_outbox (user_id, kind, created_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

-- Reset links: only a SHA-256 of the token is kept. A link works once, within its
-- hour, while it is the account's newest and the password is still at the version
-- it was made for.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL CONSTRAINT password_resets_token_hash_unique UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_user ON password_resets (user_id, id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
