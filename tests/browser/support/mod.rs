//! What the browser, proxy and deployment tests run against: real processes
//! (tickbox, chromedriver + Chromium, nginx) started per test and stopped on drop.

pub mod browser;
pub mod http;
pub mod keys;
pub mod nginx;
pub mod process;
pub mod tickbox;
pub mod tools;

use std::path::{Path, PathBuf};

pub use crate::common::{unique, TempDir, PASSWORD};

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
