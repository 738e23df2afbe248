//! Typed reading of a YAML tree that reports every problem, not the first.
//!
//! A [`Decoder`] walks the tree of one file; each reader returns `None` and
//! records a diagnostic (with position and field path) when a value has the
//! wrong shape. [`Fields`] takes a map's keys one by one and, at the end, turns
//! every key nobody took into an "unknown key" error with a suggestion, or into a
//! note that Copilot knows the key but sidecarctl does not act on it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::parse_go_duration;
use crate::diag::{Diagnostic, Diagnostics, SourceFile, did_you_mean};
use crate::yaml::{Key, Node, Pos, Value};

/// A value with the place it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub pos: Pos,
    /// Field path, as in `sidecars.nginx.port`.
    pub path: String,
}

impl<T> At<T> {
    pub fn new(value: T, pos: Pos, path: impl Into<String>) -> Self {
        At {
            value,
            pos,
            path: path.into(),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> At<U> {
        At {
            value: f(self.value),
            pos: self.pos,
            path: self.path,
        }
    }
}

impl<T> std::ops::Deref for At<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

pub struct Decoder {
    pub file: Arc<SourceFile>,
    pub diags: Diagnostics,
    /// Keys Copilot knows that sidecarctl reads but does not act on.
    pub ignored: Vec<(String, Pos)>,
}

impl Decoder {
    pub fn new(file: Arc<SourceFile>) -> Self {
        Decoder {
            file,
            diags: Diagnostics::new(),
            ignored: Vec::new(),
        }
    }

    pub fn error(&mut self, code: &'static str, message: impl Into<String>, pos: Pos, path: &str) {
        self.diags.push(
            Diagnostic::error(code, message)
                .at(&self.file, pos)
                .field(path),
        );
    }

    pub fn error_help(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
        pos: Pos,
        path: &str,
    ) {
        self.diags.push(
            Diagnostic::error(code, message)
                .at(&self.file, pos)
                .field(path)
                .help(help),
        );
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        if node.tag.as_deref() == Some(crate::yaml::UNRESOLVED) {
            return; // its ${VAR} was reported already
        }
        self.error(
            "wrong-type",
            format!("expected {expected}, found {}", node.kind()),
            node.pos,
            path,
        );
    }

    /// A map's fields; `None` (after an error) when the node is not a map.
    /// An empty value (`sidecars:`) reads as an empty map.
    pub fn fields<'n>(&mut self, node: &'n Node, path: &str) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Fields {
                entries,
                used: vec![false; entries.len()],
                path: path.to_string(),
                pos: node.pos,
            }),
            Value::Null => Some(Fields {
                entries: &[],
                used: Vec::new(),
                path: path.to_string(),
                pos: node.pos,
            }),
            _ => {
                self.wrong_type(node, path, "a map");
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<At<String>> {
        match node.scalar_text() {
            Some(s) => Some(At::new(s, node.pos, path)),
            None => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<At<bool>> {
        match node.value {
            Value::Bool(b) => Some(At::new(b, node.pos, path)),
            _ => {
                self.wrong_type(node, path, "true or false");
                None
            }
        }
    }

    /// An integer within `min..=max`.
    pub fn int(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<At<i64>> {
        match node.value {
            Value::Int(i) if (min..=max).contains(&i) => Some(At::new(i, node.pos, path)),
            Value::Int(i) => {
                self.error(
                    "out-of-range",
                    format!("{i} is out of range: expected {min} to {max}"),
                    node.pos,
                    path,
                );
                None
            }
            _ => {
                self.wrong_type(node, path, "an integer");
                None
            }
        }
    }

    /// The items of a list; `what` names them in the error when it is not one.
    pub fn list<'n>(&mut self, node: &'n Node, path: &str, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.wrong_type(node, path, &format!("a list of {what}"));
                None
            }
        }
    }

    /// A list of strings (scalars read as text).
    pub fn strings(&mut self, node: &Node, path: &str) -> Option<At<Vec<String>>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, path, "a list of strings");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.string(item, &index(path, i)) {
                Some(s) => out.push(s.value),
                None => ok = false,
            }
        }
        ok.then(|| At::new(out, node.pos, path))
    }

    /// A string split as a shell would, or a list taken as is (`entrypoint`, `command`).
    pub fn words(&mut self, node: &Node, path: &str) -> Option<At<Vec<String>>> {
        if let Value::Seq(_) = node.value {
            return self.strings(node, path);
        }
        let s = self.string(node, path)?;
        match shell_words::split(&s.value) {
            Ok(words) => Some(At::new(words, node.pos, path)),
            Err(e) => {
                self.error(
                    "bad-command",
                    format!("cannot split {:?}: {e}", s.value),
                    node.pos,
                    path,
                );
                None
            }
        }
    }

    /// A map of names to strings (`variables`, `labels`, `destination`).
    pub fn string_map(&mut self, node: &Node, path: &str) -> BTreeMap<String, At<String>> {
        let mut out = BTreeMap::new();
        let Some(fields) = self.fields(node, path) else {
            return out;
        };
        for (key, value) in fields.all() {
            let p = join(path, &key.name);
            if let Some(s) = self.string(value, &p) {
                out.insert(key.name.clone(), s);
            }
        }
        out
    }

    /// A Go-style duration (`10s`, `1m30s`, `500ms`) in whole seconds.
    pub fn duration_secs(&mut self, node: &Node, path: &str) -> Option<At<u32>> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) => {
                self.error_help(
                    "bad-duration",
                    format!(
                        "a duration needs a unit: {}",
                        node.scalar_text().unwrap_or_default()
                    ),
                    "write it as 10s, 1m or 1m30s",
                    node.pos,
                    path,
                );
                return None;
            }
            _ => {
                self.wrong_type(node, path, "a duration such as 10s");
                return None;
            }
        };
        match parse_go_duration(&text) {
            Some(ms) if ms % 1000 == 0 => Some(At::new((ms / 1000) as u32, node.pos, path)),
            Some(_) => {
                self.error(
                    "bad-duration",
                    format!("{text} is not a whole number of seconds"),
                    node.pos,
                    path,
                );
                None
            }
            None => {
                self.error_help(
                    "bad-duration",
                    format!("cannot read {text:?} as a duration"),
                    "write it as 10s, 1m or 1m30s",
                    node.pos,
                    path,
                );
                None
            }
        }
    }

    /// Notes a key Copilot knows that sidecarctl reads but does not act on.
    pub fn ignore(&mut self, path: String, pos: Pos) {
        self.ignored.push((path, pos));
    }
}

