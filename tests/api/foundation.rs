//! Health, error pages, headers and static files.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn healthz_and_readyz_answer_while_the_database_is_up() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready");
    let head = app.client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_home_page_greets_anonymous_visitors_with_the_layout() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(res.headers(), "content-type").starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert_eq!(
        text_of(&html, "greeting").as_deref(),
        Some("Hello, Anonymous!")
    );
    assert!(html.contains(r#"href="/login""#) && html.contains(r#"href="/register""#));
    assert!(html.contains(r#"<body data-theme="light">"#));
    assert!(text_of(&html, "nav-user").is_none());
}

#[tokio::test]
async fn every_html_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/register", "/no-such-page"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = header(h, "content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(header(h, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(h, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(h, "referrer-policy"), "same-origin", "{path}");
    }
}

#[tokio::test]
async fn pages_for_anonymous_visitors_stay_out_of_shared_caches() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/register", "/no-such-page"] {
        let res = app.get(path).await;
        let h = res.headers();
        assert_eq!(header(h, "cache-control"), "private", "{path}");
        assert!(
            h.get_all("vary").iter().any(|v| v
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("cookie")),
            "{path}: Vary: Cookie"
        );
    }
    // A cookie set on a redirect is private too.
    let res = app.post("/theme", &[("theme", "dark")]).await;
    assert!(!set_cookies(&res).is_empty());
    assert_eq!(header(res.headers(), "cache-control"), "private");
    // Static files stay cacheable by anyone.
    let res = app.get("/static/app.css").await;
    assert!(header(res.headers(), "cache-control").contains("public"));
}

#[tokio::test]
async fn unknown_paths_get_the_html_404_page() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(header(res.headers(), "content-type").starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("<nav"), "the error page uses the layout");
}

#[tokio::test]
async fn wrong_methods_get_405_with_an_allow_header() {
    let app = spawn_app().await;
    let cases = [
        ("/", reqwest::Method::POST, "GET, HEAD"),
        ("/login", reqwest::Method::DELETE, "GET, HEAD, POST"),
        ("/healthz", reqwest::Method::PUT, "GET, HEAD"),
        ("/theme", reqwest::Method::GET, "POST"),
    ];
    for (path, method, allow) in cases {
        let token = app.csrf_token().await;
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(header(res.headers(), "allow"), allow, "{method} {path}");
        assert!(res.text().await.unwrap().contains("Method not allowed"));
    }
}

