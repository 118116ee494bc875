//! Two-factor authentication (SPEC §10): setup, the second log-in step, single use of
//! codes, renewing, turning off, the throttle, expiry, the operator command, CSRF.
//!
//! Codes are computed here, with totp-rs, from the secret the setup page shows, as an
//! authenticator app would. A step's code is accepted once per account, and only the
//! current step and one on either side are: a test uses at most the current step and
//! the next one ([`Authenticator::next_code`]), and recovery codes beyond that.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::cookie::{Cookie, CookieJar, Key};
use reqwest::{Response, StatusCode};

use crate::common::TempDir;
use crate::helpers::*;

/// What an authenticator app holds: the secret, and the last step it gave a code of.
struct Authenticator {
    totp: totp_rs::Totp,
    last_step: u64,
}

impl Authenticator {
    /// The secret as the setup page shows it (groups of four).
    fn from_setup_page(html: &str) -> Self {
        let shown = text_of(html, "totp-secret").expect("the secret on the setup page");
        let base32: String = shown.split_whitespace().collect();
        let secret = totp_rs::Secret::try_from_base32(&base32).expect("base32");
        Self {
            totp: totp_rs::Builder::new()
                .with_secret(secret)
                .build()
                .expect("a TOTP"),
            last_step: 0,
        }
    }

    /// A code of a step not used yet: the current one, else the next (which the
    /// server accepts too). Never an earlier step, which could already be out of the
    /// server's window by the time the request arrives.
    fn next_code(&mut self) -> String {
        let step = (unix_now() / 30).max(self.last_step + 1);
        self.last_step = step;
        self.code_of_step(step)
    }

