//! A short, readable name for the browser behind a User-Agent header ("Firefox on
//! Linux"), for the account page's session list. woothee's names come from its own
//! data set, never from the header, so nothing a client sends is shown back.

use woothee::parser::Parser;
use woothee::woothee::VALUE_UNKNOWN;

/// "Browser on platform", or as much of it as the header tells.
pub fn describe(user_agent: &str) -> String {
    let parsed = Parser::new().parse(user_agent);
    let known = |name: &str| (!name.is_empty() && name != VALUE_UNKNOWN).then(|| name.to_owned());
    let browser = parsed.as_ref().and_then(|r| known(r.name));
    let platform = parsed.as_ref().and_then(|r| known(r.os)).map(platform_name);
    match (browser, platform) {
        (Some(browser), Some(platform)) => format!("{browser} on {platform}"),
        (Some(browser), None) => browser,
        (None, Some(platform)) => format!("A browser on {platform}"),
        (None, None) => "Unknown browser".to_owned(),
    }
}

/// woothee's platform names, as people say them.
fn platform_name(os: String) -> String {
    match os.as_str() {
        "Mac OSX" => "macOS".to_owned(),
        _ => os,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_get_their_names() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36",
                "Chrome on Windows 10",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
        ];
        for (header, name) in cases {
            assert_eq!(describe(header), name, "{header}");
        }
    }

    #[test]
    fn nothing_of_an_unknown_header_is_shown() {
        assert_eq!(describe(""), "Unknown browser");
        assert_eq!(describe("<script>alert(1)</script>"), "Unknown browser");
        // A tool is named by its kind, never by the header's own words.
        assert_eq!(describe("curl/8.5.0"), "HTTP Library");
    }
}
