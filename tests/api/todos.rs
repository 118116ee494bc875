//! The to-do list (SPEC §4) and the theme switch, over real HTTP.

use reqwest::StatusCode;

use crate::helpers::*;

/// A to-do as the test created it, to compute the expected order independently.
#[derive(Clone, Debug)]
struct Made {
    id: i64,
    title: &'static str,
    due: Option<&'static str>,
    done: bool,
}

/// The SPEC's ordering rules, written out plainly.
fn expected(made: &[Made], filter: &str, sort: &str, order: Option<&str>) -> Vec<i64> {
    let desc = match order {
        Some("asc") => false,
        Some("desc") => true,
        _ => sort != "title" && sort != "due",
    };
    let mut list: Vec<Made> = made
        .iter()
        .filter(|m| match filter {
            "active" => !m.done,
            "completed" => m.done,
            _ => true,
        })
        .cloned()
        .collect();
    let dir = |o: std::cmp::Ordering| if desc { o.reverse() } else { o };
    list.sort_by(|a, b| match sort {
        "title" => dir(a.title.cmp(b.title).then(a.id.cmp(&b.id))),
        "due" => match (a.due, b.due) {
            (Some(x), Some(y)) => dir(x.cmp(y).then(a.id.cmp(&b.id))),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => dir(a.id.cmp(&b.id)),
        },
        _ => dir(a.id.cmp(&b.id)),
    });
    list.into_iter().map(|m| m.id).collect()
}

