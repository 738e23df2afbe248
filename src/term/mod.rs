//! The terminal: colours (with `NO_COLOR` and `--color`), and the live status
//! line that falls back to plain lines when output is not a terminal.

#[cfg(feature = "cli")]
mod status;

#[cfg(feature = "cli")]
pub use status::Status;

use std::io::IsTerminal;

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream: `never` and a set `NO_COLOR` win, `always`
    /// forces, `auto` colours terminals only (and not `TERM=dumb`).
    pub fn enabled(self, is_terminal: bool) -> bool {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Never => false,
            ColorChoice::Always => !no_color,
            ColorChoice::Auto => {
                is_terminal && !no_color && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }

    pub fn for_stderr(self) -> Palette {
        Palette::new(self.enabled(std::io::stderr().is_terminal()))
    }

    pub fn for_stdout(self) -> Palette {
        Palette::new(self.enabled(std::io::stdout().is_terminal()))
    }
}

/// ANSI styles, or none at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    pub enabled: bool,
}

macro_rules! styles {
    ($($name:ident => $code:literal),* $(,)?) => {
        $(
            pub fn $name(&self, s: &str) -> String {
                self.paint($code, s)
            }
        )*
    };
}

impl Palette {
    pub const fn new(enabled: bool) -> Self {
        Palette { enabled }
    }

    pub const PLAIN: Palette = Palette { enabled: false };

    pub fn paint(&self, code: &str, s: &str) -> String {
        if self.enabled && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    styles! {
        bold => "1",
        dim => "2",
        error => "1;31",
        warning => "1;33",
        cyan => "36",
        success => "1;32",
    }
}
