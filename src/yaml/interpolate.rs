//! `${VAR}` substitution in scalar values, as Copilot does it.
//!
//! Names are `[_a-zA-Z][_a-zA-Z0-9]*`; `\${VAR}` stays literal (without the
//! backslash). A value that becomes a JSON list of strings after substitution
//! becomes a YAML list (`subnets: ${SUBNETS}` with `SUBNETS='["a","b"]'`).
//! Map keys are never substituted.

use super::{Node, Pos, Value};

/// The tag of a value whose `${VAR}` could not be substituted.
pub const UNRESOLVED: &str = "!unresolved";

/// A variable that could not be substituted.
#[derive(Debug, Clone, PartialEq)]
pub struct InterpolationError {
    pub message: String,
    pub pos: Pos,
    /// The field path, as in `sidecars.nginx.variables.TAG`.
    pub path: String,
}

/// Substitutes variables in every scalar value under `node`, looking names up
/// with `lookup`. `predefined` names (the app and environment) win, and an OS
/// variable that disagrees with one of them is an error. Returns every problem,
/// each at its `${` in `src` (the text `node` was parsed from).
pub fn interpolate(
    node: &mut Node,
    src: &str,
    predefined: &[(&str, &str)],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<InterpolationError> {
    let mut errors = Vec::new();
    let cx = Walk {
        src: Source::new(src),
        predefined,
        lookup,
    };
    walk(node, "", &cx, &mut errors);
    errors
}

struct Walk<'a> {
    src: Source<'a>,
    predefined: &'a [(&'a str, &'a str)],
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

/// Source text with its lines indexed, to turn positions into offsets and back.
struct Source<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source { text, line_starts }
    }

    fn offset(&self, p: Pos) -> Option<usize> {
        let start = *self.line_starts.get((p.line as usize).checked_sub(1)?)?;
        let line = &self.text[start..];
        let col = (p.col as usize).checked_sub(1)?;
        Some(start + line.char_indices().nth(col).map_or(line.len(), |(i, _)| i))
    }

    fn pos(&self, offset: usize) -> Pos {
        let line = self.line_starts.partition_point(|s| *s <= offset);
        let start = self.line_starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        Pos::new(line as u32, col as u32)
    }

    /// Where the `nth` `${` of a value that begins at `from` is written.
    fn nth_variable(&self, from: Pos, nth: usize) -> Option<Pos> {
        let start = self.offset(from)?;
        let (at, _) = self.text[start..].match_indices("${").nth(nth)?;
        Some(self.pos(start + at))
    }
}

fn walk(node: &mut Node, path: &str, cx: &Walk, errors: &mut Vec<InterpolationError>) {
    match &mut node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let p = if path.is_empty() {
                    k.name.clone()
                } else {
                    format!("{path}.{}", k.name)
                };
                walk(v, &p, cx, errors);
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                walk(v, &format!("{path}[{i}]"), cx, errors);
            }
        }
        Value::Str(s) => {
            if !s.contains("${") {
                return;
            }
            match substitute(s, cx.predefined, cx.lookup) {
                Ok(Some(out)) => {
                    node.value = as_list(&out, node.pos).unwrap_or(Value::Str(out));
                }
                Ok(None) => {}
                Err(messages) => {
                    errors.extend(
                        messages
                            .into_iter()
                            .map(|(message, nth)| InterpolationError {
                                message,
                                pos: cx.src.nth_variable(node.pos, nth).unwrap_or(node.pos),
                                path: path.to_string(),
                            }),
                    );
                    // Reported once here; later readers see no value and say nothing.
                    node.value = Value::Null;
                    node.tag = Some(UNRESOLVED.to_string());
                }
            }
        }
        _ => {}
    }
}

fn as_list(s: &str, pos: Pos) -> Option<Value> {
    let items: Vec<String> = serde_json::from_str(s).ok()?;
    if items.is_empty() {
        return None;
    }
    Some(Value::Seq(
        items
            .into_iter()
            .map(|i| Node::new(Value::Str(i), pos))
            .collect(),
    ))
}

