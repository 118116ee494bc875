//! The HTTP layer shared by all routes: middleware, page rendering, static files.

pub mod assets;
pub mod body;
pub mod client;
pub mod cookies;
pub mod csrf;
pub mod error_pages;
pub mod flash;
pub mod form;
pub mod headers;
pub mod page;
pub mod query;
pub mod relative_time;
pub mod theme;
pub mod user_agent;
