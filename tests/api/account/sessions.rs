//! `POST /account/sessions/{id}/revoke` and `/account/sessions/revoke-others`
//! (SPEC §5): one other session, or all of them, end at once; nothing else does.

use reqwest::StatusCode;

use super::*;

/// The listed sessions of `browser` other than its own.
async fn others(browser: &Browser) -> Vec<Listed> {
    let all = listed(&account_page(browser).await);
    all.into_iter().filter(|s| !s.current).collect()
}

#[tokio::test]
async fn revoking_a_session_ends_it_and_every_copy_of_its_cookie() {
    let app = spawn_app().await;
    app.register("joan").await;
    let laptop = second_browser(&app, "joan", true).await;
    let copy = cookie_copy(&app, &laptop);
    let phone = second_browser(&app, "joan", false).await;
    let laptop_id = own_session(&laptop).await.id;
    assert_eq!(others(&app).await.len(), 2);

    let res = app
        .post(&format!("/account/sessions/{laptop_id}/revoke"), &[])
        .await;
    assert_redirect_to(&res, "/account");
    let html = account_page(&app).await;
    assert_eq!(
        flashes(&html),
        [(
            "success".to_owned(),
            "The session has been ended.".to_owned()
        )]
    );
    assert!(!logged_in(&laptop).await, "the revoked session is over");
    assert!(!logged_in(&copy).await, "and so is a copy of its cookie");
    assert!(logged_in(&phone).await);
    assert!(logged_in(&app).await);
    let ids: Vec<String> = listed(&account_page(&app).await)
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(!ids.contains(&laptop_id));
    assert_eq!(ids.len(), 2);
    // Once ended, its handle names nothing.
    let res = app
        .post(&format!("/account/sessions/{laptop_id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn this_session_someone_elses_an_unknown_or_a_malformed_id_is_a_404() {
    let app = spawn_app().await;
    app.register("kay").await;
    let mine = second_browser(&app, "kay", false).await;
    let stranger = app.new_browser();
    stranger.register("lena").await;
    let theirs = own_session(&stranger).await.id;
    let own = own_session(&app).await.id;

    let unknown = "0123456789abcdef0123456789abcdef".to_owned();
    let cookie = app.session_cookie().unwrap();
    for id in [
        theirs.as_str(),
        own.as_str(),
        unknown.as_str(),
        "nope",
        "%00",
        &own.to_uppercase(),
        &format!("{own}0"),
        cookie.as_str(),
    ] {
        let res = app
            .post(&format!("/account/sessions/{id}/revoke"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        let content_type = header(res.headers(), "content-type");
        assert!(content_type.starts_with("text/html"), "{content_type}");
    }
    assert!(logged_in(&stranger).await, "their session is untouched");
    assert!(logged_in(&app).await, "Log out, not revoke, ends this one");
    assert!(logged_in(&mine).await);
    assert_eq!(listed(&account_page(&app).await).len(), 2);
}

#[tokio::test]
async fn revoke_others_ends_all_but_this_one() {
    let app = spawn_app().await;
    app.register("mae").await;
    let remembered = second_browser(&app, "mae", true).await;
    let plain = second_browser(&app, "mae", false).await;
    let stranger = app.new_browser();
    stranger.register("nell").await;

    let res = app.post("/account/sessions/revoke-others", &[]).await;
    assert_redirect_to(&res, "/account");
    let html = account_page(&app).await;
    assert_eq!(
        flashes(&html),
        [(
            "success".to_owned(),
            "All your other sessions have been ended.".to_owned()
        )]
    );
    assert!(!logged_in(&remembered).await);
    assert!(!logged_in(&plain).await);
    assert!(logged_in(&app).await);
    assert!(logged_in(&stranger).await);
    let left = listed(&html);
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
    assert!(html.contains("You are not logged in anywhere else."));
}
