//! Who is asking, and over what: the client's address and scheme, believing
//! `X-Forwarded-For` / `X-Forwarded-Proto` only from `TRUSTED_PROXIES`.
//!
//! Written by hand because actix-web's `ConnectionInfo` believes forwarding
//! headers from anyone, which would let a client forge its address.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};

use crate::auth::guard::CurrentUser;
use crate::config::TrustedProxies;
use crate::session_state::TypedSession;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub https: bool,
}

impl ClientInfo {
    /// Resolves the client from the TCP peer and, when the peer is trusted, its headers.
    pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Self {
        let direct = Self {
            ip: peer,
            https: false,
        };
        let Some(peer) = peer.filter(|p| trusted.contains(*p)) else {
            return direct;
        };
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        // The right-most address that is not one of our proxies is the client; if every
        // hop is a proxy, the left-most one is as close as we can get.
        let ip = forwarded
            .iter()
            .rev()
            .find(|ip| !trusted.contains(**ip))
            .or(forwarded.first())
            .copied()
            .unwrap_or(peer);
        let https = headers
            .get_all("x-forwarded-proto")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Self {
            ip: Some(ip),
            https,
        }
    }

    /// The scheme as the browser saw it.
    pub fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    pub fn ip_text(&self) -> String {
        self.ip
            .map(|ip| ip.to_canonical().to_string())
            .unwrap_or_default()
    }

    /// The client as [`attach`] resolved it; the TCP peer where it did not run.
    pub fn of(req: &HttpRequest) -> Self {
        req.extensions().get::<Self>().cloned().unwrap_or(Self {
            ip: req.peer_addr().map(|a| a.ip()),
            https: false,
        })
    }
}

/// Outer middleware: resolves the client once, for [`ClientInfo::of`] in every layer
/// and handler inside. `trusted` is the configuration's, given when the server is built.
pub async fn attach(
    trusted: Arc<TrustedProxies>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let info = ClientInfo::resolve(req.peer_addr().map(|a| a.ip()), req.headers(), &trusted);
    req.extensions_mut().insert(info);
    next.call(req).await
}

/// Middleware inside `auth::guard::resolve_user`: a logged-in session notes the
/// address of its latest request (the account page lists it). The session is written
/// only when the address changed, so reading pages from one place costs no write.
pub async fn note_session_address(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if CurrentUser::of(req.request()).is_some() {
        let ip = ClientInfo::of(req.request()).ip_text();
        if let Err(e) = TypedSession::of(&req).note_client_ip(ip) {
            tracing::warn!(error = %e, "could not note the session's address");
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn resolve(peer: &str, xff: &[&str], proto: Option<&str>) -> ClientInfo {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        if let Some(p) = proto {
            headers.insert(
                HeaderName::from_static("x-forwarded-proto"),
                HeaderValue::from_str(p).unwrap(),
            );
        }
        ClientInfo::resolve(Some(peer.parse().unwrap()), &headers, &trusted)
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let c = resolve("203.0.113.9", &["1.2.3.4"], Some("https"));
        assert_eq!(
            c,
            ClientInfo {
                ip: Some("203.0.113.9".parse().unwrap()),
                https: false
            }
        );
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let c = resolve(
            "127.0.0.1",
            &["6.6.6.6, 198.51.100.7, 10.1.1.1"],
            Some("https"),
        );
        assert_eq!(
            c,
            ClientInfo {
                ip: Some("198.51.100.7".parse().unwrap()),
                https: true
            }
        );
        let c = resolve("127.0.0.1", &["6.6.6.6", "198.51.100.8"], None);
        assert_eq!(c.ip, Some("198.51.100.8".parse().unwrap()));
    }

    #[test]
    fn a_trusted_peer_without_headers_is_the_client() {
        let c = resolve("127.0.0.1", &[], None);
        assert_eq!(c.ip, Some("127.0.0.1".parse().unwrap()));
    }
}