/// The keys of one map, taken one by one.
pub struct Fields<'n> {
    entries: &'n [(Key, Node)],
    used: Vec<bool>,
    pub path: String,
    pub pos: Pos,
}

impl<'n> Fields<'n> {
    /// The value under `key`, if present and not empty.
    pub fn take(&mut self, key: &str) -> Option<&'n Node> {
        self.take_entry(key).map(|(_, v)| v)
    }

    /// The key and value under `key`, if present and not empty.
    pub fn take_entry(&mut self, key: &str) -> Option<(&'n Key, &'n Node)> {
        let i = self.entries.iter().position(|(k, _)| k.name == key)?;
        self.used[i] = true;
        let (k, v) = &self.entries[i];
        (!v.is_null()).then_some((k, v))
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|(k, v)| k.name == key && !v.is_null())
    }

    /// Every entry, all marked taken (for maps of user-chosen names).
    pub fn all(mut self) -> impl Iterator<Item = (&'n Key, &'n Node)> {
        self.used.iter_mut().for_each(|u| *u = true);
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Ends the map: `known` are the keys this reader takes, `ignored` the keys
    /// Copilot knows that are accepted without effect. Anything else is an error,
    /// except top-level `x-` keys, the usual home of YAML anchors.
    pub fn finish(self, d: &mut Decoder, known: &[&str], ignored: &[&str]) {
        for (i, (key, _)) in self.entries.iter().enumerate() {
            if self.used[i] || (self.path.is_empty() && key.name.starts_with("x-")) {
                continue;
            }
            let path = join(&self.path, &key.name);
            if ignored.contains(&key.name.as_str()) {
                d.ignore(path, key.pos);
                continue;
            }
            let candidates = known.iter().chain(ignored.iter()).copied();
            let mut diag =
                Diagnostic::error("unknown-key", format!("unknown key \"{}\"", key.name))
                    .at(&d.file, key.pos)
                    .field(path);
            diag = match did_you_mean(&key.name, candidates) {
                Some(s) => diag.help(format!("did you mean \"{s}\"?")),
                None => diag.help(format!(
                    "{} takes: {}",
                    if self.path.is_empty() {
                        "the manifest"
                    } else {
                        &self.path
                    },
                    known.join(", ")
                )),
            };
            d.diags.push(diag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn decoder() -> Decoder {
        Decoder::new(SourceFile::new("m.yml", ""))
    }

    #[test]
    fn unknown_keys_suggest_and_known_copilot_keys_are_noted() {
        let n = parse("imge: x\nexec: true\nport: 80\n").unwrap();
        let mut d = decoder();
        let mut f = d.fields(&n, "sidecars.nginx").unwrap();
        assert!(f.take("port").is_some());
        f.finish(&mut d, &["image", "port"], &["exec"]);
        let errs: Vec<_> = d.diags.iter().collect();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field.as_deref(), Some("sidecars.nginx.imge"));
        assert_eq!(errs[0].help.as_deref(), Some("did you mean \"image\"?"));
        assert_eq!(
            d.ignored,
            vec![("sidecars.nginx.exec".to_string(), Pos::new(2, 1))]
        );
    }

    #[test]
    fn wrong_types_are_reported_with_positions() {
        let n = parse("a: [1]\nb: x\n").unwrap();
        let mut d = decoder();
        assert!(d.string(n.get("a").unwrap(), "a").is_none());
        assert!(d.int(n.get("b").unwrap(), "b", 0, 10).is_none());
        let msgs: Vec<_> = d.diags.iter().map(|x| (x.message.clone(), x.pos)).collect();
        assert_eq!(
            msgs[0],
            (
                "expected a string, found a list".into(),
                Some(Pos::new(1, 4))
            )
        );
        assert_eq!(
            msgs[1],
            (
                "expected an integer, found a string".into(),
                Some(Pos::new(2, 4))
            )
        );
    }

    #[test]
    fn words_split_like_a_shell() {
        let n = parse("a: /bin/entrypoint --p1 'two words'\nb: [ps, au]\n").unwrap();
        let mut d = decoder();
        assert_eq!(
            d.words(n.get("a").unwrap(), "a").unwrap().value,
            vec!["/bin/entrypoint", "--p1", "two words"]
        );
        assert_eq!(
            d.words(n.get("b").unwrap(), "b").unwrap().value,
            vec!["ps", "au"]
        );
    }
}
