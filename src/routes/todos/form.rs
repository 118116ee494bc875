//! The add and edit forms of a to-do: its fields as typed, and the rules that turn
//! them into a title and an optional due date (SPEC §4).

use serde::{Deserialize, Serialize};
use time::{macros::format_description, Date};

use crate::web::form::FieldErrors;

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

const MAX_TITLE_CHARS: usize = 200;

impl TodoForm {
    /// The form of an existing to-do.
    pub fn of(title: String, due: Option<Date>) -> Self {
        Self {
            title,
            due: due.map(format_date).unwrap_or_default(),
        }
    }

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
}
