//! The to-do list pages and the forms that change it.

pub mod change;
pub mod create;
pub mod edit;
pub mod list;

use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use time::{macros::format_description, Date};

use crate::auth::validation::FieldErrors;
use crate::db::models::todo::{Filter, ListSpec, Sort};
use crate::routes::auth::see_other;
use crate::session_state::{Level, TypedSession};

/// After a to-do mutation has committed: confirm it, and go back to the list as the
/// person was viewing it (post/redirect/get).
pub fn back_to_list(req: &HttpRequest, spec: ListSpec, message: impl Into<String>) -> HttpResponse {
    TypedSession::of(req).push_flash(Level::Success, message);
    see_other(&ListState(spec).list_url(), None)
}

/// `GET /todos` parameters as they arrive; unknown values fall back to the defaults.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    filter: String,
    sort: String,
    order: String,
    page: String,
}

impl ListQuery {
    pub fn spec(&self) -> ListSpec {
        let filter = match self.filter.as_str() {
            "active" => Filter::Active,
            "completed" => Filter::Completed,
            _ => Filter::All,
        };
        let sort = match self.sort.as_str() {
            "title" => Sort::Title,
            "due" => Sort::Due,
            _ => Sort::Created,
        };
        let descending = match self.order.as_str() {
            "asc" => false,
            "desc" => true,
            _ => sort.default_descending(),
        };
        let page = self
            .page
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .unwrap_or(1);
        ListSpec {
            filter,
            sort,
            descending,
            page,
        }
    }
}

/// The list's state written back as a query string (defaults left out), so that
/// links and redirects keep what the person was looking at.
#[derive(Debug, Clone, Copy)]
pub struct ListState(pub ListSpec);

impl ListState {
    fn filter(&self) -> &'static str {
        match self.0.filter {
            Filter::All => "all",
            Filter::Active => "active",
            Filter::Completed => "completed",
        }
    }

    fn sort(&self) -> &'static str {
        match self.0.sort {
            Sort::Created => "created",
            Sort::Title => "title",
            Sort::Due => "due",
        }
    }

    fn order(&self) -> &'static str {
        if self.0.descending {
            "desc"
        } else {
            "asc"
        }
    }

    /// `?filter=…&sort=…` with only the non-default parts; empty when all are defaults.
    pub fn query(&self) -> String {
        let spec = self.0;
        let mut parts = Vec::new();
        if spec.filter != Filter::All {
            parts.push(format!("filter={}", self.filter()));
        }
        if spec.sort != Sort::Created {
            parts.push(format!("sort={}", self.sort()));
        }
        if spec.descending != spec.sort.default_descending() {
            parts.push(format!("order={}", self.order()));
        }
        if spec.page > 1 {
            parts.push(format!("page={}", spec.page));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    pub fn list_url(&self) -> String {
        format!("/todos{}", self.query())
    }

    fn with(&self, f: impl FnOnce(&mut ListSpec)) -> String {
        let mut spec = self.0;
        f(&mut spec);
        ListState(spec).list_url()
    }
}

/// The links and values the list page's controls need.
#[derive(Serialize)]
pub struct Controls {
    filter: &'static str,
    sort: &'static str,
    order: &'static str,
    /// Appended to form actions so a mutation returns to this view.
    query: String,
    filters: Vec<Link>,
    sorts: Vec<Link>,
    orders: Vec<Link>,
}

#[derive(Serialize)]
pub struct Link {
    label: &'static str,
    href: String,
    current: bool,
}

impl Controls {
    pub fn new(state: ListState) -> Self {
        let spec = state.0;
        let filters = [
            (Filter::All, "All"),
            (Filter::Active, "Active"),
            (Filter::Completed, "Completed"),
        ]
        .into_iter()
        .map(|(f, label)| Link {
            label,
            href: state.with(|s| {
                s.filter = f;
                s.page = 1;
            }),
            current: spec.filter == f,
        })
        .collect();
        // Choosing a sort gives that sort's default order.
        let sorts = [
            (Sort::Created, "Created"),
            (Sort::Title, "Title"),
            (Sort::Due, "Due date"),
        ]
        .into_iter()
        .map(|(s, label)| Link {
            label,
            href: state.with(|x| {
                x.sort = s;
                x.descending = s.default_descending();
                x.page = 1;
            }),
            current: spec.sort == s,
        })
        .collect();
        let orders = [(false, "Ascending"), (true, "Descending")]
            .into_iter()
            .map(|(d, label)| Link {
                label,
                href: state.with(|x| {
                    x.descending = d;
                    x.page = 1;
                }),
                current: spec.descending == d,
            })
            .collect();
        Self {
            filter: state.filter(),
            sort: state.sort(),
            order: state.order(),
            query: state.query(),
            filters,
            sorts,
            orders,
        }
    }
}

/// The add and edit forms' fields as typed.
#[derive(Debug, Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct TodoForm {
    pub title: String,
    pub due: String,
}

