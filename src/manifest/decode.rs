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
use crate::diag::{Diagnostic, Diagnostics, SourceFile, UNKNOWN_KEY, did_you_mean};
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
    match (path.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (false, true) => path.to_string(),
        (false, false) => format!("{path}.{key}"),
    }
}

pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Where an environment's overrides were written: values read from there are
/// reported under `environments.{env}.…`, where the user wrote them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideSpan {
    pub env: String,
    /// The lines of `environments.{env}:` and its block.
    pub lines: std::ops::RangeInclusive<u32>,
}

pub struct Decoder {
    pub file: Arc<SourceFile>,
    pub diags: Diagnostics,
    /// Keys Copilot knows that sidecarctl reads but does not act on.
    pub ignored: Vec<(String, Pos)>,
    overrides: Option<OverrideSpan>,
}

impl Decoder {
    pub fn new(file: Arc<SourceFile>) -> Self {
        Decoder {
            file,
            diags: Diagnostics::new(),
            ignored: Vec::new(),
            overrides: None,
        }
    }

    /// Reads a manifest whose `environments.{env}` overrides were merged in.
    pub fn with_overrides(mut self, span: Option<OverrideSpan>) -> Self {
        self.overrides = span;
        self
    }

    /// The field path of a value written at `pos`: as given, or under
    /// `environments.{env}` when the value came from that environment's overrides.
    pub fn path_at(&self, pos: Pos, path: &str) -> String {
        match &self.overrides {
            Some(o) if o.lines.contains(&pos.line) => {
                join(&format!("environments.{}", o.env), path)
            }
            _ => path.to_string(),
        }
    }

    /// A value with where it was written.
    pub fn at<T>(&self, value: T, pos: Pos, path: &str) -> At<T> {
        At::new(value, pos, self.path_at(pos, path))
    }

    pub fn error(&mut self, code: &'static str, message: impl Into<String>, pos: Pos, path: &str) {
        let path = self.path_at(pos, path);
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
        self.push_at(Diagnostic::error(code, message).help(help), pos, path);
    }

    /// A value Copilot accepts and does nothing with: a warning at it.
    pub fn warning_help(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
        pos: Pos,
        path: &str,
    ) {
        self.push_at(Diagnostic::warning(code, message).help(help), pos, path);
    }

    /// `d` at `pos`, with the field's path.
    fn push_at(&mut self, d: Diagnostic, pos: Pos, path: &str) {
        let path = self.path_at(pos, path);
        self.diags.push(d.at(&self.file, pos).field(path));
    }

