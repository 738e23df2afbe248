//! A readable difference between two JSON documents (task definitions, IAM
//! policies): lists of named things (containers, variables, statements) are
//! matched by name, so reordering is not a change.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Added {
        path: String,
        value: String,
    },
    Removed {
        path: String,
        value: String,
    },
    Changed {
        path: String,
        from: String,
        to: String,
    },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Added { path, .. }
            | Change::Removed { path, .. }
            | Change::Changed { path, .. } => path,
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added { path, value } => write!(f, "+ {path}: {value}"),
            Change::Removed { path, value } => write!(f, "- {path}: {value}"),
            Change::Changed { path, from, to } => write!(f, "~ {path}: {from} → {to}"),
        }
    }
}

/// The changes that turn `old` into `new`.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

/// Values longer than this are shortened.
const WIDTH: usize = 120;

fn show(v: &Value) -> String {
    shorten(&v.to_string())
}

fn shorten(s: &str) -> String {
    if s.chars().count() > WIDTH {
        format!("{}…", s.chars().take(WIDTH - 1).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Two long values that differ late (digests, ARNs): the common beginning is
/// elided, so that what changed is what shows.
fn show_pair(old: &Value, new: &Value) -> (String, String) {
    let (a, b) = (old.to_string(), new.to_string());
    if a.chars().count() <= WIDTH && b.chars().count() <= WIDTH {
        return (a, b);
    }
    let common = a
        .char_indices()
        .zip(b.chars())
        .take_while(|((_, x), y)| x == y)
        .last()
        .map_or(0, |((i, c), _)| i + c.len_utf8());
    let keep = a[..common]
        .char_indices()
        .rev()
        .nth(11)
        .map_or(0, |(i, _)| i);
    if common < 24 {
        return (shorten(&a), shorten(&b));
    }
    (
        shorten(&format!("…{}", &a[keep..])),
        shorten(&format!("…{}", &b[keep..])),
    )
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The identity of an element of a list, when the list's elements have one.
fn key_of(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    ["name", "Sid", "containerName", "sourceVolume"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_string))
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, av) in a {
                match b.get(k) {
                    Some(bv) => walk(&join(path, k), av, bv, out),
                    None => out.push(Change::Removed {
                        path: join(path, k),
                        value: show(av),
                    }),
                }
            }
            for (k, bv) in b {
                if !a.contains_key(k) {
                    out.push(Change::Added {
                        path: join(path, k),
                        value: show(bv),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b))
            if !a.is_empty() && !b.is_empty() && a.iter().chain(b).all(|v| key_of(v).is_some()) =>
        {
            for av in a {
                let k = key_of(av).unwrap_or_default();
                let p = format!("{path}[{k}]");
                match b.iter().find(|bv| key_of(bv).as_deref() == Some(&k)) {
                    Some(bv) => walk(&p, av, bv, out),
                    None => out.push(Change::Removed {
                        path: p,
                        value: show(av),
                    }),
                }
            }
            for bv in b {
                let k = key_of(bv).unwrap_or_default();
                if !a.iter().any(|av| key_of(av).as_deref() == Some(&k)) {
                    out.push(Change::Added {
                        path: format!("{path}[{k}]"),
                        value: show(bv),
                    });
                }
            }
        }
        _ => {
            let (from, to) = show_pair(old, new);
            out.push(Change::Changed {
                path: path.to_string(),
                from,
                to,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_lists_match_by_name() {
        let old = json!({"containerDefinitions": [
            {"name": "api", "image": "a:1", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "nginx", "image": "n:1"}
        ]});
        let new = json!({"containerDefinitions": [
            {"name": "nginx", "image": "n:1"},
            {"name": "api", "image": "a:2", "environment": [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]},
            {"name": "proxy", "image": "p:1"}
        ]});
        let lines: Vec<String> = diff(&old, &new).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "- containerDefinitions[api].environment[A]: {\"name\":\"A\",\"value\":\"1\"}",
                "+ containerDefinitions[api].environment[C]: {\"name\":\"C\",\"value\":\"3\"}",
                "~ containerDefinitions[api].image: \"a:1\" → \"a:2\"",
                "+ containerDefinitions[proxy]: {\"image\":\"p:1\",\"name\":\"proxy\"}",
            ]
        );
    }

    #[test]
    fn long_values_that_differ_late_show_the_difference() {
        let base = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo/api@sha256:";
        let old = json!({"image": format!("{base}{}", "a".repeat(64))});
        let new = json!({"image": format!("{base}{}", "b".repeat(64))});
        let c = diff(&old, &new);
        let Change::Changed { from, to, .. } = &c[0] else {
            panic!("{c:?}")
        };
        assert!(
            from.contains("aaaa") && to.contains("bbbb"),
            "{from} → {to}"
        );
        assert_ne!(from, to);
    }

    #[test]
    fn equal_documents_have_no_changes() {
        let v = json!({"a": [1, 2], "b": {"c": "d"}});
        assert!(diff(&v, &v.clone()).is_empty());
        assert_eq!(diff(&json!({"a": [1, 2]}), &json!({"a": [2, 1]})).len(), 1);
    }
}
