//! The real `tickbox` binary as a child process on a random loopback port.

use std::process::Command;
use std::time::Duration;

use super::process::Process;
use super::TempDir;

pub const SECRET_KEY: &str =
    "browser-test-secret-key-browser-test-secret-key-browser-test-secret-key";

/// Configuration variables a test may set; everything else is cleared so the
/// developer's environment cannot leak in.
const CONFIG_VARS: &[&str] = &[
    "DATABASE_URL",
    "BIND",
    "SECRET_KEY",
    "BCRYPT_COST",
    "TRUSTED_PROXIES",
    "COOKIE_SECURE",
    "DATABASE_POOL_SIZE",
    "RUST_LOG",
    "SMTP_URL",
    "MAIL_FROM",
    "PUBLIC_URL",
];

pub struct Tickbox {
    pub port: u16,
    process: Process,
    _workdir: TempDir,
}

impl Tickbox {
    /// `tickbox serve` on `database_url` with `vars` on top of the test defaults.
    pub fn start(database_url: &str, vars: &[(&str, &str)]) -> Self {
        let workdir = TempDir::new("workdir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_tickbox"));
        command.args(["serve", "--bind", "127.0.0.1:0"]);
        // An empty working directory: no `.env` is picked up.
        command.current_dir(workdir.path());
        for var in CONFIG_VARS {
            command.env_remove(var);
        }
        command
            .env("DATABASE_URL", database_url)
            .env("SECRET_KEY", SECRET_KEY)
            .env("BCRYPT_COST", "4")
            .env("DATABASE_POOL_SIZE", "4")
            .env("RUST_LOG", "info");
        for (k, v) in vars {
            command.env(k, v);
        }
        let mut process = Process::spawn("tickbox", command);
        // The server logs its bound port once it listens ("tickbox listening … port=N").
        let port = process.wait_for_line(Duration::from_secs(60), |line| {
            let rest = line.split("tickbox listening").nth(1)?;
            rest.split("port=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        });
        Self {
            port,
            process,
            _workdir: workdir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's log so far (one line per request).
    pub fn log(&self) -> String {
        self.process.output()
    }

    /// Waits (at most 30 s) for a log line holding `text`: a request's line is written
    /// as its answer leaves, so it may reach the test's reader after the answer.
    pub fn wait_for_log(&mut self, text: &str) {
        self.process.wait_for_line(Duration::from_secs(30), |line| {
            line.contains(text).then_some(())
        });
    }
}