/// Returns the substituted text, `None` when nothing needed substituting
/// (escapes aside), or every error in the string with which `${` of it (0 for
/// the first) it is about.
fn substitute(
    s: &str,
    predefined: &[(&str, &str)],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, Vec<(String, usize)>> {
    let mut out = String::with_capacity(s.len());
    let mut errors = Vec::new();
    let mut changed = false;
    let mut rest = s;
    let mut nth = 0;
    while let Some(at) = rest.find("${") {
        let this = nth;
        nth += 1;
        let (before, from) = rest.split_at(at);
        let escaped = before.ends_with('\\');
        let name_len = var_name_len(&from[2..]);
        let closed = name_len > 0 && from[2 + name_len..].starts_with('}');
        if !closed {
            // Copilot substitutes ${NAME} only and leaves any other ${...} as
            // it is: a literal that would reach a container. Escaped, it is
            // what the author wants (and Copilot keeps the backslash too).
            if !escaped {
                errors.push((not_a_variable(from), this));
            }
            out.push_str(before);
            out.push_str("${");
            rest = &from[2..];
            continue;
        }
        if !escaped && before.ends_with('$') {
            let name = &from[2..2 + name_len];
            errors.push((
                format!(
                    "$${{{name}}}: Copilot substitutes ${{{name}}} and keeps the $ before it; it does not read $$ as an escape"
                ),
                this,
            ));
        }
        let name = &from[2..2 + name_len];
        rest = &from[3 + name_len..];
        changed = true;
        if escaped {
            out.push_str(&before[..before.len() - 1]);
            out.push_str("${");
            out.push_str(name);
            out.push('}');
            continue;
        }
        out.push_str(before);
        let pre = predefined.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let os = lookup(name);
        match (pre, os) {
            (Some(p), Some(o)) if p != o => errors.push((format!(
                "predefined variable \"{name}\" cannot be overridden by an environment variable of the same name (\"{p}\" here, \"{o}\" in the environment)"
            ), this)),
            (Some(p), _) => out.push_str(p),
            (None, Some(o)) => out.push_str(&o),
            (None, None) => errors.push((format!("environment variable \"{name}\" is not defined"), this)),
        }
    }
    out.push_str(rest);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(changed.then_some(out))
}

/// The error for a `${...}` that is not `${NAME}`: the form, as written.
fn not_a_variable(from: &str) -> String {
    let form: String = match from.find('}') {
        Some(end) if end <= 40 => from[..=end].to_string(),
        _ => format!("{}…", from.chars().take(12).collect::<String>()),
    };
    let why = match from[2..].chars().next() {
        None => "it is not closed".to_string(),
        Some('}') => "it names nothing".to_string(),
        Some(c) if c.is_whitespace() => "a name cannot have spaces around it".to_string(),
        _ if !from.contains('}') => "it is not closed".to_string(),
        _ if from[2..].starts_with(|c: char| c.is_ascii_digit()) => {
            "a name cannot start with a digit".to_string()
        }
        _ => "defaults and other shell forms are not substituted".to_string(),
    };
    format!("{form} is not a variable Copilot substitutes: {why}")
}

fn var_name_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.is_empty() || !(b[0].is_ascii_alphabetic() || b[0] == b'_') {
        return 0;
    }
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn run(src: &str, vars: &[(&str, &str)]) -> (Node, Vec<InterpolationError>) {
        let mut n = parse(src).unwrap();
        let owned: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let errs = interpolate(
            &mut n,
            src,
            &[("COPILOT_ENVIRONMENT_NAME", "test")],
            &lookup,
        );
        (n, errs)
    }

    #[test]
    fn substitutes_os_and_predefined_variables() {
        let (n, errs) = run(
            "a: ${TAG}-x\nb: ${COPILOT_ENVIRONMENT_NAME}\n",
            &[("TAG", "v1")],
        );
        assert!(errs.is_empty());
        assert_eq!(n.get("a").unwrap().as_str(), Some("v1-x"));
        assert_eq!(n.get("b").unwrap().as_str(), Some("test"));
    }

    #[test]
    fn escaped_variables_stay_literal() {
        let (n, errs) = run("a: \\${TAG} and ${TAG}\n", &[("TAG", "v1")]);
        assert!(errs.is_empty());
        assert_eq!(n.get("a").unwrap().as_str(), Some("${TAG} and v1"));
    }

    #[test]
    fn undefined_variables_are_all_reported_with_positions() {
        let (_, errs) = run("a: ${NOPE}\nb:\n  c: ${ALSO_NOPE}\n", &[]);
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[1].pos, Pos::new(3, 6));
        assert!(errs[0].message.contains("\"NOPE\" is not defined"));
    }

    #[test]
    fn each_error_points_at_its_own_variable() {
        let (_, errs) = run(
            "image:\n  location: ${REGISTRY}/app:${TAG}\nq: \"x-${A}-${B}\"\nb: |\n  one ${C}\n  two ${D}\n",
            &[],
        );
        let at: Vec<(String, Pos)> = errs
            .iter()
            .map(|e| (e.message.split('"').nth(1).unwrap().to_string(), e.pos))
            .collect();
        assert_eq!(
            at,
            [
                ("REGISTRY".into(), Pos::new(2, 13)),
                ("TAG".into(), Pos::new(2, 29)),
                ("A".into(), Pos::new(3, 7)),
                ("B".into(), Pos::new(3, 12)),
                ("C".into(), Pos::new(5, 7)),
                ("D".into(), Pos::new(6, 7)),
            ]
        );
    }

    #[test]
    fn predefined_names_cannot_be_overridden() {
        let (_, errs) = run(
            "a: ${COPILOT_ENVIRONMENT_NAME}\n",
            &[("COPILOT_ENVIRONMENT_NAME", "prod")],
        );
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn json_lists_become_yaml_lists_and_keys_are_untouched() {
        let (n, errs) = run("${K}: ${L}\n", &[("L", "[\"a\",\"b\"]"), ("K", "x")]);
        assert!(errs.is_empty());
        match &n.get("${K}").unwrap().value {
            Value::Seq(items) => assert_eq!(items.len(), 2),
            other => panic!("expected a list, got {other:?}"),
        }
    }

    #[test]
    fn only_name_forms_are_variables_and_every_other_form_is_an_error() {
        let (_, errs) = run(
            "a: ${X:-default}\nb: ${ HOME }\nc: ${FOO\nd: ${}\ne: $${HOME}\nf: ${1X}\n",
            &[("HOME", "/root"), ("X", "1")],
        );
        let got: Vec<(u32, &str)> = errs
            .iter()
            .map(|e| (e.pos.line, e.message.as_str()))
            .collect();
        assert_eq!(got.len(), 6, "{got:#?}");
        assert!(
            got[0].1.starts_with("${X:-default} is not a variable"),
            "{got:#?}"
        );
        assert!(got[1].1.contains("spaces"), "{got:#?}");
        assert!(got[2].1.contains("not closed"), "{got:#?}");
        assert!(got[3].1.contains("names nothing"), "{got:#?}");
        assert!(
            got[4].1.contains("does not read $$ as an escape"),
            "{got:#?}"
        );
        assert!(got[5].1.contains("start with a digit"), "{got:#?}");
    }

    #[test]
    fn escaped_and_plain_dollars_are_left_alone() {
        let (n, errs) = run("a: \"$HOME costs $5\"\nb: \\${X:-d}\n", &[]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(n.get("a").unwrap().as_str(), Some("$HOME costs $5"));
        assert_eq!(
            n.get("b").unwrap().as_str(),
            Some("\\${X:-d}"),
            "as Copilot leaves it"
        );
    }
}
