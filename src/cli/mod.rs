//! The command line: parse flags, dispatch, map outcomes to exit codes.

pub mod args;
mod deploy;
pub mod load;
mod logs;
pub mod output;
mod progress;
pub mod redact;
mod render;
mod status;
pub mod target;
mod validate;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use tokio_util::sync::CancellationToken;

use crate::exit::Exit;
use args::{Cli, Command, GlobalArgs};

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
        Command::Completions(a) => {
            let mut out = std::io::stdout();
            clap_complete::generate(a.shell, &mut Cli::command(), "sidecarctl", &mut out);
            Exit::Ok
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => {
                    output::print_data(&String::from_utf8_lossy(&page));
                    Exit::Ok
                }
                Err(e) => {
                    eprintln!("error: cannot write the man page: {e}");
                    Exit::Failure
                }
            }
        }
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

/// A token cancelled by Ctrl-C; a second Ctrl-C ends the process at once.
/// Call it inside the runtime.
pub fn cancel_on_signals() -> CancellationToken {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            token.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(Exit::Interrupted.code().into());
            }
        }
    });
    cancel
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
