//! Progress on stderr: a live line redrawn in place on a terminal (ticking
//! every second, cut to the terminal's width, one line per service when
//! several deploy at once), plain timestamped lines anywhere else (CI logs,
//! pipes).

use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Palette;

pub struct Status {
    /// The live line, on a terminal.
    bar: Option<ProgressBar>,
    palette: Palette,
    started: Instant,
    /// The last state shown (plain lines print a state once).
    last: Option<String>,
    /// Put before every line (the service, when several deploy at once).
    prefix: String,
}

fn style(palette: Palette) -> ProgressStyle {
    let template = if palette.enabled {
        "{spinner:.cyan} {secs:.dim} {prefix}{wide_msg}"
    } else {
        "{spinner} {secs} {prefix}{wide_msg}"
    };
    ProgressStyle::with_template(template)
        .expect("a valid template")
        .with_key(
            "secs",
            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:>4}s", s.elapsed().as_secs());
            },
        )
        .tick_strings(&["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "✓"])
}

impl Status {
    /// `live` redraws one line in place (on a terminal); otherwise each new
    /// state is a line of its own.
    pub fn new(live: bool, palette: Palette) -> Self {
        Self::drawn_to(live.then(ProgressDrawTarget::stderr), palette)
    }

    fn drawn_to(target: Option<ProgressDrawTarget>, palette: Palette) -> Self {
        let bar = target.map(|t| ProgressBar::with_draw_target(None, t));
        Self::with_bar(bar, palette, String::new())
    }

    /// One of several lines shown at once (`deploy --all`), each with a prefix.
    pub fn in_group(group: Option<&MultiProgress>, palette: Palette, prefix: &str) -> Self {
        let bar = group.map(|g| g.add(ProgressBar::new_spinner()));
        Self::with_bar(bar, palette, format!("{} ", palette.bold(prefix)))
    }

    fn with_bar(bar: Option<ProgressBar>, palette: Palette, prefix: String) -> Self {
        if let Some(bar) = &bar {
            bar.set_style(style(palette));
            bar.set_prefix(prefix.clone());
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Status {
            bar,
            palette,
            started: Instant::now(),
            last: None,
            prefix,
        }
    }

    pub fn palette(&self) -> Palette {
        self.palette
    }

    /// Shows the current state. Plain lines print it only when it changed.
    pub fn set(&mut self, text: &str) {
        if self.last.as_deref() == Some(text) {
            return;
        }
        match &self.bar {
            Some(bar) => bar.set_message(text.to_string()),
            None => self.print_line(text),
        }
        self.last = Some(text.to_string());
    }

    /// A line that stays (a step done, a service event), above the live line.
    pub fn line(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(self.stamped(text)),
            None => self.print_line(text),
        }
    }

    fn stamped(&self, text: &str) -> String {
        format!(
            "{} {}{text}",
            self.palette
                .dim(&format!("{:>5.1}s", self.started.elapsed().as_secs_f64())),
            self.prefix
        )
    }

    fn print_line(&self, text: &str) {
        eprintln!("{}", self.stamped(text));
    }

    /// Removes the live line (before the final report).
    pub fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.last = None;
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A terminal `width` columns wide that keeps every line drawn.
    #[derive(Debug, Clone)]
    struct Screen {
        width: u16,
        drawn: Arc<Mutex<Vec<String>>>,
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if !s.is_empty() {
                self.drawn.lock().unwrap().push(s.to_string());
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_live_line_ticks_every_second_and_fits_a_narrow_terminal() {
        let screen = Screen {
            width: 40,
            drawn: Arc::default(),
        };
        let mut status = Status::drawn_to(
            Some(ProgressDrawTarget::term_like(Box::new(screen.clone()))),
            Palette::PLAIN,
        );
        status.set(&"resolving api: images, secrets, file systems, the running service".repeat(2));
        // No new state for over two seconds: the elapsed time moves anyway.
        std::thread::sleep(Duration::from_millis(2300));
        let drawn = screen.drawn.lock().unwrap().clone();
        for second in ["   0s", "   1s", "   2s"] {
            assert!(
                drawn.iter().any(|l| l.contains(second)),
                "{second} never shown: {drawn:?}"
            );
        }
        for line in &drawn {
            assert!(
                unicode_width::UnicodeWidthStr::width(line.as_str()) <= 40,
                "wider than the terminal: {line:?}"
            );
        }
    }
}
