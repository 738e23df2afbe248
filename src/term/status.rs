//! Progress on stderr: one live line redrawn in place on a terminal, plain
//! timestamped lines anywhere else (CI logs, pipes).

use std::io::Write;
use std::time::Instant;

use super::Palette;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub struct Status {
    live: bool,
    palette: Palette,
    started: Instant,
    shown: bool,
    last: Option<String>,
    tick: usize,
    quiet: bool,
    /// Put before every line (the service, when several deploy at once).
    prefix: String,
}

impl Status {
    /// `live` redraws one line in place (a terminal); otherwise each new status is
    /// a line of its own. `quiet` prints nothing at all.
    pub fn new(live: bool, palette: Palette, quiet: bool) -> Self {
        Status {
            live,
            palette,
            started: Instant::now(),
            shown: false,
            last: None,
            tick: 0,
            quiet,
            prefix: String::new(),
        }
    }

    /// Lines start with `prefix` (implies plain lines: no live redraw).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = format!("{} ", self.palette.bold(prefix));
        self.live = false;
        self
    }

    pub fn palette(&self) -> Palette {
        self.palette
    }

    fn elapsed(&self) -> String {
        format!("{:>5.1}s", self.started.elapsed().as_secs_f64())
    }

    /// Shows the current state. Plain mode prints it only when it changed.
    pub fn set(&mut self, text: &str) {
        if self.quiet {
            return;
        }
        if self.live {
            self.tick = self.tick.wrapping_add(1);
            let spin = SPINNER[self.tick % SPINNER.len()];
            let line = format!(
                "{} {} {text}",
                self.palette.cyan(spin),
                self.palette.dim(&self.elapsed())
            );
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            self.shown = true;
        } else if self.last.as_deref() != Some(text) {
            self.print_line(text);
        }
        self.last = Some(text.to_string());
    }

    /// A line that stays (a step done, a service event), above the live line.
    pub fn line(&mut self, text: &str) {
        if self.quiet {
            return;
        }
        self.clear_live();
        self.print_line(text);
        if self.live
            && let Some(last) = self.last.clone()
        {
            self.last = None;
            self.set(&last);
        }
    }

    fn print_line(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "{} {}{text}",
            self.palette.dim(&self.elapsed()),
            self.prefix
        );
    }

    fn clear_live(&mut self) {
        if self.live && self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }

    /// Removes the live line (before the final report).
    pub fn finish(&mut self) {
        self.clear_live();
        self.last = None;
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        self.clear_live();
    }
}
