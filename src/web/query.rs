//! Query strings as SPEC §4 wants them read: leniently. actix-web's `Query` answers
//! 400 with a parser message for `?filter=a&filter=b`; here the first value of a
//! repeated key wins and anything that still does not fit gives the defaults.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

/// Like `web::Query<T>`, but it never fails.
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Default> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Query(parse(req.query_string()))))
    }
}

/// The query's pairs, first value per key, deserialized; the defaults otherwise.
pub fn parse<T: DeserializeOwned + Default>(query: &str) -> T {
    let mut seen: Vec<String> = Vec::new();
    let mut first = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if !seen.iter().any(|k| *k == key) {
            first.append_pair(&key, &value);
            seen.push(key.into_owned());
        }
    }
    serde_urlencoded::from_str(&first.finish()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[derive(serde::Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct Q {
        next: Option<String>,
        page: String,
    }

    #[test]
    fn the_first_value_of_a_repeated_key_wins() {
        let q: Q = parse("next=%2Fa&next=%2Fb&page=2&page=x");
        assert_eq!(q.next.as_deref(), Some("/a"));
        assert_eq!(q.page, "2");
    }

    #[test]
    fn garbage_gives_the_defaults() {
        assert_eq!(
            parse::<Q>("%zz&=&&next"),
            Q {
                next: Some(String::new()),
                page: String::new()
            }
        );
        #[derive(serde::Deserialize, Default, Debug, PartialEq)]
        struct Strict {
            n: i64,
        }
        assert_eq!(parse::<Strict>("n=abc"), Strict::default());
    }
}
