//! Exit codes: how every command ends, stable and documented in the README,
//! for release pipelines. Outcomes of the domain map to them; the command line
//! only hands them to the process.

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done (including "nothing to change").
    Ok = 0,
    /// An error not covered below (AWS refused, network down, a bug).
    Failure = 1,
    /// Invalid input: the manifest, the command line. Nothing was changed.
    Invalid = 2,
    /// Something the manifest points at does not exist in AWS. Nothing was changed.
    Missing = 3,
    /// The rollout failed or timed out and the service was rolled back.
    RolledBack = 4,
    /// The rollout failed or timed out and the service was not rolled back
    /// (`--no-rollback`, nothing to roll back to, or the rollback failed too).
    NotRolledBack = 5,
    /// Stopped part-way through applying; the message lists what was applied.
    Incomplete = 6,
    /// Another deploy of the service is under way.
    Busy = 7,
    /// Stopped by SIGHUP (the terminal went away); as for Ctrl-C.
    HungUp = 129,
    /// Interrupted (Ctrl-C, SIGINT); the lock is released, AWS is left as it
    /// was at that moment.
    Interrupted = 130,
    /// Stopped by SIGTERM (how CI systems cancel a job); as for Ctrl-C.
    Terminated = 143,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit code of a run stopped by signal `signo`: 128 + its number, as
    /// shells report it.
    pub fn for_signal(signo: i32) -> Exit {
        match signo {
            1 => Exit::HungUp,
            15 => Exit::Terminated,
            _ => Exit::Interrupted,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}
