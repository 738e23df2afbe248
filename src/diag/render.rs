//! Diagnostics as text for people (with the source line and a caret) and as JSON
//! for pipelines.

use super::{Diagnostic, Diagnostics, Severity};
use crate::term::Palette;

/// Renders every diagnostic, errors first, then a one-line summary.
pub fn render_text(diags: &Diagnostics, palette: Palette) -> String {
    let mut out = String::new();
    for d in diags.sorted() {
        render_one(&mut out, d, palette);
        out.push('\n');
    }
    let (e, w) = (diags.error_count(), diags.warning_count());
    if e > 0 {
        out.push_str(&palette.error(&format!(
            "{e} error{}{}",
            plural(e),
            if w > 0 {
                format!(", {w} warning{}", plural(w))
            } else {
                String::new()
            }
        )));
        out.push('\n');
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn render_one(out: &mut String, d: &Diagnostic, p: Palette) {
    let head = match d.severity {
        Severity::Error => p.error("error"),
        Severity::Warning => p.warning("warning"),
    };
    out.push_str(&format!("{head}: {}\n", p.bold(&d.message)));
    let Some(file) = &d.file else {
        if let Some(help) = &d.help {
            out.push_str(&format!("  {} {help}\n", p.cyan("help:")));
        }
        return;
    };
    let pos = d.pos;
    let line_no = pos.map(|p| p.line as usize).unwrap_or(0);
    let width = line_no.max(1).to_string().len();
    let pad = " ".repeat(width);
    let field = d
        .field
        .as_ref()
        .map(|f| format!(" {}", p.dim(&format!("({f})"))))
        .unwrap_or_default();
    out.push_str(&format!(
        "{pad}{} {}{field}\n",
        p.gutter("-->"),
        d.location().unwrap_or_default()
    ));
    if let Some(pos) = pos
        && let Some(line) = file.text.lines().nth(line_no.saturating_sub(1))
    {
        let line = line.trim_end_matches('\r');
        let shown: String = line.chars().take(160).collect();
        out.push_str(&format!("{pad} {}\n", p.gutter("|")));
        out.push_str(&format!(
            "{} {} {shown}\n",
            p.gutter(&line_no.to_string()),
            p.gutter("|")
        ));
        let col = (pos.col as usize).max(1);
        let indent: String = line
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let len = token_len(line, col - 1).min(160);
        let marker = "^".repeat(len.max(1));
        let marker = match d.severity {
            Severity::Error => p.error(&marker),
            Severity::Warning => p.warning(&marker),
        };
        let label = d
            .help
            .as_deref()
            .map(|h| format!(" {h}"))
            .unwrap_or_default();
        let label = match d.severity {
            Severity::Error => p.red(&label),
            Severity::Warning => p.yellow(&label),
        };
        out.push_str(&format!(
            "{pad} {} {indent}{marker}{label}\n",
            p.gutter("|")
        ));
    } else if let Some(help) = &d.help {
        out.push_str(&format!("{pad} {} {help}\n", p.cyan("= help:")));
    }
}

/// The length of the token starting at char index `start`: a quoted string to its
/// closing quote, otherwise up to a space, colon or flow indicator.
fn token_len(line: &str, start: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(start).collect();
    match rest.first() {
        None => 1,
        Some(q @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|c| c == q)
            .map(|i| i + 2)
            .unwrap_or(rest.len()),
        Some(_) => (0..rest.len())
            .find(|&i| {
                let c = rest[i];
                let ends_key = c == ':' && rest.get(i + 1).is_none_or(|n| n.is_whitespace());
                c.is_whitespace() || ends_key || matches!(c, ',' | ']' | '}' | '#')
            })
            .unwrap_or(rest.len())
            .max(1),
    }
    .min(rest.len().max(1))
}

#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

/// The diagnostics as a JSON array (errors first).
pub fn render_json(diags: &Diagnostics) -> serde_json::Value {
    let items: Vec<JsonDiagnostic> = diags
        .sorted()
        .into_iter()
        .map(|d| JsonDiagnostic {
            severity: d.severity,
            code: d.code,
            message: &d.message,
            file: d.file.as_ref().map(|f| f.path.as_str()),
            line: d.pos.map(|p| p.line),
            column: d.pos.map(|p| p.col),
            field: d.field.as_deref(),
            help: d.help.as_deref(),
        })
        .collect();
    serde_json::to_value(items).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;
    use crate::yaml::Pos;

    #[test]
    fn quotes_the_line_and_underlines_the_token() {
        let f = SourceFile::new("m.yml", "sidecars:\n  nginx:\n    imge: nginx\n");
        let mut ds = Diagnostics::new();
        ds.push(
            Diagnostic::error("unknown-key", "unknown key \"imge\"")
                .at(&f, Pos::new(3, 5))
                .field("sidecars.nginx.imge")
                .help("did you mean \"image\"?"),
        );
        let text = render_text(&ds, Palette::PLAIN);
        assert!(text.contains("error: unknown key \"imge\""), "{text}");
        assert!(
            text.contains("--> m.yml:3:5 (sidecars.nginx.imge)"),
            "{text}"
        );
        assert!(text.contains("3 |     imge: nginx"), "{text}");
        assert!(text.contains("|     ^^^^ did you mean"), "{text}");
        assert!(text.ends_with("1 error\n"), "{text}");
    }

    #[test]
    fn json_has_positions() {
        let f = SourceFile::new("m.yml", "a: 1\n");
        let mut ds = Diagnostics::new();
        ds.push(
            Diagnostic::warning("w", "careful")
                .at(&f, Pos::new(1, 4))
                .field("a"),
        );
        let v = render_json(&ds);
        assert_eq!(v[0]["line"], 1);
        assert_eq!(v[0]["column"], 4);
        assert_eq!(v[0]["field"], "a");
        assert_eq!(v[0]["severity"], "warning");
    }
}
