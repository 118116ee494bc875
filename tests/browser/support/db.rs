//! A fresh database per test: an SQLite file, or a PostgreSQL database created on
//! the server named by `TEST_DATABASE_URL` and dropped afterwards.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::{unique, TempDir};

/// Where the two-instance test finds PostgreSQL when `TEST_DATABASE_URL` is unset.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(
        #[expect(
            dead_code,
            reason = "held so the directory lives as long as the database"
        )]
        TempDir,
    ),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// PostgreSQL when `TEST_DATABASE_URL` is set, else a new SQLite file.
    pub fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(&admin_url),
            _ => {
                let dir = TempDir::new("db");
                let url = format!("sqlite://{}", dir.path().join("tickbox.db").display());
                Self {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
        }
    }

    /// Always PostgreSQL: `TEST_DATABASE_URL`, else the local server; fails if neither answers.
    pub fn postgres_required() -> Self {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_POSTGRES.to_owned());
        Self::postgres(&admin_url)
    }

    fn postgres(admin_url: &str) -> Self {
        let name = format!("tickbox_browser_{}", unique());
        let mut admin = PgConnection::establish(admin_url).unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin_url} does not answer ({e}); this test needs it: start PostgreSQL or set TEST_DATABASE_URL")
        });
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}
