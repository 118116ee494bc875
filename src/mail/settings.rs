//! The mail settings of SPEC §1: `SMTP_URL`, `MAIL_FROM` and `PUBLIC_URL`, read with
//! the rest of the configuration and checked once, each error naming its variable.

use std::net::SocketAddr;

use lettre::message::Mailbox;
use url::{Host, Url};

use crate::config::ConfigError;

/// Mail is on: where it goes, who it is from, and where its links point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    pub transport: Transport,
    /// `MAIL_FROM`, parsed (a display name and an address).
    pub from: Mailbox,
    /// `PUBLIC_URL` without its trailing `/`, or `http://BIND` with `SMTP_URL=log`.
    pub link_base: String,
    /// `link_base` is `http://BIND` (no `PUBLIC_URL`): it follows `serve --bind`.
    links_from_bind: bool,
}

impl MailSettings {
    /// The listen address changed (`serve --bind`): links built from it follow.
    pub fn rebind(&mut self, bind: SocketAddr) {
        if self.links_from_bind {
            self.link_base = format!("http://{bind}");
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum Transport {
    /// `SMTP_URL=log`: each mail is written whole to the log (development).
    Log,
    Smtp(Smtp),
}

/// An SMTP server from `SMTP_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    /// `user:password` from the URL, percent-decoded.
    pub credentials: Option<(String, String)>,
}

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// Plain text (a relay on the same host). The default for `smtp://`.
    None,
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// STARTTLS or fail (`tls=required`, the submission port).
    Required,
    /// TLS from the first byte (`smtps://`).
    Wrapper,
}

// The password must never reach a log line or a panic message.
impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Log => f.write_str("log"),
            Self::Smtp(s) => write!(
                f,
                "smtp {}:{} tls={:?} auth={}",
                s.host,
                s.port,
                s.tls,
                s.credentials.is_some()
            ),
        }
    }
}

/// The mail settings, `None` when `SMTP_URL` is unset (mail and the forgotten-password
/// feature are off). `get` returns a variable's non-blank value; `bind` is `BIND`.
pub fn from_lookup(
    get: impl Fn(&str) -> Option<String>,
    bind: SocketAddr,
) -> Result<Option<MailSettings>, ConfigError> {
    let public_url = get("PUBLIC_URL")
        .map(|raw| public_url(&raw))
        .transpose()
        .map_err(error("PUBLIC_URL"))?;
    let from = get("MAIL_FROM")
        .map(|raw| mailbox(&raw))
        .transpose()
        .map_err(error("MAIL_FROM"))?;
    let Some(raw) = get("SMTP_URL") else {
        return Ok(None);
    };
    let transport = transport(raw.trim()).map_err(error("SMTP_URL"))?;
    let (link_base, host) = match (&public_url, &transport) {
        (Some(url), _) => (url.as_str().trim_end_matches('/').to_owned(), host_of(url)),
        (None, Transport::Log) => (format!("http://{bind}"), "localhost".to_owned()),
        (None, Transport::Smtp(_)) => {
            return Err(ConfigError {
                var: "PUBLIC_URL",
                reason: "it must be set when SMTP_URL sends mail: the links in mails are \
                         built from it (e.g. PUBLIC_URL=https://todo.example.com)"
                    .into(),
            })
        }
    };
    let from = match from {
        Some(from) => from,
        // Built from its parts: the header parser refuses an address literal (`[IP]`).
        None => lettre::Address::new("noreply", &host)
            .map(|address| Mailbox::new(Some("tickbox".into()), address))
            .map_err(|e| format!("no default sender for host {host:?} ({e}); set MAIL_FROM"))
            .map_err(error("MAIL_FROM"))?,
    };
    Ok(Some(MailSettings {
        transport,
        from,
        link_base,
        links_from_bind: public_url.is_none(),
    }))
}

fn error(var: &'static str) -> impl Fn(String) -> ConfigError {
    move |reason| ConfigError { var, reason }
}

/// An absolute http(s) URL with a host, no credentials, query or fragment.
fn public_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{raw:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{raw:?} must start with https:// or http://"));
    }
    if url.host().is_none() {
        return Err(format!("{raw:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{raw:?} may not have a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{raw:?} may not hold a user name or password"));
    }
    Ok(url)
}

/// The host of `MAIL_FROM`'s default address: without the port, an IP as `[IP]`.
fn host_of(url: &Url) -> String {
    match url.host() {
        Some(Host::Domain(domain)) => domain.to_owned(),
        Some(Host::Ipv4(ip)) => format!("[{ip}]"),
        Some(Host::Ipv6(ip)) => format!("[{ip}]"),
        None => "localhost".to_owned(),
    }
}

fn mailbox(raw: &str) -> Result<Mailbox, String> {
    raw.trim().parse::<Mailbox>().map_err(|e| {
        format!("{raw:?} is not an address like `tickbox <noreply@example.com>` ({e})")
    })
}

