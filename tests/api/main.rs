//! One test binary for the HTTP suite; each file covers one area.

#[path = "../common/mod.rs"]
mod common;

mod account;
mod auth;
mod cli;
mod connections;
mod foundation;
mod helpers;
mod mail;
mod mail_support;
mod models;
mod operating;
mod outage;
mod password_reset;
mod revocation;
mod sessions;
mod todos;
mod two_factor;
