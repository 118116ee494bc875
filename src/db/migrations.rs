//! The schema: embedded migrations for each backend, applied under a lock so that
//! several instances may start at once on one new database. `tickbox migrate`,
//! `serve` and the CLI's other commands all go through [`apply`].

use anyhow::Context;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{DbConnection, Manager};
use crate::config::DatabaseUrl;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary, fixed: the PostgreSQL advisory lock that serialises migrations.
const MIGRATION_LOCK: i64 = 0x0074_6963_6b62_6f78; // "tickbox" in ASCII

type MigrationResult = Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>>;

/// Applies pending migrations with a dedicated connection (so a failure is reported
/// with the database's own words); returns their names.
pub fn apply(url: &DatabaseUrl) -> anyhow::Result<Vec<String>> {
    let mut conn = Manager::new(url.clone())
        .connect()
        .context("cannot connect to the database")?;
    apply_locked(&mut conn)
}

/// Applies pending migrations for the connection's backend; returns their names.
///
/// The whole run is one transaction that first takes a lock, so instances starting
/// together wait for the first, then find nothing pending. (Each migration becomes a
/// savepoint inside it; both backends have transactional DDL, and no migration here
/// needs to run outside a transaction.)
fn apply_locked(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    fn names(applied: Vec<diesel::migration::MigrationVersion>) -> Vec<String> {
        applied.iter().map(ToString::to_string).collect()
    }
    let applied: MigrationResult = match conn {
        DbConnection::Pg(c) => c.transaction(|c| {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .execute(c)?;
            c.run_pending_migrations(PG_MIGRATIONS).map(names)
        }),
        // BEGIN EXCLUSIVE: other processes wait (busy_timeout) until this commits.
        DbConnection::Sqlite(c) => {
            c.exclusive_transaction(|c| c.run_pending_migrations(SQLITE_MIGRATIONS).map(names))
        }
    };
    applied.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
}