    pub fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        if node.tag.as_deref() == Some(crate::yaml::UNRESOLVED) {
            return; // its ${VAR} was reported already
        }
        self.error(
            "wrong-type",
            format!("expected {expected}, found {}", found(node)),
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
                known: Vec::new(),
                path: path.to_string(),
                pos: node.pos,
            }),
            Value::Null => Some(Fields {
                entries: &[],
                used: Vec::new(),
                known: Vec::new(),
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
            Some(s) => Some(self.at(s, node.pos, path)),
            None => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<At<bool>> {
        match node.value {
            Value::Bool(b) => Some(self.at(b, node.pos, path)),
            _ => {
                self.wrong_type(node, path, "true or false");
                None
            }
        }
    }

    /// An integer within `min..=max`.
    pub fn int(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<At<i64>> {
        match node.value {
            Value::Int(i) if (min..=max).contains(&i) => Some(self.at(i, node.pos, path)),
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
        ok.then(|| self.at(out, node.pos, path))
    }

    /// A string split as a shell would, or a list taken as is (`entrypoint`, `command`).
    pub fn words(&mut self, node: &Node, path: &str) -> Option<At<Vec<String>>> {
        if let Value::Seq(_) = node.value {
            return self.strings(node, path);
        }
        let s = self.string(node, path)?;
        match shell_words::split(&s.value) {
            Ok(words) => Some(self.at(words, node.pos, path)),
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
            Some(ms) if ms % 1000 == 0 => match u32::try_from(ms / 1000) {
                Ok(secs) => Some(self.at(secs, node.pos, path)),
                Err(_) => {
                    self.error(
                        "out-of-range",
                        format!("{text} is too long a duration"),
                        node.pos,
                        path,
                    );
                    None
                }
            },
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
        let path = self.path_at(pos, &path);
        self.ignored.push((path, pos));
    }
}

/// What a node holds, for "expected X, found Y": scalars with their value.
fn found(node: &Node) -> String {
    let text = node.scalar_text().unwrap_or_default();
    let short: String = text.chars().take(40).collect();
    let short = if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    };
    match &node.value {
        Value::Int(_) => format!("the integer {short}"),
        Value::Float(_) => format!("the number {short}"),
        Value::Bool(_) => format!("the boolean {short}"),
        Value::Str(_) => format!("the string {short:?}"),
        _ => node.kind().to_string(),
    }
}

/// Characters that do not show: a key holding one looks right and is not.
fn invisible(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' => "NO-BREAK SPACE",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{180E}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}'..='\u{202E}' => "a bidirectional formatting character",
        '\u{202F}' => "NARROW NO-BREAK SPACE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}'..='\u{2069}' => "a bidirectional isolate",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE (a byte-order mark)",
        c if c.is_control() => "a control character",
        _ => return None,
    })
}

/// What is wrong with a key that holds invisible characters, if it does:
/// `(the key without them, a sentence naming them)`.
fn invisible_in(key: &str) -> Option<(String, String)> {
    let found: Vec<(usize, char, &str)> = key
        .chars()
        .enumerate()
        .filter_map(|(i, c)| invisible(c).map(|name| (i, c, name)))
        .collect();
    let (i, c, name) = *found.first()?;
    let visible: String = key.chars().filter(|c| invisible(*c).is_none()).collect();
    let place = if i == 0 {
        format!("before \"{visible}\"")
    } else {
        format!("after \"{}\"", key.chars().take(i).collect::<String>())
    };
    let more = if found.len() > 1 {
        format!(" (and {} more)", found.len() - 1)
    } else {
        String::new()
    };
    Some((
        visible,
        format!(
            "it contains an invisible character, U+{:04X} {name}, {place}{more}",
            c as u32
        ),
    ))
}

/// The keys of one map, taken one by one. Every key a reader asks for is a
/// key the map takes (whether it is there or not): a key is written once,
/// where it is read, and [`Fields::finish`] knows the map's keys from that.
pub struct Fields<'n> {
    entries: &'n [(Key, Node)],
    used: Vec<bool>,
    /// The keys asked for.
    known: Vec<String>,
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
        if !self.known.iter().any(|k| k == key) {
            self.known.push(key.to_string());
        }
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

    /// Whether `key` is there with a value whose `${VAR}` could not be
    /// substituted (it was reported already; nothing else should be).
    pub fn unresolved(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|(k, v)| k.name == key && v.tag.as_deref() == Some(crate::yaml::UNRESOLVED))
    }

    /// Ends the map: the keys taken are the map's, `ignored` the keys
    /// Copilot knows that are accepted without effect. Any other key is one
    /// Copilot's decoder ignores (it reads manifests leniently): a warning
    /// (`unknown-key`, an error under `--strict`) that says so, with where
    /// Copilot reads a misplaced key or "did you mean". Top-level `x-` keys,
    /// the usual home of YAML anchors, are free.
    pub fn finish(self, d: &mut Decoder, ignored: &[&str]) {
        let known: Vec<&str> = self.known.iter().map(String::as_str).collect();
        for (i, (key, _)) in self.entries.iter().enumerate() {
            if self.used[i] || (self.path.is_empty() && key.name.starts_with("x-")) {
                continue;
            }
            let path = join(&self.path, &key.name);
            if ignored.contains(&key.name.as_str()) {
                d.ignore(path, key.pos);
                continue;
            }
            let candidates: Vec<&str> = known.iter().chain(ignored.iter()).copied().collect();
            let shown = d.path_at(key.pos, &path);
            let map = d.path_at(key.pos, &self.path);
            let diag = unknown_key(&key.name, &map, &candidates);
            d.diags.push(diag.at(&d.file, key.pos).field(shown));
        }
    }
}

