//! Configuration: read once from the environment (after `.env`), validated, passed by value.
//!
//! Every invalid value is a [`ConfigError`] naming its variable, so `main` can print one
//! line and exit with status 2 instead of panicking somewhere later.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use ipnet::IpNet;

use crate::mail::settings::MailSettings;

/// Bytes a `SECRET_KEY` must have at least (SPEC §1).
pub const MIN_SECRET_KEY_BYTES: usize = 64;

/// Where the data lives, chosen by the scheme of `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, passed to libpq as it is.
    Postgres(String),
    /// `sqlite://PATH`: a file, created on first use.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            // libpq accepts almost anything after the scheme; catch the obvious slip early.
            if raw.contains(char::is_whitespace) {
                return Err("a PostgreSQL URL may not contain spaces".into());
            }
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://tickbox.db".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        Err("expected postgres://… or sqlite://PATH".into())
    }

    fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

/// Whether the session cookie carries the `Secure` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieSecure {
    /// Secure when the request came over https (directly or per a trusted proxy).
    Auto,
    Always,
    Never,
}

/// The proxies whose `X-Forwarded-*` headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("{item:?} is not an IP address or CIDR range"))?,
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// How log lines are written to stderr (`LOG_FORMAT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    fn parse(raw: Option<&str>) -> Result<Self, ConfigError> {
        match raw.map(str::trim) {
            None | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(ConfigError {
                var: "LOG_FORMAT",
                reason: format!("{other:?} is not one of text, json"),
            }),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    /// `None` only for SQLite: startup then generates one and keeps it beside the database.
    pub secret_key: Option<Vec<u8>>,
    pub bcrypt_cost: u32,
    pub trusted_proxies: TrustedProxies,
    pub cookie_secure: CookieSecure,
    pub pool_size: u32,
    /// Where Prometheus metrics are served (`METRICS_BIND`); never on `bind`.
    pub metrics_bind: Option<SocketAddr>,
    pub log_format: LogFormat,
    /// `SMTP_URL`, `MAIL_FROM`, `PUBLIC_URL`; `None` when mail is off (SPEC §9).
    pub mail: Option<MailSettings>,
}

/// A configuration value that cannot be used; `Display` is the one line printed at start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid {var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the process environment; `.env` must already have been loaded by the caller.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
        let err = |var: &'static str| move |reason: String| ConfigError { var, reason };

        let database_url = get("DATABASE_URL")
            .map(|raw| DatabaseUrl::parse(&raw))
            .unwrap_or_else(|| DatabaseUrl::parse("sqlite://tickbox.db"))
            .map_err(err("DATABASE_URL"))?;

        let bind = match get("BIND") {
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError {
                var: "BIND",
                reason: format!("{raw:?} is not an ADDRESS:PORT"),
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };

        let secret_key = secret_key(get("SECRET_KEY"))?;

        let bcrypt_cost =
            parse_number(get("BCRYPT_COST"), 12, 4..=31).map_err(err("BCRYPT_COST"))?;
        let pool_size = parse_number(get("DATABASE_POOL_SIZE"), 8, 1..=1000)
            .map_err(err("DATABASE_POOL_SIZE"))?;

        let trusted_proxies = TrustedProxies::parse(&get("TRUSTED_PROXIES").unwrap_or_default())
            .map_err(err("TRUSTED_PROXIES"))?;

        let cookie_secure = CookieSecure::parse(get("COOKIE_SECURE").as_deref())?;
        let mail = crate::mail::settings::from_lookup(get, bind)?;

        let metrics_bind = metrics_bind(get("METRICS_BIND"), bind)?;
        let log_format = LogFormat::parse(get("LOG_FORMAT").as_deref())?;

        Ok(Self {
            database_url,
            bind,
            secret_key,
            bcrypt_cost,
            trusted_proxies,
            cookie_secure,
            pool_size,
            metrics_bind,
            log_format,
            mail,
        })
    }

    /// What only the server needs: a `SECRET_KEY` with PostgreSQL (with SQLite one is
    /// generated beside the database). The other commands do not use the key.
    pub fn check_for_serving(&self) -> Result<(), ConfigError> {
        if self.secret_key.is_none() && self.database_url.is_postgres() {
            return Err(ConfigError {
                var: "SECRET_KEY",
                reason: "it must be set when DATABASE_URL is a PostgreSQL URL".into(),
            });
        }
        Ok(())
    }

    /// Where a generated secret key is kept for an SQLite deployment.
    pub fn generated_key_path(sqlite_path: &Path) -> PathBuf {
        let mut name = sqlite_path.file_name().unwrap_or_default().to_os_string();
        name.push(".secret_key");
        sqlite_path.with_file_name(name)
    }
}

/// `SECRET_KEY`: long enough when set; required with PostgreSQL.
/// `SECRET_KEY`, when set, must be long enough. Only the server needs one (see
/// [`Config::check_for_serving`]).
fn secret_key(raw: Option<String>) -> Result<Option<Vec<u8>>, ConfigError> {
    let error = |reason: String| ConfigError {
        var: "SECRET_KEY",
        reason,
    };
    match raw {
        Some(raw) if raw.len() < MIN_SECRET_KEY_BYTES => Err(error(format!(
            "it has {} bytes, at least {MIN_SECRET_KEY_BYTES} are needed \
             (e.g. `openssl rand -hex 32`)",
            raw.len()
        ))),
        Some(raw) => Ok(Some(raw.into_bytes())),
        None => Ok(None),
    }
}

