//! Operating it (SPEC §11): metrics on their own port, request ids and JSON logs,
//! backups of the embedded database.

mod backup;
mod logs;
pub(crate) mod metrics;