/// `log`, or `smtp://[user:pass@]host[:port][?tls=required|opportunistic|none]`, or
/// `smtps://[user:pass@]host[:port]`.
fn transport(raw: &str) -> Result<Transport, String> {
    if raw == "log" {
        return Ok(Transport::Log);
    }
    let url = Url::parse(raw).map_err(|e| format!("not `log` or an smtp:// URL ({e})"))?;
    let host = match url.host() {
        Some(Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err("the URL has no host".into()),
    };
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err("the URL may have only a host, a port, user:password and ?tls=".into());
    }
    let mut tls_param = None;
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), tls_param) {
            ("tls", None) => tls_param = Some(value.into_owned()),
            ("tls", Some(_)) => return Err("tls= is given twice".into()),
            (other, _) => return Err(format!("unknown parameter {other:?} (only tls=)")),
        }
    }
    let tls = match (url.scheme(), tls_param.as_deref()) {
        ("smtp", None | Some("none")) => Tls::None,
        ("smtp", Some("opportunistic")) => Tls::Opportunistic,
        ("smtp", Some("required")) => Tls::Required,
        ("smtp", Some(other)) => {
            return Err(format!(
                "tls={other:?} is not one of required, opportunistic, none"
            ))
        }
        ("smtps", None) => Tls::Wrapper,
        ("smtps", Some(_)) => {
            return Err("smtps:// always uses TLS; drop tls= (or use smtp://…?tls=)".into())
        }
        (other, _) => return Err(format!("unknown scheme {other:?}: use log, smtp or smtps")),
    };
    let port = url.port().unwrap_or(match tls {
        Tls::Wrapper => 465,
        Tls::Required | Tls::Opportunistic => 587,
        Tls::None => 25,
    });
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| "user:password is not UTF-8 once percent-decoded".to_owned())
    };
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        (user, Some(password)) if !user.is_empty() => Some((decode(user)?, decode(password)?)),
        _ => return Err("give both a user and a password (smtp://user:pass@host)".into()),
    };
    Ok(Transport::Smtp(Smtp {
        host,
        port,
        tls,
        credentials,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Option<MailSettings>, ConfigError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        let bind = "127.0.0.1:8080".parse().unwrap();
        from_lookup(|k| map.get(k).map(|v| v.to_string()), bind)
    }

    fn smtp(raw: &str) -> Smtp {
        match transport(raw).unwrap() {
            Transport::Smtp(s) => s,
            Transport::Log => panic!("{raw} is not smtp"),
        }
    }

    #[test]
    fn without_smtp_url_mail_is_off() {
        assert_eq!(settings(&[]).unwrap(), None);
        assert_eq!(
            settings(&[("PUBLIC_URL", "https://todo.example.com")]).unwrap(),
            None
        );
    }

    #[test]
    fn the_urls_of_the_spec_mean_what_it_says() {
        let relay = smtp("smtp://localhost:25");
        assert_eq!(
            (relay.port, relay.tls, relay.credentials),
            (25, Tls::None, None)
        );
        let submission = smtp("smtp://me%40x.io:p%3Ass@mail.example.com:587?tls=required");
        assert_eq!((submission.port, submission.tls), (587, Tls::Required));
        assert_eq!(
            submission.credentials,
            Some(("me@x.io".into(), "p:ss".into()))
        );
        let wrapped = smtp("smtps://u:p@mail.example.com");
        assert_eq!((wrapped.port, wrapped.tls), (465, Tls::Wrapper));
        assert_eq!(smtp("smtp://h?tls=opportunistic").tls, Tls::Opportunistic);
        assert_eq!(smtp("smtp://h?tls=none").port, 25);
    }

    #[test]
    fn links_and_the_sender_come_from_public_url() {
        let s = settings(&[
            ("SMTP_URL", "smtp://localhost"),
            ("PUBLIC_URL", "https://todo.example.com:8443/"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(s.link_base, "https://todo.example.com:8443");
        assert_eq!(s.from.to_string(), "tickbox <noreply@todo.example.com>");
        let ip = settings(&[("SMTP_URL", "log"), ("PUBLIC_URL", "http://10.1.2.3:80")])
            .unwrap()
            .unwrap();
        assert_eq!(ip.from.email.to_string(), "noreply@[10.1.2.3]");
        let log = settings(&[("SMTP_URL", "log")]).unwrap().unwrap();
        assert_eq!(log.link_base, "http://127.0.0.1:8080");
        assert_eq!(log.from.email.to_string(), "noreply@localhost");
        let named = settings(&[("SMTP_URL", "log"), ("MAIL_FROM", "Todo <todo@x.io>")])
            .unwrap()
            .unwrap();
        assert_eq!(named.from.to_string(), "Todo <todo@x.io>");
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("SMTP_URL", "smtp://localhost")], "PUBLIC_URL"),
            (&[("SMTP_URL", "mail.example.com")], "SMTP_URL"),
            (&[("SMTP_URL", "http://x")], "SMTP_URL"),
            (&[("SMTP_URL", "smtp://h?tls=always")], "SMTP_URL"),
            (&[("SMTP_URL", "smtps://h?tls=none")], "SMTP_URL"),
            (&[("SMTP_URL", "smtp://user@h")], "SMTP_URL"),
            (&[("SMTP_URL", "smtp://h/x")], "SMTP_URL"),
            (&[("SMTP_URL", "smtp://h:99999")], "SMTP_URL"),
            (&[("SMTP_URL", "smtp:///")], "SMTP_URL"),
            (&[("PUBLIC_URL", "todo.example.com")], "PUBLIC_URL"),
            (&[("PUBLIC_URL", "ftp://todo.example.com")], "PUBLIC_URL"),
            (&[("PUBLIC_URL", "https://x.io/?a=1")], "PUBLIC_URL"),
            (&[("PUBLIC_URL", "https://x.io/#top")], "PUBLIC_URL"),
            (&[("MAIL_FROM", "not an address")], "MAIL_FROM"),
            (&[("SMTP_URL", "log"), ("MAIL_FROM", "a@")], "MAIL_FROM"),
        ];
        for (vars, var) in cases {
            let e = settings(vars).unwrap_err();
            assert_eq!(e.var, *var, "{vars:?}: {e}");
        }
    }

    #[test]
    fn the_password_is_never_in_debug_output() {
        let t = transport("smtp://u:secret-pw@h:587?tls=required").unwrap();
        assert!(!format!("{t:?}").contains("secret-pw"));
    }
}
