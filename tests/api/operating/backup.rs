//! `tickbox backup PATH`: a consistent copy of a live SQLite database, refusing to
//! overwrite, and pointing PostgreSQL users to pg_dump.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;

use crate::cli::{start_server_with, tickbox};
use crate::common::TempDir;
use crate::helpers::*;

/// Every to-do title on the list, page after page.
async fn all_titles(browser: &Browser) -> Vec<String> {
    let mut titles = Vec::new();
    for page in 1.. {
        let html = browser
            .get(&format!("/todos?sort=created&order=asc&page={page}"))
            .await
            .text()
            .await
            .unwrap();
        let items = todo_items(&html);
        if items.is_empty() {
            break;
        }
        titles.extend(items.into_iter().map(|(_, title, _)| title));
    }
    titles
}

#[tokio::test]
async fn a_backup_taken_under_write_load_serves_every_to_do_acknowledged_before_it() {
    let dir = TempDir::new("backup");
    let url = format!("sqlite://{}", dir.join("live.db").display());
    let live = start_server_with(&dir, &url, Stdio::null(), &[("BCRYPT_COST", "4")]);
    let writer = Browser::new(&format!("http://127.0.0.1:{}", live.port));
    let user = writer.register("bea").await;
    let token = writer.csrf_token().await;

    // A client adds to-dos without pause; `acked` holds those answered 303.
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (progress, mut watched) = tokio::sync::watch::channel(0usize);
    let load = tokio::spawn({
        let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
        async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let title = format!("load {n}");
                let fields = [
                    ("title", title.as_str()),
                    ("due", ""),
                    ("csrf_token", &token),
                ];
                let res = writer.post_raw("/todos", &fields).await;
                assert_eq!(res.status(), StatusCode::SEE_OTHER, "adding {title}");
                acked.lock().unwrap().push(title);
                progress.send_replace(n);
            }
            n
        }
    });
    watched.wait_for(|n| *n >= 20).await.unwrap();
    let before: Vec<String> = acked.lock().unwrap().clone();
    let copy = dir.join("copy.db");
    let mut cmd = tickbox(&dir, &[("DATABASE_URL", url.as_str())]);
    cmd.arg("backup").arg(&copy);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    let written = load.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written"));
    assert!(written > before.len(), "the load went on during the backup");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the copy holds password hashes");
    }

    // The restore: serve the copy on a new port, log in, read the list.
    let copy_url = format!("sqlite://{}", copy.display());
    let restored = start_server_with(&dir, &copy_url, Stdio::null(), &[("BCRYPT_COST", "4")]);
    let reader = Browser::new(&format!("http://127.0.0.1:{}", restored.port));
    assert_redirect_to(&reader.login("bea", &user.password).await, "/todos");
    let titles = all_titles(&reader).await;
    let missing: Vec<&String> = before.iter().filter(|t| !titles.contains(t)).collect();
    assert!(missing.is_empty(), "lost in the backup: {missing:?}");
    drop(live);
}

#[test]
fn a_backup_never_overwrites_and_a_missing_database_is_an_error() {
    let dir = TempDir::new("backup");
    let url = format!("sqlite://{}", dir.join("live.db").display());
    let out = tickbox(&dir, &[("DATABASE_URL", url.as_str())])
        .arg("migrate")
        .output()
        .unwrap();
    assert!(out.status.success());
    let existing = dir.join("existing.db");
    std::fs::write(&existing, "keep me").unwrap();
    let out = tickbox(&dir, &[("DATABASE_URL", url.as_str())])
        .arg("backup")
        .arg(&existing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");

    let nowhere = format!("sqlite://{}", dir.join("absent.db").display());
    let target = dir.join("from-absent.db");
    let out = tickbox(&dir, &[("DATABASE_URL", nowhere.as_str())])
        .arg("backup")
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!target.exists() && !dir.join("absent.db").exists());
}

#[test]
fn a_backup_with_postgresql_exits_2_pointing_to_pg_dump() {
    let dir = TempDir::new("backup");
    let target = dir.join("copy.db");
    let out = tickbox(
        &dir,
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tickbox")],
    )
    .arg("backup")
    .arg(&target)
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("pg_dump"), "{stderr}");
    assert!(!target.exists());
}
