//! The sign-up form's rules (SPEC §3), each at its boundary: what is refused says so
//! on its field with 422 and keeps what was typed (never the password).

use reqwest::StatusCode;

use super::sign_up;
use crate::helpers::*;

#[tokio::test]
async fn registration_enforces_every_rule_at_its_boundary() {
    let app = spawn_app().await;
    let p = PASSWORD;
    let long_email = format!("{}@example.com", "a".repeat(254 - "@example.com".len()));
    let too_long_email = format!("{}@example.com", "a".repeat(255 - "@example.com".len()));
    // 72 and 73 bytes of a hard-to-guess password; "é" is two bytes, so 36 of them are 72.
    let pw72 = format!("{}{}", "Zq7!xR2#", "kP9$wL4m".repeat(8));
    let pw73 = format!("{pw72}x");
    let multibyte_73 = format!(
        "{}é",
        "Zq7!xR2#kP9$wL4mTb6&vN8*".repeat(3).get(..71).unwrap()
    );
    assert_eq!(pw72.len(), 72);
    assert_eq!(multibyte_73.len(), 73);
    assert_eq!(
        multibyte_73.chars().count(),
        72,
        "72 characters but 73 bytes"
    );

    let bad: Vec<(&str, String, String, String, &str)> = vec![
        // (field, username, email, password, what)
        (
            "username",
            "ab".into(),
            "ab@example.com".into(),
            p.into(),
            "2 characters",
        ),
        (
            "username",
            "a".repeat(33),
            "x33@example.com".into(),
            p.into(),
            "33 characters",
        ),
        (
            "username",
            "bad name".into(),
            "bn@example.com".into(),
            p.into(),
            "a space",
        ),
        (
            "username",
            "bad/name".into(),
            "bs@example.com".into(),
            p.into(),
            "a slash",
        ),
        (
            "username",
            "émile".into(),
            "em@example.com".into(),
            p.into(),
            "a non-ASCII letter",
        ),
        (
            "username",
            "".into(),
            "empty@example.com".into(),
            p.into(),
            "empty",
        ),
        (
            "email",
            "mail1".into(),
            "not-an-email".into(),
            p.into(),
            "no @",
        ),
        (
            "email",
            "mail2".into(),
            "a@b@example.com".into(),
            p.into(),
            "two @",
        ),
        (
            "email",
            "mail3".into(),
            "a b@example.com".into(),
            p.into(),
            "a space",
        ),
        (
            "email",
            "mail4".into(),
            "a@-example.com".into(),
            p.into(),
            "a label starting with -",
        ),
        (
            "email",
            "mail5".into(),
            too_long_email.clone(),
            p.into(),
            "255 characters",
        ),
        (
            "password",
            "pass1".into(),
            "pass1@example.com".into(),
            "Zq7!xR2".into(),
            "7 bytes",
        ),
        (
            "password",
            "pass2".into(),
            "pass2@example.com".into(),
            pw73.clone(),
            "73 bytes",
        ),
        (
            "password",
            "pass3".into(),
            "pass3@example.com".into(),
            multibyte_73.clone(),
            "73 bytes in 72 characters",
        ),
        (
            "password",
            "password1user".into(),
            "p1@example.com".into(),
            "password1".into(),
            "guessable",
        ),
        (
            "password",
            "baseballuser".into(),
            "bb@example.com".into(),
            "baseball".into(),
            "guessable",
        ),
        (
            "password",
            "iloveyouuser".into(),
            "ily@example.com".into(),
            "iloveyou".into(),
            "guessable",
        ),
        (
            "password",
            "qwertyuser".into(),
            "qw@example.com".into(),
            "qwertyuiop".into(),
            "guessable",
        ),
        (
            "password",
            "Kx8vQ2mZr7".into(),
            "same@example.com".into(),
            "Kx8vQ2mZr7".into(),
            "equal to the username",
        ),
        (
            "password",
            "sameemail".into(),
            "Kx8vQ2mZr7@ex.io".into(),
            "Kx8vQ2mZr7@ex.io".into(),
            "equal to the email",
        ),
    ];
    for (field, username, email, password, what) in &bad {
        let (status, html) = sign_up(&app, username, email, password, password).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} with {what}"
        );
        assert!(
            field_errors(&html).contains(&field.to_string()),
            "{field} error for {what}: {:?}",
            field_errors(&html)
        );
        // Values are kept, passwords are not.
        if !username.is_empty() {
            assert!(
                html.contains(&format!(r#"value="{}""#, escape(username))),
                "username kept ({what})"
            );
        }
        assert!(
            !html.contains(&format!(r#"value="{}""#, escape(password)))
                || password == username
                || password == email
        );
    }
    let (status, html) =
        sign_up(&app, "mismatch", "mm@example.com", p, &format!("{p}-other")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&html), vec!["password_confirm"]);

    // Nothing above created an account: the valid names are still free.
    for (i, (field, username, ..)) in bad.iter().enumerate().filter(|(_, b)| b.0 != "username") {
        let b = app.new_browser();
        let (status, _) = sign_up(&b, username, &format!("free{i}@example.com"), p, p).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{username} is free after its {field} was refused"
        );
    }

    // The bounds themselves are accepted.
    let ok: Vec<(String, String, String)> = vec![
        ("abc".into(), "abc@example.com".into(), p.into()),
        ("a".repeat(32), "a32@example.com".into(), p.into()),
        ("A.b-c_9".into(), "dots@example.com".into(), p.into()),
        ("longmail".into(), long_email, p.into()),
        (
            "eightbytes".into(),
            "eight@example.com".into(),
            "Zq7!xR2#".into(),
        ),
        ("seventytwo".into(), "s72@example.com".into(), pw72),
        (
            "random10".into(),
            "r10@example.com".into(),
            "h4Tq9ZpL2w".into(),
        ),
    ];
    for (username, email, password) in &ok {
        let b = app.new_browser();
        let (status, html) = sign_up(&b, username, email, password, password).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{username} / {email}: {:?}",
            field_errors(&html)
        );
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