#[tokio::test]
async fn every_filter_sort_and_order_combination_lists_what_the_spec_says() {
    let app = spawn_app().await;
    app.register("olga").await;
    let specs: [(&str, Option<&str>, bool); 7] = [
        ("pear", Some("2030-03-01"), false),
        ("apple", None, false),
        ("fig", Some("2030-01-15"), true),
        ("apple", Some("2030-03-01"), false), // same title and same due date as others: ties by id
        ("kiwi", None, true),
        ("banana", Some("2029-12-31"), false),
        ("date", Some("2030-01-15"), true),
    ];
    let mut made = Vec::new();
    for (title, due, done) in specs {
        let id = app.add_todo(title, due.unwrap_or("")).await;
        made.push(Made {
            id,
            title,
            due,
            done,
        });
    }
    let token = app.csrf_token().await;
    for m in made.iter().filter(|m| m.done) {
        let res = app
            .post_raw(
                &format!("/todos/{}/toggle", m.id),
                &[("csrf_token", &token)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }

    for filter in ["all", "active", "completed"] {
        for sort in ["created", "title", "due"] {
            for order in [None, Some("asc"), Some("desc")] {
                let mut path = format!("/todos?filter={filter}&sort={sort}");
                if let Some(order) = order {
                    path.push_str(&format!("&order={order}"));
                }
                let res = app.get(&path).await;
                assert_eq!(res.status(), StatusCode::OK);
                let html = res.text().await.unwrap();
                assert_eq!(
                    todo_ids(&html),
                    expected(&made, filter, sort, order),
                    "{path}"
                );
                // Counts cover everything whatever the filter.
                assert_eq!(
                    text_of(&html, "count-active").as_deref(),
                    Some("4"),
                    "{path}"
                );
                assert_eq!(
                    text_of(&html, "count-completed").as_deref(),
                    Some("3"),
                    "{path}"
                );
            }
        }
    }
    // Done state is shown, and unknown values fall back to the defaults.
    let html = app
        .get("/todos?filter=bogus&sort=nope&order=sideways&page=zero")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(todo_ids(&html), expected(&made, "all", "created", None));
    let items = todo_items(&html);
    assert!(items
        .iter()
        .all(|(id, _, done)| *done == made.iter().any(|m| m.id == *id && m.done)));
    assert!(
        html.contains("badge-done"),
        "done to-dos are marked visibly, not only by attribute"
    );
}

#[tokio::test]
async fn the_list_is_paginated_by_50_and_links_keep_the_view() {
    let app = spawn_app().await;
    app.register("pete").await;
    let token = app.csrf_token().await;
    for i in 0..51 {
        let res = app
            .post_raw(
                "/todos",
                &[("title", &format!("task {i:02}")), ("csrf_token", &token)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(todo_ids(&html).len(), 50);
    assert_eq!(text_of(&html, "count-active").as_deref(), Some("51"));
    assert!(html.contains(r#"href="/todos?page=2" rel="next""#));
    let res = app.get("/todos?page=2").await;
    let html = res.text().await.unwrap();
    assert_eq!(
        todo_items(&html)
            .into_iter()
            .map(|t| t.1)
            .collect::<Vec<_>>(),
        vec!["task 00"]
    );
    assert!(html.contains(r#"href="/todos" rel="prev""#));
    assert!(!html.contains(r#"rel="next""#));
    // Past the last page: an empty 200.
    let res = app.get("/todos?page=3").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(todo_ids(&res.text().await.unwrap()).is_empty());

    // Links keep filter, sort and order.
    let html = app
        .get("/todos?filter=active&sort=title&order=desc")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(todo_items(&html)[0].1, "task 50");
    assert!(html.contains(
        r#"href="/todos?filter=active&amp;sort=title&amp;order=desc&amp;page=2" rel="next""#
    ));
    let html = app
        .get("/todos?filter=active&sort=title&order=desc&page=2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        todo_items(&html)
            .into_iter()
            .map(|t| t.1)
            .collect::<Vec<_>>(),
        vec!["task 00"]
    );
    // Choosing a sort gives its default order.
    assert!(html.contains(r#"href="/todos?filter=active&amp;sort=due""#));
}

#[tokio::test]
async fn adding_and_editing_validate_every_boundary_and_keep_what_was_typed() {
    let app = spawn_app().await;
    app.register("quinn").await;
    let t200 = "é".repeat(200); // 200 characters, 400 bytes
    let t201 = "x".repeat(201);
    let cases: [(&str, &str, Option<&str>); 12] = [
        ("", "", Some("title")),
        ("   \t ", "", Some("title")),
        (&t201, "", Some("title")),
        ("valid", "2024-02-30", Some("due")),
        ("valid", "2023-02-29", Some("due")),
        ("valid", "2024-13-01", Some("due")),
        ("valid", "2024-2-3", Some("due")),
        ("valid", "24-02-03", Some("due")),
        ("valid", "2024-02-03T00:00", Some("due")),
        ("valid", "tomorrow", Some("due")),
        (&t200, "2024-02-29", None),
        ("  padded  ", "", None),
    ];
    let token = app.csrf_token().await;
    let mut added = Vec::new();
    for (title, due, error) in cases {
        let res = app
            .post_raw(
                "/todos?sort=title",
                &[("title", title), ("due", due), ("csrf_token", &token)],
            )
            .await;
        match error {
            Some(field) => {
                assert_eq!(
                    res.status(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{title:?} {due:?}"
                );
                let html = res.text().await.unwrap();
                assert_eq!(field_errors(&html), vec![field], "{title:?} {due:?}");
                if !title.trim().is_empty() {
                    assert!(
                        html.contains(&format!(r#"value="{title}""#)),
                        "the title typed is kept"
                    );
                }
                assert!(
                    html.contains(&format!(r#"value="{due}""#)),
                    "the date typed is kept"
                );
            }
            None => {
                assert_eq!(res.status(), StatusCode::SEE_OTHER, "{title:?} {due:?}");
                assert_eq!(
                    location(&res),
                    "/todos?sort=title",
                    "back to the view the form came from"
                );
                added.push(title.trim().to_owned());
            }
        }
    }
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("success".into(), "To-do added.".into())]
    );
    let mut titles: Vec<String> = todo_items(&html).into_iter().map(|t| t.1).collect();
    titles.sort();
    added.sort();
    assert_eq!(titles, added, "only the valid ones landed, trimmed");
    assert!(html.contains(r#"<time datetime="2024-02-29">"#));

    // Editing follows the same rules.
    let id = app.add_todo("edit me", "").await;
    let edit = format!("/todos/{id}?filter=active");
    assert_eq!(
        app.get(&format!("/todos/{id}/edit")).await.status(),
        StatusCode::OK
    );
    for (title, due, field) in [
        ("", "", "title"),
        (t201.as_str(), "", "title"),
        ("ok", "2024-02-30", "due"),
    ] {
        let res = app
            .post_raw(
                &edit,
                &[("title", title), ("due", due), ("csrf_token", &token)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert_eq!(field_errors(&html), vec![field]);
        assert!(html.contains(&format!(r#"value="{due}""#)));
    }
    // The failed edit's address answers GET too (a theme switch returns to the
    // Referer, a reload asks for it): it leads to the edit form, view kept.
    let res = app
        .client
        .post(app.url("/theme"))
        .header("Referer", app.url(&edit))
        .form(&[("theme", "dark"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), edit);
    let res = app.get(&edit).await;
    assert_redirect_to(&res, &format!("/todos/{id}/edit?filter=active"));
    assert_eq!(app.get(&location(&res)).await.status(), StatusCode::OK);
    let res = app
        .post_raw(
            &edit,
            &[
                ("title", "  edited  "),
                ("due", "2031-05-06"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_redirect_to(&res, "/todos?filter=active");
    let html = app.get("/todos?filter=active").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("success".into(), "To-do saved.".into())]
    );
    let item = todo_items(&html).into_iter().find(|t| t.0 == id).unwrap();
    assert_eq!(item.1, "edited");
    assert!(html.contains(r#"<time datetime="2031-05-06">"#));
    // Clearing the date is an edit too.
    let res = app
        .post_raw(
            &edit,
            &[("title", "edited"), ("due", ""), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!app
        .get("/todos")
        .await
        .text()
        .await
        .unwrap()
        .contains("2031-05-06"));
}

#[tokio::test]
async fn toggle_delete_and_clear_completed_confirm_themselves_and_keep_the_view() {
    let app = spawn_app().await;
    app.register("rosa").await;
    let a = app.add_todo("first", "2000-01-01").await;
    let b = app.add_todo("second", "").await;
    let c = app.add_todo("third", "").await;
    let token = app.csrf_token().await;

    let html = app.get("/todos").await.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"class="todo overdue" data-id="{a}""#)),
        "past due and not done"
    );

    let res = app
        .post_raw(
            &format!("/todos/{a}/toggle?filter=active&page=2"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_redirect_to(&res, "/todos?filter=active&page=2");
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(flashes(&html)[0].0, "success");
    assert!(
        html.contains(&format!(
            r#"class="todo done" data-id="{a}" data-done="true""#
        )),
        "done is not overdue"
    );
    app.post_raw(&format!("/todos/{b}/toggle"), &[("csrf_token", &token)])
        .await;
    app.post_raw(&format!("/todos/{b}/toggle"), &[("csrf_token", &token)])
        .await;
    app.post_raw(&format!("/todos/{c}/toggle"), &[("csrf_token", &token)])
        .await;
    app.get("/todos").await; // shows the toggles' flash

    let res = app
        .post_raw(
            &format!("/todos/{b}/delete?sort=title"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_redirect_to(&res, "/todos?sort=title");
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("success".into(), "To-do deleted.".into())]
    );
    assert_eq!(todo_ids(&html), vec![c, a]);

    let res = app
        .post_raw(
            "/todos/clear-completed?filter=completed",
            &[("csrf_token", &token)],
        )
        .await;
    assert_redirect_to(&res, "/todos?filter=completed");
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        flashes(&html),
        vec![("success".into(), "Cleared 2 completed to-dos.".into())]
    );
    assert!(todo_ids(&html).is_empty());

    // A to-do deleted meanwhile is a 404 for every route, never a 500.
    for path in [
        format!("/todos/{b}/toggle"),
        format!("/todos/{b}/delete"),
        format!("/todos/{b}"),
    ] {
        let res = app
            .post_raw(&path, &[("title", "x"), ("csrf_token", &token)])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.get(&format!("/todos/{b}/edit")).await.status(),
        StatusCode::NOT_FOUND
    );
    for path in [
        "/todos/abc/toggle",
        "/todos/99999999999999999999/delete",
        "/todos/-1",
    ] {
        let res = app
            .post_raw(path, &[("title", "x"), ("csrf_token", &token)])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn another_users_todo_is_a_404_like_a_missing_one_and_nothing_changes() {
    let app = spawn_app().await;
    app.register("sara").await;
    let theirs = app.add_todo("sara's secret", "2030-01-01").await;
    let done = app.add_todo("sara's done", "").await;
    let token = app.csrf_token().await;
    app.post_raw(&format!("/todos/{done}/toggle"), &[("csrf_token", &token)])
        .await;

    let mallory = app.new_browser();
    mallory.register("mallory").await;
    let mine = {
        let res = mallory.post("/todos", &[("title", "mine")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        todo_ids(&mallory.get("/todos").await.text().await.unwrap())[0]
    };
    let missing = mine + theirs + 1000;
    let mtoken = mallory.csrf_token().await;
    let normalise = |html: String| html.replace(&mtoken, "TOKEN");

    let edit_theirs = mallory.get(&format!("/todos/{theirs}/edit")).await;
    assert_eq!(edit_theirs.status(), StatusCode::NOT_FOUND);
    let edit_missing = mallory.get(&format!("/todos/{missing}/edit")).await;
    assert_eq!(
        normalise(edit_theirs.text().await.unwrap()),
        normalise(edit_missing.text().await.unwrap()),
        "the same page either way"
    );
    for route in ["toggle", "delete", ""] {
        let fields = [
            ("title", "pwned"),
            ("due", ""),
            ("csrf_token", mtoken.as_str()),
        ];
        let path = |id: i64| {
            if route.is_empty() {
                format!("/todos/{id}")
            } else {
                format!("/todos/{id}/{route}")
            }
        };
        let a = mallory.post_raw(&path(theirs), &fields).await;
        let b = mallory.post_raw(&path(missing), &fields).await;
        assert_eq!(
            (a.status(), b.status()),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
            "{route}"
        );
        assert_eq!(
            normalise(a.text().await.unwrap()),
            normalise(b.text().await.unwrap()),
            "{route}"
        );
    }
    let res = mallory
        .post_raw("/todos/clear-completed", &[("csrf_token", &mtoken)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Sara's list is as she left it; Mallory only ever saw her own.
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(
        todo_items(&html),
        vec![
            (done, "sara's done".into(), true),
            (theirs, "sara's secret".into(), false)
        ]
    );
    assert!(html.contains(r#"<time datetime="2030-01-01">"#));
    let html = mallory.get("/todos").await.text().await.unwrap();
    assert_eq!(todo_ids(&html), vec![mine]);
    assert!(!html.contains("sara"));
}

#[tokio::test]
async fn titles_that_look_like_markup_templates_or_sql_are_stored_and_shown_exactly() {
    let app = spawn_app().await;
    app.register("tina").await;
    let titles = [
        "<script>alert('x')</script>",
        r#""double" & 'single' quotes"#,
        "{{ layout.csrf_token }} {{ 7*7 }}",
        "{% raw %}{% endraw %} {# comment #}",
        "'; DROP TABLE todos; --",
        "Robert'); DELETE FROM users WHERE ('1'='1",
        "<img src=x onerror=alert(1)>",
    ];
    for title in titles {
        app.add_todo(title, "").await;
    }
    let html = app
        .get("/todos?sort=created&order=asc")
        .await
        .text()
        .await
        .unwrap();
    let shown: Vec<String> = todo_items(&html).into_iter().map(|t| t.1).collect();
    assert_eq!(shown, titles.to_vec());
    assert!(!html.contains("<script>alert"), "escaped");
    assert!(!html.contains("<img src=x"), "escaped");
    assert!(html.contains("&lt;script&gt;"));
    assert!(
        !html.contains("{{ 49 }}") && !html.contains(" 49"),
        "not evaluated as a template"
    );
    let id = todo_ids(&html)[0];
    let edit = app
        .get(&format!("/todos/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        edit.contains(r#"value="&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2F;script&gt;""#)
            || edit.contains("&lt;script&gt;")
    );
    assert!(!edit.contains("<script>alert"));
    // The users table survived the SQL-looking text.
    assert_eq!(app.get("/todos").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn twenty_concurrent_additions_by_one_user_all_land() {
    let app = spawn_app().await;
    app.register("uma").await;
    let token = app.csrf_token().await;
    let posts = (0..20).map(|i| {
        let form = [
            ("title".to_owned(), format!("parallel {i}")),
            ("csrf_token".to_owned(), token.clone()),
        ];
        app.client.post(app.url("/todos")).form(&form).send()
    });
    let results = futures_util::future::join_all(posts).await;
    assert!(results
        .into_iter()
        .all(|r| r.unwrap().status() == StatusCode::SEE_OTHER));
    let html = app.get("/todos").await.text().await.unwrap();
    assert_eq!(text_of(&html, "count-active").as_deref(), Some("20"));
    let mut titles: Vec<String> = todo_items(&html).into_iter().map(|t| t.1).collect();
    titles.sort();
    let mut want: Vec<String> = (0..20).map(|i| format!("parallel {i}")).collect();
    want.sort();
    assert_eq!(titles, want);
}

#[tokio::test]
async fn concurrent_toggles_never_lose_an_update_and_a_concurrent_delete_is_a_404() {
    let app = spawn_app().await;
    app.register("vera").await;
    let id = app.add_todo("flip me", "").await;
    let token = app.csrf_token().await;
    let path = format!("/todos/{id}/toggle");
    let toggles = (0..10).map(|_| {
        app.client
            .post(app.url(&path))
            .form(&[("csrf_token", &token)])
            .send()
    });
    for r in futures_util::future::join_all(toggles).await {
        assert_eq!(r.unwrap().status(), StatusCode::SEE_OTHER);
    }
    let html = app.get("/todos").await.text().await.unwrap();
    assert!(!todo_items(&html)[0].2, "ten flips end where they started");

    let path = format!("/todos/{id}/delete");
    let deletes = (0..2).map(|_| {
        app.client
            .post(app.url(&path))
            .form(&[("csrf_token", &token)])
            .send()
    });
    let mut statuses: Vec<StatusCode> = futures_util::future::join_all(deletes)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::SEE_OTHER, StatusCode::NOT_FOUND]);
}

#[tokio::test]
async fn the_theme_is_remembered_for_visitors_and_follows_the_account() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains(r#"<body data-theme="light""#));
    // Anonymous: remembered in a cookie; back to a same-origin Referer.
    let token = app.csrf_token().await;
    let res = app
        .client
        .post(app.url("/theme"))
        .header("Referer", app.url("/login?next=%2Ftodos"))
        .form(&[("theme", "dark"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&res, "/login?next=%2Ftodos");
    assert!(app
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains(r#"<body data-theme="dark""#));
    // Another origin's Referer, or none: back to /.
    for referer in ["http://evil.example/todos", "https://127.0.0.1/x"] {
        let res = app
            .client
            .post(app.url("/theme"))
            .header("Referer", referer)
            .form(&[("theme", "dark"), ("csrf_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/", "{referer}");
    }
    // An unknown value is ignored.
    let res = app
        .post_raw("/theme", &[("theme", "neon"), ("csrf_token", &token)])
        .await;
    assert_redirect_to(&res, "/");
    assert!(app
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains(r#"data-theme="dark""#));

    // Logged in: the switch is saved on the account, which wins at the next log-in.
    app.register("wanda").await;
    let res = app.post("/theme", &[("theme", "light")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.get("/todos").await.text().await.unwrap();
    assert!(
        html.contains(r#"data-theme="light""#),
        "switching works while logged in"
    );
    app.post("/theme", &[("theme", "dark")]).await;
    assert!(app
        .get("/todos")
        .await
        .text()
        .await
        .unwrap()
        .contains(r#"data-theme="dark""#));

    let elsewhere = app.new_browser();
    assert!(elsewhere
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains(r#"data-theme="light""#));
    elsewhere.login("wanda", PASSWORD).await;
    let html = elsewhere.get("/todos").await.text().await.unwrap();
    assert!(
        html.contains(r#"data-theme="dark""#),
        "the account's theme follows the user"
    );
}
