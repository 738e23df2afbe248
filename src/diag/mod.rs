//! Diagnostics: what went wrong (or looks wrong), where, and what to do about it.
//!
//! Every problem found before AWS is touched becomes a [`Diagnostic`] with the
//! file, line, column and field path it concerns; they are collected, not thrown,
//! so that a run reports all of them at once.

mod render;

pub use render::{render_json, render_text};

use std::fmt;
use std::sync::Arc;

use crate::yaml::Pos;

/// The code of a key Copilot's lenient decoder ignores (unknown or
/// misplaced): a warning, an error under `--strict`.
pub const UNKNOWN_KEY: &str = "unknown-key";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A file whose text diagnostics can quote.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as the user would type it (relative where possible).
    pub path: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable identifier for scripts and tests (`unknown-key`, `port-clash`).
    pub code: &'static str,
    pub message: String,
    pub file: Option<Arc<SourceFile>>,
    pub pos: Option<Pos>,
    /// The field path, as in `sidecars.nginx.mount_points[0].source_volume`.
    pub field: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: None,
            pos: None,
            field: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, file: &Arc<SourceFile>, pos: Pos) -> Self {
        self.file = Some(file.clone());
        self.pos = (pos.line > 0).then_some(pos);
        self
    }

    pub fn in_file(mut self, file: &Arc<SourceFile>) -> Self {
        self.file = Some(file.clone());
        self
    }

    pub fn field(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.field = (!path.is_empty()).then_some(path);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `FILE:LINE:COLUMN`, or as much of it as is known.
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_ref()?;
        Some(match self.pos {
            Some(p) => format!("{}:{}:{}", file.path, p.line, p.col),
            None => file.path.clone(),
        })
    }
}

impl fmt::Display for Diagnostic {
    /// One line: `FILE:LINE:COL: error: MESSAGE (field)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = self.location() {
            write!(f, "{loc}: ")?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.message)?;
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        Ok(())
    }
}

/// Diagnostics collected over one run, in the order they were found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        if !self.0.contains(&d) {
            self.0.push(d);
        }
    }

    /// Adds `d` (or finds its twin) and returns it, to add help to it.
    pub fn push_mut(&mut self, d: Diagnostic) -> &mut Diagnostic {
        let i = match self.0.iter().position(|x| *x == d) {
            Some(i) => i,
            None => {
                self.0.push(d);
                self.0.len() - 1
            }
        };
        &mut self.0[i]
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        for d in ds {
            self.push(d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Under `--strict`: a key Copilot ignores ([`UNKNOWN_KEY`]) is an error.
    pub fn strict(self) -> Self {
        Diagnostics(
            self.0
                .into_iter()
                .map(|mut d| {
                    if d.code == UNKNOWN_KEY {
                        d.severity = Severity::Error;
                    }
                    d
                })
                .collect(),
        )
    }

    /// The warnings `--strict` would make errors.
    pub fn strict_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| !d.is_error() && d.code == UNKNOWN_KEY)
            .count()
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Errors before warnings, each group in file and position order.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.0.iter().collect();
        v.sort_by(|a, b| {
            (a.severity, a.file.as_ref().map(|f| &f.path), a.pos).cmp(&(
                b.severity,
                b.file.as_ref().map(|f| &f.path),
                b.pos,
            ))
        });
        v
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Self {
        let mut d = Diagnostics::new();
        d.extend(v);
        d
    }
}

/// The closest of `candidates` to `word`, if one is close enough to be a typo
/// (edits, with neighbours swapped counting as one; case and `_` ignored).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let norm = |s: &str| s.replace('_', "").to_ascii_lowercase();
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if norm(c) == norm(word) {
            0
        } else {
            strsim::osa_distance(&lower, &c.to_ascii_lowercase())
        };
        let limit = (c.len().max(word.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let keys = [
            "image",
            "port",
            "mount_points",
            "depends_on",
            "credentialsParameter",
        ];
        assert_eq!(did_you_mean("imge", keys), Some("image"));
        assert_eq!(did_you_mean("mountpoints", keys), Some("mount_points"));
        assert_eq!(did_you_mean("dependson", keys), Some("depends_on"));
        assert_eq!(
            did_you_mean("credentialsparameter", keys),
            Some("credentialsParameter")
        );
        assert_eq!(did_you_mean("prot", keys), Some("port"));
        assert_eq!(did_you_mean("banana", keys), None);
    }

    #[test]
    fn one_line_form_has_location_and_field() {
        let f = SourceFile::new("copilot/api/manifest.yml", "x: 1\n");
        let d = Diagnostic::error("unknown-key", "unknown key \"x\"")
            .at(&f, Pos::new(1, 1))
            .field("x");
        assert_eq!(
            d.to_string(),
            "copilot/api/manifest.yml:1:1: error: unknown key \"x\" (x)"
        );
    }
}
