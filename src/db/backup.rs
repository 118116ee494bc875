//! `tickbox backup PATH`: a consistent copy of a live SQLite database.
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the copy is a
//! snapshot of every transaction committed before it began, while the server goes on
//! writing (WAL lets readers and the writer run side by side). Chosen over the online
//! backup API because it needs no `unsafe` and writes a compact file.

use std::path::Path;

use anyhow::{bail, Context};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{DbConnection, Manager};
use crate::config::DatabaseUrl;

/// What the backup produced.
pub struct Copied {
    pub bytes: u64,
}

/// Writes the database at `source` to `target`, which must not exist. The copy is
/// readable by its owner only (it holds password hashes and sessions) and is on disk
/// (fsync'd) when this returns; on failure nothing is left at `target`.
pub fn sqlite(source: &Path, target: &Path) -> anyhow::Result<Copied> {
    if !source.is_file() {
        bail!("there is no SQLite database at {}", source.display());
    }
    // Created empty here, atomically refusing an existing file; VACUUM INTO accepts an
    // empty file and keeps its permissions.
    let file = create_private(target)?;
    let copied = copy_into(source, target).and_then(|()| {
        file.sync_all()
            .with_context(|| format!("cannot sync {}", target.display()))?;
        Ok(Copied {
            bytes: file.metadata()?.len(),
        })
    });
    if copied.is_err() {
        let _ = std::fs::remove_file(target);
    }
    copied
}

fn create_private(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!("{} already exists; nothing was written", path.display())
        }
        _ => anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
    })
}

fn copy_into(source: &Path, target: &Path) -> anyhow::Result<()> {
    let target = target
        .to_str()
        .context("the backup path is not UTF-8")?
        .to_owned();
    let mut conn = Manager::new(DatabaseUrl::Sqlite(source.to_owned()))
        .connect()
        .context("cannot open the database")?;
    let DbConnection::Sqlite(conn) = &mut conn else {
        bail!("not an SQLite connection");
    };
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(conn)
        .context("VACUUM INTO failed")?;
    Ok(())
}