    fn code_of_step(&self, step: u64) -> String {
        self.totp.generate(step * 30).to_string()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The `li.recovery-code` texts of a page.
fn recovery_codes(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("li.recovery-code").unwrap();
    doc.select(&sel)
        .map(|el| el.text().collect::<String>().trim().to_owned())
        .collect()
}

/// `data-enabled` of `#twofactor-status` on `/account`.
async fn two_factor_enabled(b: &Browser) -> bool {
    let html = b.get("/account").await.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("p#twofactor-status").unwrap();
    let status = doc
        .select(&sel)
        .next()
        .expect("#twofactor-status on /account");
    match status.value().attr("data-enabled") {
        Some("true") => true,
        Some("false") => false,
        other => panic!("data-enabled is {other:?}"),
    }
}

async fn codes_left(b: &Browser) -> String {
    let html = b.get("/account").await.text().await.unwrap();
    text_of(&html, "recovery-codes-left").expect("the count of recovery codes left")
}

/// Starts setup and returns the setup page.
async fn start_setup(b: &Browser) -> String {
    let res = b.post("/account/2fa/setup", &[]).await;
    assert_redirect_to(&res, "/account/2fa");
    let res = b.get("/account/2fa").await;
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

/// Turns 2FA on for the logged-in browser: its authenticator and recovery codes.
async fn enable(b: &Browser) -> (Authenticator, Vec<String>) {
    let mut app = Authenticator::from_setup_page(&start_setup(b).await);
    let res = b
        .post("/account/2fa/enable", &[("code", &app.next_code())])
        .await;
    assert_redirect_to(&res, "/account/2fa");
    let html = b.get("/account/2fa").await.text().await.unwrap();
    let codes = recovery_codes(&html);
    assert_eq!(codes.len(), 10, "ten recovery codes");
    (app, codes)
}

/// An account with 2FA on, logged in in `app`'s browser.
async fn user_with_2fa(app: &TestApp, name: &str) -> (TestUser, Authenticator, Vec<String>) {
    let user = app.register(name).await;
    let (authenticator, codes) = enable(app).await;
    (user, authenticator, codes)
}

/// `POST /login` with the right password: the second step comes next.
async fn pass_password_step(b: &Browser, login: &str, extra: &[(&str, &str)]) {
    let mut fields = vec![("login", login), ("password", PASSWORD)];
    fields.extend_from_slice(extra);
    let res = b.post("/login", &fields).await;
    assert_redirect_to(&res, "/login/2fa");
}

async fn submit_code(b: &Browser, code: &str) -> Response {
    b.post("/login/2fa", &[("code", code)]).await
}

#[tokio::test]
async fn setup_shows_the_secret_uri_and_qr_code_and_turns_on_only_with_a_right_code() {
    let app = spawn_app().await;
    app.register("tess").await;
    assert!(!two_factor_enabled(&app).await);

    let res = app.post("/account/2fa/setup", &[]).await;
    assert_redirect_to(&res, "/account/2fa");
    let res = app.get("/account/2fa").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    let html = res.text().await.unwrap();
    let secret: String = text_of(&html, "totp-secret")
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(secret.len(), 32, "{secret}");
    assert!(secret.chars().all(|c| matches!(c, 'A'..='Z' | '2'..='7')));
    assert_eq!(
        text_of(&html, "totp-uri").unwrap(),
        format!("otpauth://totp/tickbox:tess?secret={secret}&issuer=tickbox")
    );
    assert!(html.contains("<svg"), "an inline QR code");
    assert!(!html.contains("data:") && !html.contains("<script"));

    // A wrong code: 422 on `code`, still pending (the same secret), still off.
    let res = app.post("/account/2fa/enable", &[("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&res.text().await.unwrap()), ["code"]);
    let again = app.get("/account/2fa").await.text().await.unwrap();
    let still: String = text_of(&again, "totp-secret")
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(still, secret, "the pending secret stays");
    assert!(!two_factor_enabled(&app).await);

    // A newer setup replaces the pending secret.
    let newer = start_setup(&app).await;
    let mut authenticator = Authenticator::from_setup_page(&newer);
    assert_ne!(
        text_of(&newer, "totp-secret").unwrap(),
        text_of(&html, "totp-secret").unwrap()
    );

    // The right code (spaces are ignored): on, and the codes are shown once.
    let code = authenticator.next_code();
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let res = app.post("/account/2fa/enable", &[("code", &spaced)]).await;
    assert_redirect_to(&res, "/account/2fa");
    let res = app.get("/account/2fa").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    let html = res.text().await.unwrap();
    assert_eq!(recovery_codes(&html).len(), 10);
    assert!(flashes(&html).contains(&(
        "success".to_owned(),
        "Two-factor authentication is on.".to_owned()
    )));
    assert_redirect_to(&app.get("/account/2fa").await, "/account");
    assert!(two_factor_enabled(&app).await);
    assert_eq!(codes_left(&app).await, "10");

    // While it is on, setup changes nothing; enable has nothing pending.
    assert_redirect_to(&app.post("/account/2fa/setup", &[]).await, "/account");
    assert_redirect_to(&app.get("/account/2fa").await, "/account");
    let res = app.post("/account/2fa/enable", &[("code", &code)]).await;
    assert_redirect_to(&res, "/account");
}

#[tokio::test]
async fn with_2fa_the_right_password_alone_does_not_log_in_and_the_right_code_does() {
    let app = spawn_app().await;
    let (user, mut authenticator, codes) = user_with_2fa(&app, "uma").await;
    // A logged-in browser passing the password step is logged out first.
    pass_password_step(&app, &user.username, &[]).await;
    assert_redirect_to(&app.get("/todos").await, "/login?next=%2Ftodos");

    let b = app.new_browser();
    pass_password_step(&b, &user.username, &[]).await;
    // Not logged in: protected pages send to the log-in page, the greeting is anonymous.
    let res = b.get("/todos").await;
    assert_redirect_to(&res, "/login?next=%2Ftodos");
    assert_redirect_to(&b.get("/account").await, "/login?next=%2Faccount");
    let home = b.get("/").await.text().await.unwrap();
    assert_eq!(text_of(&home, "greeting").unwrap(), "Hello, Anonymous!");
    let res = b.get("/login/2fa").await;
    assert_eq!(res.status(), StatusCode::OK);
    let form = res.text().await.unwrap();
    assert!(form.contains(r#"name="code""#));
    assert!(csrf_in(&form).is_some());

    let before = b.session_cookie().unwrap();
    let res = submit_code(&b, &authenticator.next_code()).await;
    assert_redirect_to(&res, "/todos");
    assert_ne!(b.session_cookie().unwrap(), before, "a fresh session id");
    let res = b.get("/todos").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(flashes(&html).contains(&("success".to_owned(), "Successfully logged in!".to_owned())));
    assert_eq!(text_of(&html, "nav-user").unwrap(), "uma");

    // remember_me and a safe `next` ride through the second step (a recovery code).
    let r = app.new_browser();
    pass_password_step(
        &r,
        "uma@example.com",
        &[("remember_me", "on"), ("next", "/todos?filter=active")],
    )
    .await;
    let res = submit_code(&r, &codes[0]).await;
    assert_redirect_to(&res, "/todos?filter=active");
    let cookie = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("tickbox_session="))
        .unwrap();
    assert!(cookie.contains("Max-Age=2592000"), "remembered: {cookie}");
    let restarted = app.new_browser();
    restarted.set_session_cookie(&r.session_cookie().unwrap());
    assert_eq!(restarted.get("/todos").await.status(), StatusCode::OK);

    // An unsafe `next` is ignored.
    let e = app.new_browser();
    pass_password_step(&e, "uma", &[("next", "//evil.example/")]).await;
    let res = submit_code(&e, &codes[1]).await;
    assert_redirect_to(&res, "/todos");
}

#[tokio::test]
async fn a_totp_code_is_refused_the_second_time() {
    let app = spawn_app().await;
    let user = app.register("vic").await;
    let mut authenticator = Authenticator::from_setup_page(&start_setup(&app).await);
    let enabling = authenticator.next_code();
    let res = app
        .post("/account/2fa/enable", &[("code", &enabling)])
        .await;
    assert_redirect_to(&res, "/account/2fa");
    app.logout().await;

    // The code that turned 2FA on counts as used.
    pass_password_step(&app, &user.username, &[]).await;
    let res = submit_code(&app, &enabling).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(flashes(&html).contains(&(
        "error".to_owned(),
        "Wrong code. Please try again.".to_owned()
    )));
    // The step stays open for another try.
    let next = authenticator.next_code();
    assert_redirect_to(&submit_code(&app, &next).await, "/todos");
    app.logout().await;

    pass_password_step(&app, &user.username, &[]).await;
    let res = submit_code(&app, &next).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a replayed code");
    assert_redirect_to(&app.get("/todos").await, "/login?next=%2Ftodos");
}

#[tokio::test]
async fn one_code_in_two_parallel_log_ins_logs_in_once() {
    let app = spawn_app().await;
    let (user, mut authenticator, _) = user_with_2fa(&app, "wes").await;
    let (a, b) = (app.new_browser(), app.new_browser());
    pass_password_step(&a, &user.username, &[]).await;
    pass_password_step(&b, &user.username, &[]).await;
    let (token_a, token_b) = (a.csrf_token().await, b.csrf_token().await);
    let code = authenticator.next_code();
    let form_a = [("code", code.as_str()), ("csrf_token", token_a.as_str())];
    let form_b = [("code", code.as_str()), ("csrf_token", token_b.as_str())];
    let (ra, rb) = tokio::join!(
        a.post_raw("/login/2fa", &form_a),
        b.post_raw("/login/2fa", &form_b),
    );
    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNAUTHORIZED],
        "exactly one log-in"
    );
    let logged_in = [
        a.get("/todos").await.status(),
        b.get("/todos").await.status(),
    ];
    assert_eq!(
        logged_in.iter().filter(|s| **s == StatusCode::OK).count(),
        1
    );
}

#[tokio::test]
async fn a_recovery_code_works_once_ignoring_case_spaces_and_dashes() {
    let app = spawn_app().await;
    let (user, _, codes) = user_with_2fa(&app, "xena").await;
    app.logout().await;

    pass_password_step(&app, &user.username, &[]).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    assert_redirect_to(&submit_code(&app, &typed).await, "/todos");
    assert_eq!(codes_left(&app).await, "9");
    app.logout().await;

    pass_password_step(&app, &user.username, &[]).await;
    let res = submit_code(&app, &codes[3]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "spent");
}

#[tokio::test]
async fn renewing_codes_needs_the_password_and_replaces_them_and_ends_other_sessions() {
    let app = spawn_app().await;
    let (user, mut authenticator, old) = user_with_2fa(&app, "yara").await;
    let other = app.new_browser();
    pass_password_step(&other, &user.username, &[]).await;
    assert_redirect_to(
        &submit_code(&other, &authenticator.next_code()).await,
        "/todos",
    );

    let res = app
        .post(
            "/account/2fa/recovery-codes",
            &[("password", "not-my-password")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&res.text().await.unwrap()), ["password"]);
    assert_eq!(codes_left(&app).await, "10", "nothing changed");
    assert_eq!(other.get("/todos").await.status(), StatusCode::OK);

    let res = app
        .post("/account/2fa/recovery-codes", &[("password", PASSWORD)])
        .await;
    assert_redirect_to(&res, "/account/2fa");
    let html = app.get("/account/2fa").await.text().await.unwrap();
    assert!(flashes(&html).is_empty(), "no flash");
    let new = recovery_codes(&html);
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert_redirect_to(&app.get("/account/2fa").await, "/account");
    // This session stays; the other one has ended.
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);
    assert_redirect_to(&other.get("/todos").await, "/login?next=%2Ftodos");

    app.logout().await;
    pass_password_step(&app, &user.username, &[]).await;
    let res = submit_code(&app, &old[0]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "old codes are gone");
    assert_redirect_to(&submit_code(&app, &new[0]).await, "/todos");
}

#[tokio::test]
async fn turning_2fa_off_needs_the_password_and_a_code_and_spends_the_code_only_then() {
    let app = spawn_app().await;
    let (user, mut authenticator, codes) = user_with_2fa(&app, "zoe").await;
    let other = app.new_browser();
    pass_password_step(&other, &user.username, &[]).await;
    assert_redirect_to(
        &submit_code(&other, &authenticator.next_code()).await,
        "/todos",
    );

    let cases: [(&str, &str, &[&str]); 3] = [
        ("wrong-password-1", &codes[0], &["password"]),
        (PASSWORD, "123456", &["code"]),
        ("wrong-password-1", "123456", &["password", "code"]),
    ];
    for (password, code, wrong) in cases {
        let res = app
            .post(
                "/account/2fa/disable",
                &[("password", password), ("code", code)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{wrong:?}");
        assert_eq!(field_errors(&res.text().await.unwrap()), wrong);
        assert!(two_factor_enabled(&app).await, "still on");
    }
    assert_eq!(codes_left(&app).await, "10", "no code was spent");

    let res = app
        .post(
            "/account/2fa/disable",
            &[("password", PASSWORD), ("code", &codes[0])],
        )
        .await;
    assert_redirect_to(&res, "/account");
    let html = app.get("/account").await.text().await.unwrap();
    assert!(flashes(&html).contains(&(
        "success".to_owned(),
        "Two-factor authentication is off.".to_owned()
    )));
    assert!(!two_factor_enabled(&app).await);
    assert_redirect_to(&other.get("/todos").await, "/login?next=%2Ftodos");
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);

    // Off: the password alone logs in again.
    app.logout().await;
    assert_redirect_to(&app.login(&user.username, PASSWORD).await, "/todos");
    // Nothing to turn off any more.
    let res = app
        .post(
            "/account/2fa/disable",
            &[("password", PASSWORD), ("code", &codes[1])],
        )
        .await;
    assert_redirect_to(&res, "/account");
}

#[tokio::test]
async fn wrong_codes_and_passwords_add_up_and_five_lock_the_account() {
    let app = spawn_app().await;
    let (user, mut authenticator, _) = user_with_2fa(&app, "abby").await;
    app.logout().await;

    // Two wrong passwords, then three wrong codes: five failures for the account.
    for _ in 0..2 {
        let res = app.login(&user.username, "wrong-password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Passing the password step clears nothing.
    pass_password_step(&app, &user.username, &[]).await;
    for i in 0..3 {
        let res = submit_code(&app, "000000").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "wrong code {i}");
    }
    let res = submit_code(&app, &authenticator.next_code()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(res.headers(), "retry-after").parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    assert!(res.text().await.unwrap().contains("minute"));
    // The throttle answered: the password step is over, and log-in is locked too.
    assert_redirect_to(&app.get("/login/2fa").await, "/login");
    let res = app.login(&user.username, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // Five wrong codes alone lock another account.
    let b = app.new_browser();
    let other = b.register("bert").await;
    enable(&b).await;
    b.logout().await;
    pass_password_step(&b, &other.username, &[]).await;
    for _ in 0..5 {
        assert_eq!(
            submit_code(&b, "999999").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        submit_code(&b, "999999").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// The session cookie's state, opened with the server's key, as a map of JSON values.
fn open_cookie(b: &Browser) -> serde_json::Map<String, serde_json::Value> {
    let mut jar = CookieJar::new();
    let raw = format!("tickbox_session={}", b.session_cookie().unwrap());
    jar.add_original(Cookie::parse_encoded(raw).unwrap().into_owned());
    let key = Key::from(SECRET_KEY.as_bytes());
    let opened = jar
        .private(&key)
        .get("tickbox_session")
        .expect("our cookie");
    let json = opened
        .value()
        .strip_prefix('~')
        .expect("an anonymous session");
    serde_json::from_str(json).unwrap()
}

/// Seals `state` into the browser's session cookie, as the server would.
fn seal_cookie(b: &Browser, state: &serde_json::Map<String, serde_json::Value>) {
    let mut jar = CookieJar::new();
    let key = Key::from(SECRET_KEY.as_bytes());
    let value = format!("~{}", serde_json::to_string(state).unwrap());
    jar.private_mut(&key)
        .add(Cookie::new("tickbox_session", value));
    let sealed = jar.get("tickbox_session").unwrap().encoded().to_string();
    b.set_session_cookie(sealed.strip_prefix("tickbox_session=").unwrap());
}

/// The password step's deadline in the session (unix seconds).
fn deadline(state: &serde_json::Map<String, serde_json::Value>) -> i64 {
    let step: serde_json::Value =
        serde_json::from_str(state["password_step"].as_str().unwrap()).unwrap();
    step["deadline"].as_i64().unwrap()
}

#[tokio::test]
async fn the_password_step_lasts_five_minutes_from_the_password_and_requests_do_not_extend_it() {
    let app = spawn_app().await;
    let (user, mut authenticator, _) = user_with_2fa(&app, "cleo").await;
    app.logout().await;

    let b = app.new_browser();
    let before = unix_now() as i64;
    pass_password_step(&b, &user.username, &[]).await;
    let after = unix_now() as i64;
    let state = open_cookie(&b);
    let at = deadline(&state);
    assert!((before + 300..=after + 300).contains(&at), "{at}");
    // A page and a wrong code later, the deadline has not moved.
    assert_eq!(b.get("/login/2fa").await.status(), StatusCode::OK);
    assert_eq!(
        submit_code(&b, "000000").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(deadline(&open_cookie(&b)), at);

    // Five minutes later (the cookie as it would be then): over.
    let mut late = open_cookie(&b);
    let step: serde_json::Value =
        serde_json::from_str(late["password_step"].as_str().unwrap()).unwrap();
    let mut expired = step.clone();
    expired["deadline"] = serde_json::json!(before - 1);
    late.insert(
        "password_step".to_owned(),
        serde_json::Value::String(expired.to_string()),
    );
    seal_cookie(&b, &late);
    let res = submit_code(&b, &authenticator.next_code()).await;
    assert_redirect_to(&res, "/login");
    assert_redirect_to(&b.get("/login/2fa").await, "/login");
    assert_redirect_to(&b.get("/todos").await, "/login?next=%2Ftodos");
}

#[tokio::test]
async fn without_a_password_step_the_second_step_sends_to_log_in() {
    let app = spawn_app().await;
    assert_redirect_to(&app.get("/login/2fa").await, "/login");
    assert_redirect_to(&submit_code(&app, "123456").await, "/login");
    // A password without 2FA logs in directly.
    app.register("dora").await;
    app.logout().await;
    assert_redirect_to(&app.login("dora", PASSWORD).await, "/todos");
    app.logout().await;
    assert_redirect_to(&app.get("/login/2fa").await, "/login");
}

#[tokio::test]
async fn every_new_form_checks_csrf_and_the_account_pages_need_a_log_in() {
    let app = spawn_app().await;
    assert_redirect_to(
        &app.get("/account/2fa").await,
        "/login?next=%2Faccount%2F2fa",
    );
    let (user, _, codes) = user_with_2fa(&app, "edna").await;
    for path in [
        "/account/2fa/setup",
        "/account/2fa/enable",
        "/account/2fa/recovery-codes",
        "/account/2fa/disable",
    ] {
        let res = app
            .post_raw(
                path,
                &[
                    ("password", PASSWORD),
                    ("code", &codes[0]),
                    ("csrf_token", "forged"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(two_factor_enabled(&app).await);
    assert_eq!(codes_left(&app).await, "10");

    let b = app.new_browser();
    pass_password_step(&b, &user.username, &[]).await;
    let res = b
        .post_raw(
            "/login/2fa",
            &[("code", &codes[0]), ("csrf_token", "forged")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_redirect_to(&b.get("/todos").await, "/login?next=%2Ftodos");
    assert_eq!(codes_left(&app).await, "10", "the code was not spent");
}

#[tokio::test]
async fn secrets_are_stored_sealed_and_recovery_codes_only_as_hashes() {
    let app = spawn_app().await;
    app.register("fay").await;
    let page = start_setup(&app).await;
    let secret: String = text_of(&page, "totp-secret")
        .unwrap()
        .split_whitespace()
        .collect();
    let mut authenticator = Authenticator::from_setup_page(&page);
    let raw = totp_rs::Secret::try_from_base32(&secret)
        .unwrap()
        .as_bytes()
        .to_vec();
    app.post(
        "/account/2fa/enable",
        &[("code", &authenticator.next_code())],
    )
    .await;
    let codes = recovery_codes(&app.get("/account/2fa").await.text().await.unwrap());

    let (sealed, hashes, states) = with_db(&app, |conn| {
        use diesel::prelude::*;
        use tickbox::db::schema::{recovery_codes, sessions, users};
        let sealed: Option<String> = users::table.select(users::totp_secret_enc).first(conn)?;
        let hashes: Vec<String> = recovery_codes::table
            .select(recovery_codes::code_hash)
            .load(conn)?;
        let states: Vec<String> = sessions::table.select(sessions::state).load(conn)?;
        Ok((sealed.unwrap(), hashes, states))
    });
    assert!(sealed.starts_with("v1:"), "{sealed}");
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!sealed.contains(&secret) && !sealed.contains(&hex));
    assert_eq!(hashes.len(), 10);
    for code in &codes {
        let plain: String = code.chars().filter(|c| *c != '-').collect();
        assert!(hashes.iter().all(|h| !h.contains(&plain) && h != code));
        for state in &states {
            assert!(!state.contains(code.as_str()) && !state.contains(&plain));
        }
    }
    for state in &states {
        assert!(!state.contains(&secret), "no secret in a session row");
    }
}

/// The binary with a clean environment, in an empty directory.
fn tickbox_command(dir: &std::path::Path, app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tickbox"));
    cmd.env_clear()
        .current_dir(dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.db.url)
        .env("BCRYPT_COST", "4");
    cmd
}

#[tokio::test]
async fn disable_2fa_turns_it_off_keeps_sessions_and_voids_pending_second_steps() {
    let app = spawn_app().await;
    let (user, mut authenticator, _) = user_with_2fa(&app, "gail").await;
    let pending = app.new_browser();
    pass_password_step(&pending, &user.username, &[]).await;

    let dir = TempDir::new("cli");
    let run = |name: &str| {
        tickbox_command(&dir, &app)
            .args(["disable-2fa", "--username", name])
            .output()
            .unwrap()
    };
    let out = run("GAIL");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Already off: still exit 0.
    let out = run("gail");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run("nobody-here");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody-here"));

    // The sessions stay; 2FA is off.
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);
    assert!(!two_factor_enabled(&app).await);
    // A second step begun before no longer logs in.
    let res = submit_code(&pending, &authenticator.next_code()).await;
    assert_redirect_to(&res, "/login");
    assert_redirect_to(&pending.get("/todos").await, "/login?next=%2Ftodos");
    // The password alone logs in now.
    assert_redirect_to(&pending.login("gail", PASSWORD).await, "/todos");
}

#[tokio::test]
async fn a_pending_second_step_fails_after_a_password_change_or_renewed_codes() {
    let app = spawn_app().await;
    let (user, _, _) = user_with_2fa(&app, "hana").await;

    // Renewed codes: a second step begun before fails, even with a new code.
    let pending = app.new_browser();
    pass_password_step(&pending, &user.username, &[]).await;
    let res = app
        .post("/account/2fa/recovery-codes", &[("password", PASSWORD)])
        .await;
    assert_redirect_to(&res, "/account/2fa");
    let codes = recovery_codes(&app.get("/account/2fa").await.text().await.unwrap());
    assert_redirect_to(&submit_code(&pending, &codes[0]).await, "/login");
    assert_redirect_to(&pending.get("/todos").await, "/login?next=%2Ftodos");

    // A password change (by the operator): the same.
    pass_password_step(&pending, &user.username, &[]).await;
    let dir = TempDir::new("cli");
    let mut child = tickbox_command(&dir, &app)
        .args(["set-password", "--username", "hana"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-brand-new-Passphrase-42\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_redirect_to(&submit_code(&pending, &codes[1]).await, "/login");
    // With the new password, the code that was refused then (unspent) logs in.
    let res = pending
        .login(&user.username, "a-brand-new-Passphrase-42")
        .await;
    assert_redirect_to(&res, "/login/2fa");
    assert_redirect_to(&submit_code(&pending, &codes[1]).await, "/todos");
}

#[tokio::test]
async fn wrong_passwords_on_the_two_factor_forms_count_toward_the_account_throttle() {
    let app = spawn_app().await;
    let (user, _, codes) = user_with_2fa(&app, "ivy").await;
    for i in 0..3 {
        let res = app
            .post(
                "/account/2fa/recovery-codes",
                &[("password", "wrong-password")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{i}");
    }
    for i in 0..2 {
        let res = app
            .post(
                "/account/2fa/disable",
                &[("password", "wrong-password"), ("code", &codes[0])],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{i}");
    }
    for (path, fields) in [
        ("/account/2fa/recovery-codes", vec![("password", PASSWORD)]),
        (
            "/account/2fa/disable",
            vec![("password", PASSWORD), ("code", &codes[0])],
        ),
    ] {
        let res = app.post(path, &fields).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        let retry: u64 = header(res.headers(), "retry-after").parse().unwrap();
        assert!((1..=900).contains(&retry));
        assert!(res.text().await.unwrap().contains("minute"));
    }
    assert!(two_factor_enabled(&app).await, "nothing changed");
    assert_eq!(codes_left(&app).await, "10");
    let other = app.new_browser();
    let res = other.login(&user.username, PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "log-in is locked too"
    );
}