/// A validated to-do: title trimmed, 1–200 characters; due an ISO date or nothing.
pub struct TodoInput {
    pub title: String,
    pub due: Option<Date>,
}

pub const MAX_TITLE_CHARS: usize = 200;

impl TodoForm {
    pub fn validate(&self) -> Result<TodoInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = self.title.trim();
        let len = title.chars().count();
        if len == 0 {
            errors.insert("title", "Title cannot be empty.".into());
        } else if title.chars().any(char::is_control) {
            // One rule for both backends (PostgreSQL text cannot even hold a NUL).
            errors.insert(
                "title",
                "Title may not contain control characters such as tabs or line breaks.".into(),
            );
        } else if len > MAX_TITLE_CHARS {
            errors.insert(
                "title",
                format!("Title must be at most {MAX_TITLE_CHARS} characters (it has {len})."),
            );
        }
        let due = match parse_due(self.due.trim()) {
            Ok(due) => due,
            Err(message) => {
                errors.insert("due", message);
                None
            }
        };
        if errors.is_empty() {
            Ok(TodoInput {
                title: title.to_owned(),
                due,
            })
        } else {
            Err(errors)
        }
    }
}

fn parse_due(value: &str) -> Result<Option<Date>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    let shaped = value.len() == 10
        && value.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped {
        return Err("Due date must look like 2025-12-31.".into());
    }
    Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| format!("{value} is not a real date."))
}

pub fn format_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(title: &str, due: &str) -> TodoForm {
        TodoForm {
            title: title.into(),
            due: due.into(),
        }
    }

    #[test]
    fn titles_are_trimmed_and_counted_in_characters() {
        assert_eq!(form("  milk  ", "").validate().ok().unwrap().title, "milk");
        assert!(form("é".repeat(200).as_str(), "").validate().is_ok());
        assert!(form("é".repeat(201).as_str(), "").validate().is_err());
        assert!(form("   ", "").validate().is_err());
    }

    #[test]
    fn due_dates_must_be_real_iso_dates() {
        assert!(form("a", "2024-02-29").validate().is_ok());
        for bad in [
            "2024-02-30",
            "2023-02-29",
            "24-02-01",
            "2024-2-01",
            "2024/02/01",
            "2024-02-01x",
            "+002024-02-01",
        ] {
            let errors = form("a", bad).validate().err().unwrap();
            assert!(errors.contains_key("due"), "{bad}");
        }
    }

    #[test]
    fn unknown_parameters_fall_back_and_sorts_bring_their_default_order() {
        let q = ListQuery {
            filter: "x".into(),
            sort: "due".into(),
            order: "".into(),
            page: "-3".into(),
        };
        let spec = q.spec();
        assert_eq!(
            (spec.filter, spec.sort, spec.descending, spec.page),
            (Filter::All, Sort::Due, false, 1)
        );
        assert_eq!(ListState(spec).query(), "?sort=due");
        let q = ListQuery {
            filter: "completed".into(),
            sort: "".into(),
            order: "asc".into(),
            page: "2".into(),
        };
        assert_eq!(
            ListState(q.spec()).query(),
            "?filter=completed&order=asc&page=2"
        );
    }
}