/// The warning for a key Copilot's decoder ignores in the map `map` (its
/// path as shown, `environments.{env}…` for an override), whose keys are
/// `candidates`.
fn unknown_key(key: &str, map: &str, candidates: &[&str]) -> Diagnostic {
    let name = if map.is_empty() {
        "the manifest".to_string()
    } else {
        map.to_string()
    };
    let takes = || format!("{name} takes: {}", candidates.join(", "));
    let moved = misplaced(map, key);
    let meaning = moved
        .as_ref()
        .map(|(_, m)| m.clone())
        .unwrap_or_else(|| meaning_in(map));
    let (message, help) = match invisible_in(key) {
        Some((visible, why)) => {
            let help = if candidates.contains(&visible.as_str()) {
                format!("delete the invisible character and write \"{visible}\"")
            } else {
                takes()
            };
            (format!("unknown key {key:?}: {why}"), help)
        }
        None => {
            let help = match (&moved, did_you_mean(key, candidates.iter().copied())) {
                (Some((to, _)), _) => format!("Copilot reads it as {to}: move it there"),
                (None, Some(s)) => format!("did you mean \"{s}\"?"),
                (None, None) => takes(),
            };
            (format!("unknown key \"{key}\""), help)
        }
    };
    Diagnostic::warning(
        UNKNOWN_KEY,
        format!("{message}; Copilot ignores it too: {meaning}"),
    )
    .help(help)
}

/// What a key Copilot ignores in `map` means for what is deployed.
fn meaning_in(map: &str) -> String {
    let env = map
        .strip_prefix("environments.")
        .filter(|rest| !rest.contains('.'));
    match env {
        Some(env) => format!("it overrides nothing in {env}"),
        None if map.ends_with("healthcheck") => {
            "the health check keeps its defaults for what it would set".to_string()
        }
        None => "it changes nothing in what is deployed".to_string(),
    }
}

/// Keys Copilot reads somewhere else than where they were written, as found
/// in real manifests: where Copilot reads it, and what writing it here means.
fn misplaced(map: &str, key: &str) -> Option<(String, String)> {
    const LB_HEALTH: [&str; 6] = [
        "healthy_threshold",
        "unhealthy_threshold",
        "interval",
        "timeout",
        "success_codes",
        "grace_period",
    ];
    let leaf = map.rsplit('.').next().unwrap_or(map);
    let rule = leaf == "http" || leaf.starts_with("additional_rules[");
    let found = if rule && LB_HEALTH.contains(&key) {
        (
            format!("{map}.healthcheck.{key}"),
            "the load balancer's health check keeps its defaults".to_string(),
        )
    } else if leaf == "count" && key == "spot_from" {
        (
            format!("{map}.range.spot_from"),
            "no task is placed on Fargate Spot".to_string(),
        )
    } else if leaf == "image"
        && ["context", "dockerfile", "target", "args", "cache_from"].contains(&key)
    {
        (
            format!("{map}.build.{key}"),
            "nothing is built with it".to_string(),
        )
    } else if leaf == "healthcheck" && map.ends_with("http.healthcheck") && key == "retries" {
        (
            format!(
                "{map}.unhealthy_threshold (retries is the container health check's, image.healthcheck.retries)"
            ),
            "the load balancer's health check keeps its defaults".to_string(),
        )
    } else if let Some(env) = map
        .strip_prefix("environments.")
        .filter(|e| !e.contains('.'))
        && is_variable_name(key)
    {
        (
            format!("environments.{env}.variables.{key}"),
            format!("{env} gets no variable {key} from it"),
        )
    } else {
        return None;
    };
    Some(found)
}

