//! The list's state in its URL: `GET /todos` parameters read leniently, written back
//! as a query string (defaults left out), and the links of the list's controls.

use serde::{Deserialize, Serialize};

use crate::db::models::todo::{Filter, ListSpec, Sort};

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
        let sort = Sort::parse(&self.sort).unwrap_or_default();
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
            filter: Filter::parse(&self.filter).unwrap_or_default(),
            sort,
            descending,
            page,
        }
    }
}

/// The list's state written back as a query string, so that links and redirects
/// keep what the person was looking at.
#[derive(Debug, Clone, Copy)]
pub struct ListState(pub ListSpec);

impl ListState {
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
            parts.push(format!("filter={}", spec.filter.as_str()));
        }
        if spec.sort != Sort::Created {
            parts.push(format!("sort={}", spec.sort.as_str()));
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

    /// The list's URL with `f` applied, on its first page.
    fn with(&self, f: impl FnOnce(&mut ListSpec)) -> String {
        let mut spec = self.0;
        f(&mut spec);
        spec.page = 1;
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
        let filters = Filter::ALL
            .into_iter()
            .map(|f| Link {
                label: filter_label(f),
                href: state.with(|s| s.filter = f),
                current: spec.filter == f,
            })
            .collect();
        // Choosing a sort gives that sort's default order.
        let sorts = Sort::ALL
            .into_iter()
            .map(|s| Link {
                label: sort_label(s),
                href: state.with(|x| {
                    x.sort = s;
                    x.descending = s.default_descending();
                }),
                current: spec.sort == s,
            })
            .collect();
        let orders = [(false, "Ascending"), (true, "Descending")]
            .into_iter()
            .map(|(d, label)| Link {
                label,
                href: state.with(|x| x.descending = d),
                current: spec.descending == d,
            })
            .collect();
        Self {
            filter: spec.filter.as_str(),
            sort: spec.sort.as_str(),
            order: state.order(),
            query: state.query(),
            filters,
            sorts,
            orders,
        }
    }

    /// What form actions append to return to this view (`?filter=…`, or nothing).
    pub fn query(&self) -> &str {
        &self.query
    }
}

fn filter_label(filter: Filter) -> &'static str {
    match filter {
        Filter::All => "All",
        Filter::Active => "Active",
        Filter::Completed => "Completed",
    }
}

fn sort_label(sort: Sort) -> &'static str {
    match sort {
        Sort::Created => "Created",
        Sort::Title => "Title",
        Sort::Due => "Due date",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn every_filter_and_sort_reads_back_as_written() {
        for f in Filter::ALL {
            assert_eq!(Filter::parse(f.as_str()), Some(f));
        }
        for s in Sort::ALL {
            assert_eq!(Sort::parse(s.as_str()), Some(s));
        }
    }
}
