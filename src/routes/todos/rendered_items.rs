//! The list's items as HTML: each rendered by the `todo_item` component
//! (`templates/todos/item.html`) the first time it is shown, then reused while nothing
//! it shows changes.
//!
//! Why: Tera interpreted the item for every row of every page, about 1.8 µs of CPU a
//! row, a third of a 50-item page's own CPU (PERFORMANCE.md, issue #17). A reused row
//! costs a hash lookup and a copy.
//!
//! Why it cannot show anything stale or anyone else's: the key is everything the
//! component reads (the item's id, title, due date, done, overdue, and the view's
//! query), and the component's HTML depends on nothing else, so a hit is exactly what
//! Tera would write now. Entries are per worker thread (pages render on the actix
//! workers, so no lock) and bounded in number.

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::rc::Rc;

use lru::LruCache;
use serde::Serialize;

use crate::error::AppError;

/// Rows kept per worker thread: a few dozen pages' worth, about 1 MiB.
const ROWS_PER_WORKER: NonZeroUsize = NonZeroUsize::new(1500).unwrap();
/// About the size of a row's HTML, to size the page's string once.
const ROW_BYTES: usize = 800;

/// What the component shows of one to-do.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct Item {
    pub id: i64,
    pub title: String,
    pub due: String,
    pub done: bool,
    pub overdue: bool,
}

#[derive(PartialEq, Eq, Hash)]
struct Key {
    item: Item,
    query: Rc<str>,
}

thread_local! {
    static ROWS: RefCell<LruCache<Key, Rc<str>>> = RefCell::new(LruCache::new(ROWS_PER_WORKER));
}

/// The items' HTML, in order; `query` is the view's (`ListState::query`).
pub fn render(tera: &tera::Tera, items: Vec<Item>, query: &str) -> Result<String, AppError> {
    let query: Rc<str> = Rc::from(query);
    let mut html = String::with_capacity(items.len() * ROW_BYTES);
    ROWS.with_borrow_mut(|rows| {
        for item in items {
            let key = Key {
                item,
                query: Rc::clone(&query),
            };
            if let Some(row) = rows.get(&key) {
                html.push_str(row);
                continue;
            }
            let row: Rc<str> = Rc::from(render_one(tera, &key)?);
            html.push_str(&row);
            rows.put(key, row);
        }
        Ok(html)
    })
}

fn render_one(tera: &tera::Tera, key: &Key) -> Result<String, AppError> {
    let mut ctx = tera::Context::new();
    ctx.insert("t", &key.item);
    ctx.insert("query", &*key.query);
    Ok(tera.render_component("todo_item", &ctx, None, true)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, done: bool) -> Item {
        Item {
            id: 7,
            title: title.to_owned(),
            due: String::new(),
            done,
            overdue: false,
        }
    }

    fn tera() -> tera::Tera {
        crate::templates::build().unwrap()
    }

    #[test]
    fn a_reused_row_is_what_the_component_writes_and_any_change_renders_anew() {
        let tera = tera();
        let fresh = |i: &Item, q: &str| {
            let key = Key {
                item: i.clone(),
                query: Rc::from(q),
            };
            render_one(&tera, &key).unwrap()
        };
        let open = item("Renew <the> passport", false);
        let first = render(&tera, vec![open.clone()], "").unwrap();
        assert_eq!(render(&tera, vec![open.clone()], "").unwrap(), first);
        assert_eq!(first, fresh(&open, ""));
        assert!(first.contains("Renew &lt;the&gt; passport"), "{first}");

        let done = item("Renew <the> passport", true);
        let rendered = render(&tera, vec![done.clone()], "").unwrap();
        assert_eq!(rendered, fresh(&done, ""));
        assert!(rendered.contains(r#"data-done="true""#), "{rendered}");
        let renamed = render(&tera, vec![item("Pay the rent", false)], "").unwrap();
        assert!(renamed.contains("Pay the rent") && !renamed.contains("passport"));
        let view = render(&tera, vec![open], "?filter=active").unwrap();
        assert!(view.contains("/todos/7/toggle?filter=active"), "{view}");
    }
}
