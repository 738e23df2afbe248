//! How a deploy tells people what it is doing. The command line gives a live
//! line on a terminal or plain lines in CI; tests and `--all` give their own.

use std::time::Duration;

pub trait Progress {
    /// What is happening now (the live line).
    fn status(&mut self, text: &str);
    /// A change applied, and how long it took.
    fn step_done(&mut self, text: &str, took: Duration);
    /// An ECS service event.
    fn event(&mut self, text: &str);
    /// A line worth keeping.
    fn note(&mut self, text: &str);
    /// Something went wrong.
    fn problem(&mut self, text: &str);
    /// The live line goes; what was kept stays.
    fn finish(&mut self);
}
