//! Server-side session lifetime: expiry is decided by the database row, and
//! expired rows are purged.

use diesel::prelude::*;
use reqwest::StatusCode;
use tickbox::db::models::{now, session};
use tickbox::db::schema::sessions;

use crate::helpers::*;

#[tokio::test]
async fn an_expired_session_is_logged_out_and_purged() {
    let app = spawn_app().await;
    app.register("otto").await;
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);

    // Time passes: every session row so far expires.
    let past = now() - time::Duration::minutes(1);
    let aged = with_db(&app, |conn| {
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(past))
            .execute(conn)
    });
    assert!(aged >= 1);
    let other = app.new_browser();
    other.login("otto", PASSWORD).await;
    let res = app.get("/todos").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "an expired row is not a session"
    );
    assert!(location(&res).starts_with("/login?next="));
    assert_eq!(
        other.get("/todos").await.status(),
        StatusCode::OK,
        "the other session lives on"
    );

    let purged = with_db(&app, |conn| session::purge_expired(conn, now()));
    assert!(purged >= 1);
    let expired_left = with_db(&app, |conn| {
        sessions::table
            .filter(sessions::expires_at.le(now()))
            .count()
            .get_result::<i64>(conn)
    });
    assert_eq!(expired_left, 0);
    assert_eq!(other.get("/todos").await.status(), StatusCode::OK);
}
