//! The one place that decides whether a `next` value may be redirected to.

use percent_encoding::{utf8_percent_encode, CONTROLS};

/// Where to go after logging in: `next` when it is a path on this site, else `/todos`.
pub fn after_login(next: Option<&str>) -> String {
    next.and_then(safe_next)
        .unwrap_or_else(|| "/todos".to_owned())
}

/// `Some(location)` when `next` is a path on this site (SPEC §3): it starts with a single
/// `/`, the second character is not `/` or `\`, and it has no backslash or control
/// character anywhere. It is checked as submitted, without further percent-decoding.
pub fn safe_next(next: &str) -> Option<String> {
    let mut chars = next.chars();
    if chars.next() != Some('/') || matches!(chars.next(), Some('/' | '\\')) {
        return None;
    }
    let forbidden = |c: char| c == '\\' || c.is_control();
    if next.chars().any(forbidden) {
        return None;
    }
    // Only non-ASCII gets encoded (controls were refused above).
    Some(utf8_percent_encode(next, CONTROLS).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_are_refused() {
        let hostile = [
            "",
            "todos",
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "\\/evil.com",
            "https://evil.com",
            "http://evil.com/todos",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "%2F%2Fevil.com",
            "%2f%2fevil.com",
            "/%5Cevil.com\\",
            " /todos",
            "\t/todos",
            "/\t/evil.com",
            "/\n/evil.com",
            "/todos\r\nSet-Cookie: x=1",
            "/\u{0}evil",
            "/todos\u{7f}",
            "/todos\u{85}",
            "/todos\u{9f}",
            "/a\\b",
            "https:/evil.com",
            "evil.com/todos",
            "//",
            "/\\",
            "@evil.com",
            "?next=/todos",
        ];
        for value in hostile {
            assert_eq!(safe_next(value), None, "{value:?} must be refused");
            assert_eq!(after_login(Some(value)), "/todos");
        }
    }

    #[test]
    fn paths_on_this_site_are_kept() {
        let benign = [
            ("/", "/"),
            ("/todos", "/todos"),
            (
                "/todos?filter=active&sort=due",
                "/todos?filter=active&sort=due",
            ),
            ("/todos/3/edit", "/todos/3/edit"),
            ("/%2F%2Fevil.com", "/%2F%2Fevil.com"),
            ("/account#sessions", "/account#sessions"),
            ("/todos?q=caf\u{e9}", "/todos?q=caf%C3%A9"),
        ];
        for (value, location) in benign {
            assert_eq!(safe_next(value).as_deref(), Some(location), "{value:?}");
        }
        assert_eq!(after_login(None), "/todos");
    }
}
