//! What both test targets (`tests/api`, `tests/browser`) need: unique names, temporary
//! directories, and a fresh database per test.
//!
//! Included by each target with `#[path]`; each uses part of it.
#![allow(dead_code, reason = "shared by two test targets, each using a part")]

use std::path::{Path, PathBuf};

pub mod smtp;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// The one password the tests sign up with: it passes every sign-up rule.
pub const PASSWORD: &str = "vX9#qL2!mTq7";

/// Where PostgreSQL is looked for when `TEST_DATABASE_URL` is unset and a test needs it.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A name no other test (or earlier run) uses.
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A directory that lives as long as the value.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tickbox-{label}-{}", unique()));
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database that exists for one test and is removed afterwards: an SQLite file,
/// or a PostgreSQL database created on the server named by `TEST_DATABASE_URL`.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code, reason = "held so the file lives as long as the value")] TempDir),
    Postgres { admin_url: String, name: String },
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
        let name = format!("tickbox_test_{}", unique());
        let mut admin = PgConnection::establish(admin_url).unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin_url} does not answer ({e}); start it or set TEST_DATABASE_URL")
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

    /// The URL, through a relay's port and with extra connection parameters when given.
    pub fn url_with(&self, port: Option<u16>, params: Option<&str>) -> String {
        let mut url: url::Url = self.url.parse().expect("a database URL");
        if let Some(port) = port {
            url.set_port(Some(port)).expect("a URL with a port");
        }
        if params.is_some() {
            url.set_query(params);
        }
        url.to_string()
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
