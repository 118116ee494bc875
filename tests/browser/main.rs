//! Tests through the real thing: the `tickbox` binary as a child process, headless
//! Chromium through chromedriver, nginx with TLS in front, and the deployment files.
//!
//! Each test starts its own processes on random loopback ports and its own database
//! (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set). A missing tool fails the
//! test with what to install; nothing is skipped.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod accessibility;
mod account;
mod deploy_files;
mod journey;
mod keyboard;
mod password_reset;
mod proxy;
mod two_factor;
mod two_instances;
