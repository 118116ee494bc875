//! Sign-up, log-in, sessions, log-out, CSRF and throttling.