/// `METRICS_BIND`: an ADDRESS:PORT that cannot be (or collide with) `BIND`.
fn metrics_bind(raw: Option<String>, bind: SocketAddr) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let error = |reason: String| ConfigError {
        var: "METRICS_BIND",
        reason,
    };
    let addr: SocketAddr = raw
        .trim()
        .parse()
        .map_err(|_| error(format!("{raw:?} is not an ADDRESS:PORT")))?;
    // 0.0.0.0:8080 and 127.0.0.1:8080 cannot both be bound either.
    let overlaps = addr.port() == bind.port()
        && (addr.ip() == bind.ip() || addr.ip().is_unspecified() || bind.ip().is_unspecified());
    if addr == bind || (overlaps && addr.port() != 0) {
        return Err(error(format!(
            "{addr} is BIND's address; metrics need an address of their own"
        )));
    }
    Ok(Some(addr))
}

impl CookieSecure {
    /// `COOKIE_SECURE`: `auto` (the default), `true` or `false`.
    fn parse(raw: Option<&str>) -> Result<Self, ConfigError> {
        match raw.map(str::trim) {
            None | Some("auto") => Ok(Self::Auto),
            Some("true") => Ok(Self::Always),
            Some("false") => Ok(Self::Never),
            Some(other) => Err(ConfigError {
                var: "COOKIE_SECURE",
                reason: format!("{other:?} is not one of auto, true, false"),
            }),
        }
    }
}

fn parse_number(
    raw: Option<String>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, String> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{raw:?} is not a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_run_on_sqlite_without_a_key() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DatabaseUrl::Sqlite("tickbox.db".into()));
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!((c.bcrypt_cost, c.cookie_secure), (12, CookieSecure::Auto));
        assert!(c.secret_key.is_none());
        assert_eq!((c.metrics_bind, c.log_format), (None, LogFormat::Text));
    }

    #[test]
    fn metrics_get_their_own_address_and_logs_may_be_json() {
        let c = config(&[("METRICS_BIND", " 127.0.0.1:9464 "), ("LOG_FORMAT", "json")]).unwrap();
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(c.log_format, LogFormat::Json);
        // Tests bind both to port 0: two different random ports.
        let c = config(&[("BIND", "127.0.0.1:0"), ("METRICS_BIND", "0.0.0.0:0")]).unwrap();
        assert!(c.metrics_bind.is_some());
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let key = "k".repeat(64);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (&[("BIND", "localhost")], "BIND"),
            (&[("SECRET_KEY", "short")], "SECRET_KEY"),
            (&[("BCRYPT_COST", "3")], "BCRYPT_COST"),
            (&[("BCRYPT_COST", "32")], "BCRYPT_COST"),
            (&[("DATABASE_POOL_SIZE", "0")], "DATABASE_POOL_SIZE"),
            (&[("TRUSTED_PROXIES", "10.0.0.0/99")], "TRUSTED_PROXIES"),
            (&[("COOKIE_SECURE", "yes")], "COOKIE_SECURE"),
            (&[("METRICS_BIND", "9090")], "METRICS_BIND"),
            (&[("METRICS_BIND", "127.0.0.1:8080")], "METRICS_BIND"),
            (
                &[("BIND", "127.0.0.1:9000"), ("METRICS_BIND", "0.0.0.0:9000")],
                "METRICS_BIND",
            ),
            (&[("LOG_FORMAT", "JSON lines")], "LOG_FORMAT"),
            (
                &[
                    ("DATABASE_URL", "postgres://h/db"),
                    ("SECRET_KEY", &key),
                    ("BIND", ":80"),
                ],
                "BIND",
            ),
        ];
        for (vars, var) in cases {
            let e = config(vars).unwrap_err();
            assert_eq!(e.var, *var, "{vars:?}");
            assert!(e.to_string().starts_with(&format!("invalid {var}: ")));
        }
    }

    #[test]
    fn only_serving_postgres_needs_a_secret_key() {
        let pg = config(&[("DATABASE_URL", "postgres://h/db")]).unwrap();
        assert_eq!(pg.check_for_serving().unwrap_err().var, "SECRET_KEY");
        assert!(config(&[]).unwrap().check_for_serving().is_ok());
    }

    #[test]
    fn trusted_proxies_accept_addresses_and_ranges_with_spaces() {
        let p = TrustedProxies::parse(" 127.0.0.1, 10.0.0.0/8 ,::1").unwrap();
        assert!(p.contains("127.0.0.1".parse().unwrap()));
        assert!(p.contains("10.2.3.4".parse().unwrap()));
        assert!(p.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(p.contains("::1".parse().unwrap()));
        assert!(!p.contains("192.168.0.1".parse().unwrap()));
    }
}