/// A name written like an environment variable (`LOG_LEVEL`), not like a
/// manifest key (`log_level`).
fn is_variable_name(key: &str) -> bool {
    key.chars().any(|c| c.is_ascii_uppercase())
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
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
        assert!(f.take("image").is_none(), "asked for: a key the map takes");
        assert!(f.take("port").is_some());
        f.finish(&mut d, &["exec"]);
        let errs: Vec<_> = d.diags.iter().collect();
        assert_eq!(errs.len(), 1);
        assert!(
            !errs[0].is_error(),
            "Copilot ignores unknown keys: a warning"
        );
        assert_eq!(
            errs[0].message,
            "unknown key \"imge\"; Copilot ignores it too: it changes nothing in what is deployed"
        );
        assert_eq!(errs[0].field.as_deref(), Some("sidecars.nginx.imge"));
        assert_eq!(errs[0].help.as_deref(), Some("did you mean \"image\"?"));
        assert!(d.diags.clone().strict().has_errors(), "--strict: an error");
        assert_eq!(
            d.ignored,
            vec![("sidecars.nginx.exec".to_string(), Pos::new(2, 1))]
        );
    }

    #[test]
    fn values_from_an_environments_overrides_are_reported_there() {
        let src = "cpu: 256\nenvironments:\n  test:\n    cpu: 0.5\n    PORT: 80\n";
        let n = parse(src).unwrap();
        let span = OverrideSpan {
            env: "test".into(),
            lines: 3..=5,
        };
        let mut d = decoder().with_overrides(Some(span));
        let over = n.get("environments").unwrap().get("test").unwrap();
        assert!(d.int(over.get("cpu").unwrap(), "cpu", 1, 10).is_none());
        let mut f = d.fields(over, "").unwrap();
        f.take("cpu");
        f.finish(&mut d, &["exec"]);
        let got: Vec<(Option<&str>, &str, Option<&str>)> = d
            .diags
            .iter()
            .map(|x| (x.field.as_deref(), x.message.as_str(), x.help.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some("environments.test.cpu"),
                    "expected an integer, found the number 0.5",
                    None
                ),
                (
                    Some("environments.test.PORT"),
                    "unknown key \"PORT\"; Copilot ignores it too: test gets no variable PORT from it",
                    Some("Copilot reads it as environments.test.variables.PORT: move it there")
                ),
            ]
        );
        // A value outside the block keeps its own path.
        assert_eq!(d.path_at(Pos::new(1, 1), "cpu"), "cpu");
    }

    #[test]
    fn misplaced_keys_say_where_copilot_reads_them_and_what_ignoring_them_means() {
        let cases = [
            (
                "http",
                "healthy_threshold",
                "the load balancer's health check keeps its defaults",
                "http.healthcheck.healthy_threshold",
            ),
            (
                "http.additional_rules[0]",
                "interval",
                "the load balancer's health check keeps its defaults",
                "http.additional_rules[0].healthcheck.interval",
            ),
            (
                "count",
                "spot_from",
                "no task is placed on Fargate Spot",
                "count.range.spot_from",
            ),
            (
                "image",
                "target",
                "nothing is built with it",
                "image.build.target",
            ),
            (
                "http.healthcheck",
                "retries",
                "the load balancer's health check keeps its defaults",
                "http.healthcheck.unhealthy_threshold",
            ),
            (
                "environments.prod",
                "LOG_LEVEL",
                "prod gets no variable LOG_LEVEL from it",
                "environments.prod.variables.LOG_LEVEL",
            ),
        ];
        for (map, key, meaning, to) in cases {
            let d = unknown_key(key, map, &["path"]);
            assert!(d.message.ends_with(meaning), "{map}.{key}: {}", d.message);
            assert!(
                d.help.as_deref().unwrap().contains(to),
                "{map}.{key}: {:?}",
                d.help
            );
        }
        // Not misplaced: the generic meaning and suggestion.
        let d = unknown_key("log_level", "environments.prod", &["variables"]);
        assert!(
            d.message.ends_with("it overrides nothing in prod"),
            "{}",
            d.message
        );
        let d = unknown_key("retries", "image.healthcheck", &["retries"]);
        assert!(
            d.message
                .ends_with("the health check keeps its defaults for what it would set"),
            "{}",
            d.message
        );
    }

    #[test]
    fn takes_lists_name_the_keys_accepted_with_a_warning_too() {
        let n = parse("range: 1-3\nsurprise: 1\n").unwrap();
        let mut d = decoder();
        let mut f = d.fields(&n, "count").unwrap();
        f.take("range");
        f.take("spot");
        f.finish(&mut d, &["cpu_percentage", "requests"]);
        assert_eq!(
            d.diags.iter().next().unwrap().help.as_deref(),
            Some("count takes: range, spot, cpu_percentage, requests")
        );
    }

    #[test]
    fn an_invisible_character_in_a_key_is_named() {
        let n = parse("\u{200B}variables:\n  A: b\n").unwrap();
        let mut d = decoder();
        let mut f = d.fields(&n, "").unwrap();
        f.take("variables");
        f.finish(&mut d, &[]);
        let e = d.diags.iter().next().unwrap();
        assert!(
            e.message
                .contains("U+200B ZERO WIDTH SPACE, before \"variables\""),
            "{}",
            e.message
        );
        assert!(
            !e.message.contains('\u{200B}'),
            "shown escaped: {}",
            e.message
        );
        assert_eq!(
            e.help.as_deref(),
            Some("delete the invisible character and write \"variables\"")
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
                "expected an integer, found the string \"x\"".into(),
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
