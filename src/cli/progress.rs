//! A deploy's progress on the terminal: the live line and the lines that stay.

use std::time::Duration;

use crate::deploy::progress::Progress;
use crate::term::Status;

impl Progress for Status {
    fn status(&mut self, text: &str) {
        self.set(text);
    }

    fn step_done(&mut self, text: &str, took: Duration) {
        let p = self.palette();
        self.line(&format!(
            "{} {text} {}",
            p.success("✓"),
            p.dim(&format!("({} ms)", took.as_millis()))
        ));
    }

    fn event(&mut self, text: &str) {
        let p = self.palette();
        self.line(&format!("{} {text}", p.dim("event:")));
    }

    fn note(&mut self, text: &str) {
        self.line(text);
    }

    fn problem(&mut self, text: &str) {
        let p = self.palette();
        self.line(&format!("{} {text}", p.error("✗")));
    }

    fn finish(&mut self) {
        Status::finish(self);
    }
}
