//! One test binary for the HTTP suite; each file covers one area.

#[path = "../common/mod.rs"]
mod common;

mod account;
mod auth;
mod cli;
mod connections;
mod foundation;
mod helpers;
mod models;
mod operating;
mod outage;
mod revocation;
mod sessions;
mod todos;
mod two_factor;