#[tokio::test]
async fn the_method_is_judged_before_csrf_and_log_in() {
    // Anonymous, and without a CSRF token: a method the path does not have is still 405.
    let app = spawn_app().await;
    let cases = [
        ("/", reqwest::Method::PUT, "GET, HEAD"),
        ("/", reqwest::Method::POST, "GET, HEAD"),
        ("/todos", reqwest::Method::DELETE, "GET, HEAD, POST"),
        ("/todos/1/toggle", reqwest::Method::GET, "POST"),
        ("/todos/1/edit", reqwest::Method::POST, "GET, HEAD"),
        ("/account", reqwest::Method::PATCH, "GET, HEAD"),
    ];
    for (path, method, allow) in cases {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .form(&[("title", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(header(res.headers(), "allow"), allow, "{method} {path}");
    }
    // Then CSRF (403) before log-in (303) on a protected form.
    let res = app.post_raw("/todos", &[("title", "x")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.post("/todos", &[("title", "x")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
}

#[tokio::test]
async fn a_body_that_takes_longer_than_30_seconds_gets_408() {
    use std::io::{Read, Write};
    let app = spawn_app().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        // The head at once, then one byte of the body a second: never done in 30 s.
        s.write_all(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\n\r\n",
        )
        .unwrap();
        let mut reader = s.try_clone().unwrap();
        let trickle = std::thread::spawn(move || {
            for _ in 0..45 {
                if s.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_secs(1)); // the client's pace
            }
        });
        let mut out = String::new();
        let _ = reader.read_to_string(&mut out);
        drop(trickle);
        out
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused_with_413_declared_or_chunked() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let big = "x".repeat(70_000);
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[("csrf_token", token.as_str()), ("login", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("Request too large"));

    // Chunked: no Content-Length, the limit still holds while reading.
    let body = format!("csrf_token={token}&login={big}");
    let chunks: Vec<Result<String, std::io::Error>> = body
        .as_bytes()
        .chunks(8192)
        .map(|c| Ok(String::from_utf8(c.to_vec()).unwrap()))
        .collect();
    let res = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn static_files_are_embedded_with_cache_headers() {
    let app = spawn_app().await;
    let res = app.get("/static/app.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(res.headers(), "content-type").starts_with("text/css"));
    assert!(header(res.headers(), "cache-control").contains("max-age="));
    let etag = header(res.headers(), "etag");
    assert!(!etag.is_empty());
    let again = app
        .client
        .get(app.url("/static/app.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(app.get("/favicon.ico").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/static/nope.css").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn postgres_connections_can_require_tls() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: this test needs TEST_DATABASE_URL (PostgreSQL); CI runs it");
        return;
    }
    let app = spawn_app_with(Settings {
        database_params: Some("sslmode=require"),
        ..Default::default()
    })
    .await;
    app.register("tls").await;
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);
    // The pool's connections to this test's database are encrypted.
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let (encrypted, plain) = tls_connections(&name);
    assert!(
        encrypted > 0 && plain == 0,
        "{encrypted} TLS and {plain} plain connections"
    );
}

/// (TLS, plain) client connections to database `name`, seen by the server.
fn tls_connections(name: &str) -> (i64, i64) {
    use diesel::sql_types::BigInt;
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    let mut conn = PgConnection::establish(&admin).unwrap();
    let mut count = |ssl: bool| {
        diesel::select(diesel::dsl::sql::<BigInt>(&format!(
            "(select count(*) from pg_stat_ssl s join pg_stat_activity a using (pid) \
             where a.datname = '{name}' and s.ssl = {ssl})"
        )))
        .get_result::<i64>(&mut conn)
        .unwrap()
    };
    (count(true), count(false))
}

#[tokio::test]
async fn slow_heads_get_408_and_idle_keep_alive_connections_are_closed() {
    use std::io::{Read, Write};
    let app = spawn_app().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let addr = format!("127.0.0.1:{port}");
    // Blocking sockets off the runtime (the server shares it); the deadline is the read timeout.
    let slow = {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
                .unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap(); // the head never ends
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        })
    };
    let idle = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        let first = String::from_utf8_lossy(&buf[..n]).into_owned();
        // Then nothing more is sent: the server must close the connection (EOF).
        let closed = matches!(s.read(&mut buf), Ok(0));
        (first, closed)
    });
    let out = slow.await.unwrap();
    assert!(
        out.starts_with("HTTP/1.1 408"),
        "a head that does not arrive in time: {out:?}"
    );
    let (first, closed) = idle.await.unwrap();
    assert!(first.starts_with("HTTP/1.1 200"));
    assert!(
        closed,
        "an idle keep-alive connection is closed by the server"
    );
}

/// SPEC §6: every POST form carries the session's CSRF token, and every button
/// belongs to a form (inside it, or by its `form` attribute), so none posts without it.
#[tokio::test]
async fn every_post_form_and_every_button_carry_the_csrf_token() {
    let app = spawn_app().await;
    let mut pages = Vec::new();
    for page in ["/", "/login", "/register"] {
        pages.push((page.to_owned(), app.get(page).await.text().await.unwrap()));
    }
    app.register("fern").await;
    let id = app.add_todo("Post a letter", "2001-01-01").await;
    app.add_todo("Water plants", "").await;
    for page in [
        "/".to_owned(),
        "/todos".into(),
        "/todos?filter=active&sort=due".into(),
        format!("/todos/{id}/edit"),
        "/logout".into(),
        "/account".into(),
    ] {
        let html = app.get(&page).await.text().await.unwrap();
        pages.push((page, html));
    }
    let post_form = scraper::Selector::parse("form[method=post]").unwrap();
    let token_field = scraper::Selector::parse("input[type=hidden][name=csrf_token]").unwrap();
    let button = scraper::Selector::parse("button").unwrap();
    let form = scraper::Selector::parse("form").unwrap();
    for (page, html) in pages {
        let doc = scraper::Html::parse_document(&html);
        let mut posts = 0;
        for form in doc.select(&post_form) {
            let tokens = form.select(&token_field).count();
            assert_eq!(tokens, 1, "a POST form on {page}: {}", form.html());
            posts += 1;
        }
        assert!(posts > 0, "{page} has POST forms");
        for b in doc.select(&button) {
            let owned = match b.value().attr("form") {
                Some(name) => doc
                    .select(&form)
                    .any(|f| f.value().attr("id") == Some(name)),
                None => b
                    .ancestors()
                    .any(|a| a.value().as_element().is_some_and(|e| e.name() == "form")),
            };
            assert!(owned, "a button on {page} belongs to no form: {}", b.html());
        }
    }
}

#[tokio::test]
async fn unparsable_ids_get_the_html_404_and_repeated_query_keys_the_first_value() {
    let app = spawn_app().await;
    app.register("pathy").await;
    let token = app.csrf_token().await;
    for path in [
        "/todos/abc/edit",
        "/todos/99999999999999999999",
        "/todos/1.5/edit",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            header(res.headers(), "content-type").starts_with("text/html"),
            "{path}"
        );
        let html = res.text().await.unwrap();
        assert!(!html.contains("parse"), "{path}: {html}");
    }
    for path in ["/todos/abc/toggle", "/todos/-/delete", "/todos/abc"] {
        let res = app.post(path, &[("csrf_token", &token)]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!res.text().await.unwrap().contains("parse"), "{path}");
    }
    let res = app
        .get("/todos?filter=completed&filter=active&sort=title&sort=x&page=1&page=2")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"aria-current="true">Completed</a>"#),
        "{html}"
    );
    let anon = app.new_browser();
    let res = anon
        .get("/login?next=%2Ftodos%3Fpage%3D2&next=%2Fevil")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"value="/todos?page=2""#), "{html}");
    let res = anon.get("/register?next=a&next=b").await;
    assert_eq!(res.status(), StatusCode::OK);
}
