//! Mail (SPEC §9): the settings, the outbox every mail goes through, and the
//! background sender that delivers it over SMTP.

pub mod settings;
