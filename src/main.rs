//! The `tickbox` binary: configuration, logging, then the chosen command.

use std::process::ExitCode;

use clap::Parser;
use tickbox::cli::{Cli, Command};
use tickbox::config::Config;

/// mimalloc instead of glibc's malloc: a page allocates and frees thousands of small
/// values (templates, JSON, headers); PERFORMANCE.md has the measurements and the RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A real environment variable wins over `.env` (dotenvy never overrides).
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("tickbox: cannot read .env: {e}");
            return ExitCode::from(2);
        }
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("tickbox: {e}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve { bind: None });
    if let (Command::Serve { .. }, Err(e)) = (&command, config.check_for_serving()) {
        eprintln!("tickbox: {e}");
        return ExitCode::from(2);
    }
    // The configuration is read: from here on every line is in LOG_FORMAT.
    let log_format = config.log_format;
    tickbox::telemetry::init(log_format);
    match tickbox::cli::run(command, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tickbox::telemetry::report_failure(log_format, &e);
            // A command that cannot work with this configuration: like bad configuration.
            match e.downcast_ref::<tickbox::cli::Unsupported>() {
                Some(_) => ExitCode::from(2),
                None => ExitCode::FAILURE,
            }
        }
    }
}
