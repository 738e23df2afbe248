//! Diagnostics as text for people (the source line with the field marked,
//! drawn by annotate-snippets, which measures wide characters right) and as
//! JSON for pipelines.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::{Diagnostic, Diagnostics, Severity};
use crate::term::Palette;

/// Renders every diagnostic, errors first, then a one-line summary.
pub fn render_text(diags: &Diagnostics, palette: Palette) -> String {
    let renderer = if palette.enabled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags.sorted() {
        out.push_str(&render_one(d, &renderer));
        out.push_str("\n\n");
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

/// The widest a quoted source line gets.
const MAX_LINE: usize = 160;

fn render_one(d: &Diagnostic, renderer: &Renderer) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut help_shown = false;
    let mut group = Group::with_title(level.primary_title(d.message.as_str()));
    match (&d.file, d.pos) {
        (Some(file), Some(pos)) => {
            let line_no = pos.line as usize;
            let line = file
                .text
                .lines()
                .nth(line_no.saturating_sub(1))
                .unwrap_or_default()
                .trim_end_matches('\r');
            let line = cut(line, MAX_LINE);
            let span = token_span(line, pos.col as usize);
            let mut mark = AnnotationKind::Primary.span(span);
            if let Some(h) = &d.help {
                mark = mark.label(h.as_str());
                help_shown = true;
            }
            group = group.element(
                Snippet::source(line)
                    .line_start(line_no)
                    .path(file.path.as_str())
                    .annotation(mark),
            );
        }
        (Some(file), None) => group = group.element(Origin::path(file.path.as_str())),
        _ => {}
    }
    if let Some(field) = &d.field {
        group = group.element(Level::NOTE.with_name("field").message(field.as_str()));
    }
    if let (Some(h), false) = (&d.help, help_shown) {
        group = group.element(Level::HELP.message(h.as_str()));
    }
    renderer.render(&[group])
}

/// At most `max` characters of `line`.
fn cut(line: &str, max: usize) -> &str {
    match line.char_indices().nth(max) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

/// The byte range of the token at 1-based character column `col`: a quoted
/// string to its closing quote, otherwise up to a space, a colon that ends a
/// key, or a flow indicator.
fn token_span(line: &str, col: usize) -> std::ops::Range<usize> {
    let start = line
        .char_indices()
        .nth(col.max(1) - 1)
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let mut chars = rest.char_indices().peekable();
    let len = match chars.peek() {
        None => 0,
        Some(&(_, q @ ('"' | '\''))) => rest[1..].find(q).map_or(rest.len(), |i| i + 2),
        Some(_) => {
            let mut end = rest.len();
            while let Some((i, c)) = chars.next() {
                let ends_key = c == ':' && chars.peek().is_none_or(|(_, n)| n.is_whitespace());
                if c.is_whitespace() || ends_key || matches!(c, ',' | ']' | '}' | '#') {
                    end = i;
                    break;
                }
            }
            end.max(rest.chars().next().map_or(0, char::len_utf8))
        }
    };
    start..start + len
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

    fn one(d: Diagnostic) -> String {
        render_text(&Diagnostics::from(vec![d]), Palette::PLAIN)
    }

    #[test]
    fn quotes_the_line_and_underlines_the_token() {
        let f = SourceFile::new("m.yml", "sidecars:\n  nginx:\n    imge: nginx\n");
        let text = one(Diagnostic::error("unknown-key", "unknown key \"imge\"")
            .at(&f, Pos::new(3, 5))
            .field("sidecars.nginx.imge")
            .help("did you mean \"image\"?"));
        assert!(text.contains("error: unknown key \"imge\""), "{text}");
        assert!(text.contains("--> m.yml:3:5"), "{text}");
        assert!(text.contains("3 |     imge: nginx"), "{text}");
        assert!(
            text.contains("|     ^^^^ did you mean \"image\"?"),
            "{text}"
        );
        assert!(text.contains("= field: sidecars.nginx.imge"), "{text}");
        assert!(text.ends_with("1 error\n"), "{text}");
    }

    #[test]
    fn carets_stand_under_the_token_after_wide_characters() {
        // 日本語 is three characters, six columns wide.
        let f = SourceFile::new("m.yml", "a:\n  日本語: bad value\n");
        let text = one(Diagnostic::error("x", "bad").at(&f, Pos::new(2, 8)));
        let line = text.lines().find(|l| l.contains("日本語")).unwrap();
        let carets = text.lines().find(|l| l.contains('^')).unwrap();
        let col = |s: &str, at: usize| unicode_width::UnicodeWidthStr::width(&s[..at]);
        assert_eq!(
            col(carets, carets.find('^').unwrap()),
            col(line, line.find("bad").unwrap()),
            "{text}"
        );
        assert_eq!(carets.matches('^').count(), 3, "{text}");
    }

    #[test]
    fn diagnostics_without_a_place_still_show_their_help() {
        let text = one(Diagnostic::error("no-app", "no application name").help("pass --app"));
        assert!(text.contains("error: no application name"), "{text}");
        assert!(text.contains("help: pass --app"), "{text}");
    }

    #[test]
    fn tokens() {
        assert_eq!(token_span("  image: nginx:1", 3), 2..7);
        assert_eq!(token_span("  key: \"quoted value\"", 8), 7..21);
        assert_eq!(token_span("  - source_volume: dta", 20), 19..22);
        assert_eq!(token_span("x", 9), 1..1);
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
