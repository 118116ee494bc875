-- Two-factor authentication (SPEC §10). The TOTP secret is stored encrypted (see
-- auth::two_factor::cipher); NULL means two-factor authentication is off.
ALTER TABLE users ADD COLUMN totp_secret_enc TEXT;
-- The last TOTP step accepted for the account: codes of that step and earlier are
-- refused, by one conditional UPDATE (so one code cannot log in twice).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- Bumped whenever two-factor authentication is turned on or off or its codes are
-- renewed: a pending second log-in step of an older version fails.
ALTER TABLE users ADD COLUMN two_factor_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the normalised code, hex: the codes themselves are never stored.
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user_hash ON recovery_codes (user_id, code_hash);
