//! tickbox: a to-do list web application with user accounts.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod mail;
pub mod monitoring;
pub mod routes;
pub mod server;
pub mod session_state;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod templates;
pub mod web;
