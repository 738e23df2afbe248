//! The command line: parse flags, dispatch, map outcomes to exit codes.

pub mod args;
mod deploy;
pub mod exit;
pub mod load;
mod logs;
pub mod output;
pub mod redact;
mod render;
mod status;
pub mod target;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, GlobalArgs};
use exit::Exit;

use crate::diag::{Diagnostics, render_text};

/// The program: parses the command line, runs the command, returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Ok.into()
                }
                _ => Exit::Invalid.into(),
            };
        }
    };
    init_tracing(&cli.global);
    let exit = match &cli.command {
        Command::Validate(a) => validate::run(a, &cli.global),
        Command::Render(a) => render::run(a, &cli.global),
        Command::Deploy(a) => deploy::run(a, &cli.global),
        Command::Status(a) => status::run(a, &cli.global),
        Command::Logs(a) => logs::run(a, &cli.global),
    };
    exit.into()
}

fn init_tracing(global: &GlobalArgs) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let filter = match global.verbose {
        0 => return,
        1 => Targets::new().with_target("sidecarctl", LevelFilter::DEBUG),
        2 => Targets::new()
            .with_target("sidecarctl", LevelFilter::DEBUG)
            .with_target("aws_smithy_runtime", LevelFilter::DEBUG)
            .with_target("aws_config", LevelFilter::DEBUG),
        _ => Targets::new().with_default(LevelFilter::TRACE),
    };
    let ansi = global.color.for_stderr().enabled;
    let secrets = std::sync::Arc::new(redact::known_secrets());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(move || redact::RedactedStderr {
            secrets: secrets.clone(),
        })
        .with_ansi(ansi)
        .with_target(true);
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

/// Prints diagnostics on stderr, coloured when stderr is a terminal.
pub fn print_diagnostics(diags: &Diagnostics, global: &GlobalArgs) {
    if diags.is_empty() {
        return;
    }
    eprint!("{}", render_text(diags, global.color.for_stderr()));
}

/// A runtime for the commands that talk to AWS (one thread: the work is waiting).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Connects to AWS with the global flags.
pub async fn connect(global: &GlobalArgs) -> Result<crate::aws::Aws, crate::aws::AwsError> {
    connect_with(global, false).await
}

/// Connects, with client-side rate limiting when `adaptive`.
pub async fn connect_with(
    global: &GlobalArgs,
    adaptive: bool,
) -> Result<crate::aws::Aws, crate::aws::AwsError> {
    crate::aws::Aws::connect(&crate::aws::ConnectOptions {
        region: global.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        attempt_timeout: Some(global.api_timeout),
        max_attempts: None,
        adaptive,
    })
    .await
}
