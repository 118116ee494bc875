//! The outside programs these tests need. A missing one fails the test with what
//! to install — these tests are never skipped.

use std::path::{Path, PathBuf};

/// Finds `name` on `PATH` or in the usual system directories.
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn require(name: &str, install: &str) -> PathBuf {
    find(name).unwrap_or_else(|| {
        panic!("`{name}` is missing: these tests need it and are not skipped. Install it with `{install}` (or run `bash .ci/run`, which does)")
    })
}

pub fn chromium() -> PathBuf {
    require("chromium", "apt-get install chromium")
}

pub fn chromedriver() -> PathBuf {
    require("chromedriver", "apt-get install chromium-driver")
}

pub fn nginx() -> PathBuf {
    require("nginx", "apt-get install nginx")
}

pub fn openssl() -> PathBuf {
    require("openssl", "apt-get install openssl")
}

pub fn systemd_analyze() -> PathBuf {
    require("systemd-analyze", "apt-get install systemd")
}

/// The axe-core script, from `tests/browser/node_modules` (pinned by package-lock.json).
pub fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core is missing ({}: {e}). Install it with `cd tests/browser && npm ci` (needs nodejs and npm; `bash .ci/run` does it)", path.display())
    })
}
