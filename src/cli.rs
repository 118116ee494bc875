//! The command line: `serve` (default), `migrate`, `create-user`, `set-password`,
//! `backup`, `disable-2fa`.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use diesel::Connection;

use crate::auth::{two_factor, validation};
use crate::config::{Config, DatabaseUrl};
use crate::db::models::{session, user::NewUser, user::User};
use crate::db::{self, DbConnection};
use crate::mail::{notices, ChangedBy};
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "tickbox",
    version,
    about = "A to-do list web application with user accounts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default); applies pending migrations first.
    Serve {
        /// Listen address, overriding BIND.
        #[arg(long, value_name = "ADDR:PORT")]
        bind: Option<SocketAddr>,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an account; the password is read from standard input (one line).
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Replace a password (read from standard input) and end that user's sessions.
    SetPassword {
        #[arg(long)]
        username: String,
    },
    /// Write a consistent copy of the SQLite database to PATH (which must not exist),
    /// also while the server runs. For PostgreSQL use pg_dump.
    Backup {
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
    /// Turn two-factor authentication off for an account (a lost phone); its sessions stay.
    #[command(name = "disable-2fa")]
    Disable2fa {
        #[arg(long)]
        username: String,
    },
}

/// A command that cannot work with this configuration (`main` exits with status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

pub fn run(command: Command, mut config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                config.bind = bind;
                if let Some(mail) = &mut config.mail {
                    mail.rebind(bind);
                }
            }
            let bind = config.bind;
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(config)?;
                tracing::info!(%bind, port = app.port(), "tickbox listening");
                app.run_until_stopped().await?;
                tracing::info!("tickbox stopped");
                Ok(())
            })
        }
        Command::Migrate => {
            let applied = db::migrations::apply(&config.database_url)?;
            println!("applied {} migration(s)", applied.len());
            Ok(())
        }
        Command::CreateUser { username, email } => {
            let password = read_password()?;
            let errors = validation::registration(&username, &email, &password, &password);
            if let Some((field, message)) = errors.iter().next() {
                bail!("{field}: {message}");
            }
            let hash = bcrypt::hash(&password, config.bcrypt_cost)?;
            let mut conn = connect(&config)?;
            let id = NewUser::new(&username, &email, &hash, "light")
                .insert(&mut conn)?
                .map_err(|taken| anyhow::anyhow!("{}: already taken", taken.field()))?;
            println!("created user {username} (id {id})");
            Ok(())
        }
        Command::SetPassword { username } => {
            let password = read_password()?;
            let mut conn = connect(&config)?;
            let Some(user) = User::find_by_username(&mut conn, &username)? else {
                bail!("no user named {username}");
            };
            if let Err(message) = validation::new_password(&password, &user.username, &user.email) {
                bail!("password: {message}");
            }
            let hash = bcrypt::hash(&password, config.bcrypt_cost)?;
            // The new password, the end of the sessions and the notice (when mail is
            // on; a running server sends it) are one change.
            let ended = conn.transaction(|conn| {
                User::set_password_hash(conn, user.id, &hash)?;
                let ended = session::delete_for_user(conn, user.id, None)?;
                let mail = config.mail.as_ref();
                notices::password_changed(conn, mail, &user, &ChangedBy::Operator)?;
                Ok::<_, diesel::result::Error>(ended)
            })?;
            println!(
                "password changed for {}; {ended} session(s) ended",
                user.username
            );
            Ok(())
        }
        Command::Backup { path } => {
            let DatabaseUrl::Sqlite(source) = &config.database_url else {
                return Err(Unsupported(
                    "backup copies SQLite databases only; for PostgreSQL use pg_dump \
                     (e.g. pg_dump --format=custom --file=tickbox.dump \"$DATABASE_URL\")"
                        .into(),
                )
                .into());
            };
            let copied = db::backup::sqlite(source, &path)?;
            println!(
                "backup written to {} ({} bytes)",
                path.display(),
                copied.bytes
            );
            Ok(())
        }
        Command::Disable2fa { username } => disable_two_factor(&config, &username),
    }
}

fn disable_two_factor(config: &Config, username: &str) -> anyhow::Result<()> {
    let mut conn = connect(config)?;
    let Some(user) = User::find_by_username(&mut conn, username)? else {
        bail!("no user named {username}");
    };
    if two_factor::turn_off(&mut conn, user.id)? {
        println!("two-factor authentication turned off for {}", user.username);
    } else {
        println!(
            "two-factor authentication was already off for {}",
            user.username
        );
    }
    Ok(())
}

fn connect(config: &Config) -> anyhow::Result<DbConnection> {
    db::migrations::apply(&config.database_url)?;
    db::Manager::new(config.database_url.clone())
        .connect()
        .context("cannot connect to the database")
}

/// One line from standard input, without its line ending; never from argv.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password.to_owned())
}
