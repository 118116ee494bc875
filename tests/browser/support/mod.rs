//! What the browser, proxy and deployment tests run against: real processes
//! (tickbox, chromedriver + Chromium, nginx) started per test and stopped on drop.

pub mod browser;
pub mod db;
pub mod http;
pub mod keys;
pub mod nginx;
pub mod process;
pub mod tickbox;
pub mod tools;

use std::path::{Path, PathBuf};

/// A password that passes the sign-up rules.
pub const PASSWORD: &str = "vX9#qL2!mTq7";

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

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where screenshots go: `TICKBOX_ARTIFACTS`, else `artifacts/browser` in the repository.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("TICKBOX_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/browser"));
    std::fs::create_dir_all(&dir).expect("create the artifacts directory");
    dir
}

/// The repository's `deploy/` directory.
pub fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}
