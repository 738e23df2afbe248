//! The command line: parse flags, dispatch, map outcomes to exit codes.

mod adopt;
pub mod args;
pub mod build;
mod deploy;
mod job_status;
pub mod load;
mod logs;
pub mod output;
mod progress;
pub mod redact;
mod render;
mod run;
mod status;
pub mod target;
mod unlock;
mod validate;

use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};

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
        Command::Build(a) => build::run(a, &cli.global),
        Command::Run(a) => return run::run(a, &cli.global),
        Command::Status(a) => status::run(a, &cli.global),
        Command::Logs(a) => logs::run(a, &cli.global),
        Command::Unlock(a) => unlock::run(a, &cli.global),
        Command::Adopt(a) => adopt::run(a, &cli.global),
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

/// The signal that stopped this run (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// A token cancelled by SIGINT (Ctrl-C), SIGTERM (a CI system cancelling the
/// job) or SIGHUP: the command stops where it is, cleans up (a deploy
/// releases its lock) and says so. A second signal ends the process at once.
/// Call it inside the runtime.
pub fn cancel_on_signals() -> CancellationToken {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        let mut signals = Signals::new();
        let mut first = true;
        while let Some(signo) = signals.next().await {
            if first {
                SIGNAL.store(signo, Ordering::SeqCst);
                token.cancel();
                first = false;
            } else {
                std::process::exit(Exit::for_signal(signo).code().into());
            }
        }
    });
    cancel
}

/// The signals that stop a command, as their numbers.
#[cfg(unix)]
struct Signals(Option<[tokio::signal::unix::Signal; 3]>);

#[cfg(unix)]
impl Signals {
    fn new() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let mut each = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ]
        .map(|k| signal(k).ok());
        Signals(match &mut each {
            [Some(_), Some(_), Some(_)] => Some(each.map(|s| s.expect("registered"))),
            _ => None,
        })
    }

    async fn next(&mut self) -> Option<i32> {
        let [int, term, hup] = self.0.as_mut()?;
        tokio::select! {
            _ = int.recv() => Some(2),
            _ = term.recv() => Some(15),
            _ = hup.recv() => Some(1),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Self {
        Signals
    }

    async fn next(&mut self) -> Option<i32> {
        tokio::signal::ctrl_c().await.ok().map(|()| 2)
    }
}

/// The exit code of an interrupted run: by the signal that stopped it.
pub fn interrupted_exit() -> Exit {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => Exit::Interrupted,
        signo => Exit::for_signal(signo),
    }
}

/// The exit code for a failure to connect: an unknown profile or no region
/// is invalid input (2), anything else 1.
pub fn connect_failed(e: &crate::aws::AwsError) -> Exit {
    if e.is(crate::aws::ErrorKind::Invalid) {
        Exit::Invalid
    } else {
        Exit::Failure
    }
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
