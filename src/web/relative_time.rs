//! Times as a person reads them on a page ("2 minutes ago"), computed on the server
//! (the page works without JavaScript). A dozen lines, so written here rather than
//! taken from a crate.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, PrimitiveDateTime};

/// A moment for a `<time>` element: the machine-readable value, the exact time for
/// its `title`, and the words shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Moment {
    /// RFC 3339, UTC (`2026-12-03T11:33:56Z`).
    pub datetime: String,
    /// The exact time, `2026-12-03 11:33 UTC`.
    pub exact: String,
    /// `2 minutes ago`.
    pub words: String,
}

impl Moment {
    pub fn new(at: PrimitiveDateTime, now: PrimitiveDateTime) -> Self {
        // Whole seconds: the page has no use for more.
        let utc = at
            .assume_utc()
            .replace_nanosecond(0)
            .unwrap_or(at.assume_utc());
        let exact = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
        Self {
            datetime: utc.format(&Rfc3339).unwrap_or_default(),
            exact: utc.format(exact).unwrap_or_default(),
            words: ago(now - at),
        }
    }
}

/// How long ago, rounded down to the largest whole unit.
pub fn ago(elapsed: Duration) -> String {
    let count = |n: i64, unit: &str| {
        let s = if n == 1 { "" } else { "s" };
        format!("{n} {unit}{s} ago")
    };
    // A clock a little ahead on another server process is "just now" too.
    if elapsed < Duration::minutes(1) {
        return "just now".to_owned();
    }
    if elapsed < Duration::hours(1) {
        return count(elapsed.whole_minutes(), "minute");
    }
    if elapsed < Duration::days(1) {
        return count(elapsed.whole_hours(), "hour");
    }
    count(elapsed.whole_days(), "day")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn elapsed_time_reads_in_the_largest_whole_unit() {
        let cases = [
            (Duration::seconds(-5), "just now"),
            (Duration::seconds(59), "just now"),
            (Duration::seconds(60), "1 minute ago"),
            (Duration::minutes(2), "2 minutes ago"),
            (Duration::minutes(59), "59 minutes ago"),
            (Duration::minutes(61), "1 hour ago"),
            (Duration::hours(23), "23 hours ago"),
            (Duration::hours(49), "2 days ago"),
        ];
        for (elapsed, words) in cases {
            assert_eq!(ago(elapsed), words, "{elapsed}");
        }
    }

    #[test]
    fn a_moment_carries_its_exact_utc_time() {
        let at = datetime!(2026-12-03 11:33:56.25);
        let moment = Moment::new(at, at + Duration::minutes(2));
        assert_eq!(moment.datetime, "2026-12-03T11:33:56Z");
        assert_eq!(moment.exact, "2026-12-03 11:33 UTC");
        assert_eq!(moment.words, "2 minutes ago");
    }
}
