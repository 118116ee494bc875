//! The account rules of SPEC §3 and §5, shared by the sign-up form and the CLI.

use std::collections::BTreeMap;

use super::password::MAX_PASSWORD_BYTES;

const MIN_PASSWORD_BYTES: usize = 8;
const MAX_EMAIL_CHARS: usize = 254;

pub fn username(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if !(3..=32).contains(&len) {
        return Err("Username must be 3 to 32 characters long.".into());
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err("Username may only contain letters, digits, _ . and -.".into());
    }
    Ok(())
}

pub fn email(value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_EMAIL_CHARS {
        return Err(format!(
            "Email must be at most {MAX_EMAIL_CHARS} characters long."
        ));
    }
    if !is_html_email(value) {
        return Err("Enter a valid email address.".into());
    }
    Ok(())
}

/// The new-password rules: length in bytes, not the username or email, not guessable.
pub fn new_password(password: &str, username: &str, email: &str) -> Result<(), String> {
    if password.len() < MIN_PASSWORD_BYTES {
        return Err(format!(
            "Password must be at least {MIN_PASSWORD_BYTES} bytes long."
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "Password must be at most {MAX_PASSWORD_BYTES} bytes long (bcrypt's limit)."
        ));
    }
    let same = |other: &str| !other.is_empty() && password.eq_ignore_ascii_case(other);
    if same(username) || same(email) {
        return Err("Password must differ from your username and email.".into());
    }
    let guessable = u8::from(zxcvbn::zxcvbn(password, &[username, email]).score()) < 2;
    if guessable {
        return Err("This password is too easy to guess. Try a longer or less common one.".into());
    }
    Ok(())
}

/// The registration form's rules, all at once (uniqueness is the database's job):
/// field → message for each broken one (the shape of `web::form::FieldErrors`).
pub fn registration(
    username_: &str,
    email_: &str,
    password: &str,
    confirm: &str,
) -> BTreeMap<&'static str, String> {
    let confirmed = if password == confirm {
        Ok(())
    } else {
        Err("Passwords do not match.".to_owned())
    };
    [
        ("username", username(username_)),
        ("email", email(email_)),
        ("password", new_password(password, username_, email_)),
        ("password_confirm", confirmed),
    ]
    .into_iter()
    .filter_map(|(field, rule)| rule.err().map(|message| (field, message)))
    .collect()
}

/// The HTML `input type=email` rule: local part of atext and dots, `@`, and
/// dot-separated labels of letters, digits and inner hyphens, each at most 63 long.
/// Written by hand: validator's email check is RFC-ish and accepts other inputs.
fn is_html_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    local_ok && domain.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_character_and_length_rules() {
        for ok in ["abc", "a_b.c-d", &"x".repeat(32), "ABC123"] {
            assert!(username(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", &"x".repeat(33), "a b", "ab<", "ümlaut", "a@b"] {
            assert!(username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_follow_the_html_rule() {
        for ok in [
            "a@b",
            "first.last+tag@example.co.uk",
            "x@localhost",
            "a!#$%&'*+/=?^_`{|}~-@x-y.z",
        ] {
            assert!(email(ok).is_ok(), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(243));
        for bad in [
            "", "a", "@b", "a@", "a@b..c", "a@-b", "a@b-", "a b@c", "a@b@c", "a@b_c", &long,
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_measured_in_bytes_and_guessability() {
        let strong = "vX9#qL2!mT";
        assert!(new_password(strong, "alice", "a@x.io").is_ok());
        for weak in ["password1", "baseball", "iloveyou", "qwertyuiop"] {
            assert!(new_password(weak, "alice", "a@x.io").is_err(), "{weak}");
        }
        assert!(new_password("short1!", "alice", "a@x.io").is_err());
        // Length counts bytes: 4 characters of 2 bytes pass the length rule, 37 of them
        // (74 bytes) fail it, and 72 bytes of random text pass.
        let too_short =
            |p: &str| new_password(p, "alice", "a@x.io").is_err_and(|e| e.contains("at least"));
        let too_long =
            |p: &str| new_password(p, "alice", "a@x.io").is_err_and(|e| e.contains("at most"));
        assert!(too_short("ñé7"));
        assert!(!too_short("ñéü7Qz"));
        assert!(too_long(&"é".repeat(37)));
        assert!(new_password(&"vX9#qL2!mTq7".repeat(6), "alice", "a@x.io").is_ok());
        assert!(new_password("Alice-Wonder-99@x.io", "bob", "alice-wonder-99@x.io").is_err());
    }
}
