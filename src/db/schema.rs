//! Diesel table definitions, kept portable across PostgreSQL and SQLite:
//! integer ids, `Text`, `Bool`, `Date` and `Timestamp` (always UTC) only.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        /// `username` lower-cased in Rust; UNIQUE, so "Alice" and "alice" are one account.
        username_key -> Text,
        email -> Text,
        /// `email` lower-cased in Rust (SQLite's `lower()` is ASCII-only).
        email_key -> Text,
        password_hash -> Text,
        /// Bumped by every password change (a log-in checks it when its session is saved).
        password_version -> BigInt,
        theme -> Text,
        created_at -> Timestamp,
        /// Kept by triggers on `todos` (migration todo_counts): not-done to-dos.
        todos_active -> BigInt,
        /// Kept by triggers on `todos`: done to-dos.
        todos_completed -> BigInt,
        /// The TOTP secret, encrypted (`auth::two_factor::cipher`); NULL: 2FA is off.
        totp_secret_enc -> Nullable<Text>,
        /// The last TOTP step accepted: codes of it and earlier are refused.
        totp_last_step -> BigInt,
        /// Bumped when 2FA is turned on or off or its codes are renewed.
        two_factor_version -> BigInt,
    }
}

diesel::table! {
    todos (id) {
        id -> BigInt,
        user_id -> BigInt,
        title -> Text,
        due -> Nullable<Date>,
        done -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        /// SHA-256 of the session key: the cookie value never reaches the database.
        id -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        remember -> Bool,
        ip -> Text,
        user_agent -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        /// A random handle for the account page (`data-id`, revoking): never the key
        /// or `id`. Kept when the session gets a new id.
        public_id -> Text,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        /// `user:<account id>`, `login:<lower-cased unknown login>` or `ip:<client address>`.
        key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        /// SHA-256 (hex) of the normalised code.
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Mails waiting to be sent, sent, or given up (db::models::outbox).
    mail_outbox (id) {
        id -> BigInt,
        /// `message` (ready to send) or `password_reset` (its link is made when sent).
        kind -> Text,
        user_id -> Nullable<BigInt>,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        client_ip -> Text,
        created_at -> Timestamp,
        /// NULL: nothing (more) to send.
        next_attempt_at -> Nullable<Timestamp>,
        attempts -> Integer,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        /// SHA-256 (hex) of the token in the link; the token itself is never stored.
        token_hash -> Text,
        user_id -> BigInt,
        /// The account's `password_version` when the link was made.
        password_version -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(todos -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(mail_outbox -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    todos,
    sessions,
    login_failures,
    recovery_codes,
    mail_outbox,
    password_resets
);
