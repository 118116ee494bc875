//! `POST /account/2fa/setup` starts setup: a new secret, pending in this session only;
//! `POST /account/2fa/enable` turns 2FA on with a code of it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::Connection;
use qrcode::render::svg;
use qrcode::QrCode;
use serde::{Deserialize, Serialize};

use super::show;
use crate::auth::guard::CurrentUser;
use crate::auth::two_factor::{self, purpose, totp, TotpSecret};
use crate::db::{self, models::session, models::two_factor as columns};
use crate::error::AppError;
use crate::session_state::{Level, TypedSession};
use crate::state::{AppState, State};
use crate::web::form::{see_other, FieldErrors};
use crate::web::page::render;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

#[derive(Serialize)]
struct SetupPage {
    /// The secret in groups of four, easier to type.
    secret: String,
    uri: String,
    /// Inline SVG made here from the URI (no user text in it).
    qr_svg: String,
    errors: FieldErrors,
}

pub async fn start_setup(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    if is_on(&state, user.id).await? {
        return Ok(see_other("/account", None));
    }
    let secret = TotpSecret::generate();
    let sealed = state
        .secrets
        .seal(secret.as_bytes(), &purpose::pending(user.id));
    // A newer setup replaces an older one.
    TypedSession::of(&req).set_pending_totp(&sealed)?;
    Ok(see_other("/account/2fa", None))
}

pub async fn enable(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let session = TypedSession::of(&req);
    let Some(secret) = pending_secret(&state, &session, user.id).await? else {
        return Ok(see_other("/account", None));
    };
    let Some(step) = secret.step_of(&form.code, totp::unix_now(), i64::MIN) else {
        let mut errors = FieldErrors::new();
        errors.insert(
            "code",
            "That code is not right. Enter the 6 digits your app shows now.".into(),
        );
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_setup(&req, &state, &user, &secret, Some(errors), status);
    };
    let (cipher, keep) = (state.secrets.clone(), session.own_public_id()?);
    let codes = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let codes = two_factor::turn_on(conn, &cipher, user.id, &secret, step)?;
            if codes.is_some() {
                // Turning 2FA on ends the other sessions (SPEC §10).
                session::delete_for_user(conn, user.id, Some(&keep))?;
            }
            Ok(codes)
        })
    })
    .await?;
    session.clear_pending_totp();
    let Some(codes) = codes else {
        // Turned on meanwhile, from another tab.
        return Ok(see_other("/account", None));
    };
    show::show_once(&state, &session, user.id, &codes)?;
    session.push_flash(Level::Success, "Two-factor authentication is on.");
    Ok(see_other("/account/2fa", None))
}

/// The secret pending in this session, while 2FA is off (a pending secret of an
/// account that has it on is dropped).
pub async fn pending_secret(
    state: &AppState,
    session: &TypedSession,
    user_id: i64,
) -> Result<Option<TotpSecret>, AppError> {
    let Some(sealed) = session.pending_totp() else {
        return Ok(None);
    };
    let opened = state.secrets.open(&sealed, &purpose::pending(user_id));
    let Some(bytes) = opened else {
        session.clear_pending_totp();
        return Ok(None);
    };
    if is_on(state, user_id).await? {
        session.clear_pending_totp();
        return Ok(None);
    }
    Ok(Some(TotpSecret::from_bytes(bytes)))
}

async fn is_on(state: &AppState, user_id: i64) -> Result<bool, AppError> {
    db::run(&state.pool, move |conn| {
        Ok(columns::find(conn, user_id)?.is_some_and(|s| s.is_on()))
    })
    .await
}

/// The setup page: secret, URI, QR code and the code form.
pub fn render_setup(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    secret: &TotpSecret,
    errors: Option<FieldErrors>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let uri = secret
        .uri(&user.username)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no otpauth URI for this account")))?;
    let page = SetupPage {
        secret: grouped(&secret.base32()),
        qr_svg: qr_svg(&uri)?,
        uri,
        errors: errors.unwrap_or_default(),
    };
    let res = render(req, state, status, "two_factor/setup.html", &page)?;
    Ok(res)
}

fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    groups.join(" ")
}

/// The QR code of `uri` as an inline `<svg>`, labelled for screen readers. Black on
/// white in both themes: that is what cameras read best.
fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code =
        QrCode::new(uri.as_bytes()).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML the XML declaration has no place.
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].replacen(
        "<svg ",
        r#"<svg class="qr" role="img" aria-label="QR code of the otpauth link" "#,
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_inline_svg_without_an_xml_declaration() {
        let svg = qr_svg("otpauth://totp/tickbox:alice?secret=ABC&issuer=tickbox").unwrap();
        assert!(
            svg.starts_with(r#"<svg class="qr" role="img""#),
            "{svg:.80}"
        );
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("script"));
    }

    #[test]
    fn the_secret_is_shown_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
