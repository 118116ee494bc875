//! `POST /theme`: remember the theme for the visitor, and on the account when logged in.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::auth::guard::CurrentUser;
use crate::db::{self, models::user::User};
use crate::error::AppError;
use crate::state::State;
use crate::web::client::ClientInfo;
use crate::web::theme::Theme;

#[derive(Deserialize)]
pub struct ThemeForm {
    #[serde(default)]
    theme: String,
}

pub async fn set_theme(
    req: HttpRequest,
    state: State,
    form: web::Form<ThemeForm>,
) -> Result<HttpResponse, AppError> {
    let back = same_origin_referer(&req).unwrap_or_else(|| "/".to_owned());
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, back));
    let Some(theme) = Theme::parse(&form.theme) else {
        return Ok(res.finish());
    };
    if let Some(user) = CurrentUser::of(&req) {
        db::run(&state.pool, move |conn| {
            Ok(User::set_theme(conn, user.id, theme.as_str())?)
        })
        .await?;
    }
    Ok(res.cookie(theme.cookie()).finish())
}

/// The Referer's path and query when its scheme, host and port are this request's own.
fn same_origin_referer(req: &HttpRequest) -> Option<String> {
    let referer: actix_web::http::Uri = req
        .headers()
        .get(header::REFERER)?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let scheme = ClientInfo::of(req).scheme();
    let authority = referer.authority()?;
    let default_port = if scheme == "https" { 443 } else { 80 };
    let same_scheme = referer.scheme_str() == Some(scheme);
    let (own_host, own_port) = split_host(host, default_port)?;
    let same_host = authority.host().eq_ignore_ascii_case(own_host);
    let same_port = authority.port_u16().unwrap_or(default_port) == own_port;
    if !(same_scheme && same_host && same_port) {
        return None;
    }
    let path = referer.path_and_query().map_or("/", |pq| pq.as_str());
    crate::auth::next_url::safe_next(path)
}

fn split_host(host: &str, default_port: u16) -> Option<(&str, u16)> {
    let authority: actix_web::http::uri::Authority = host.parse().ok()?;
    let port = authority.port_u16().unwrap_or(default_port);
    let name = authority.host();
    Some((&host[host.find(name)?..][..name.len()], port))
}
