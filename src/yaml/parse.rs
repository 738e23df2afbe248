//! serde-saphyr → [`Node`] tree.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Spanned, Tagged};

use super::{Key, Node, Pos, Value};

/// A document that is not YAML, or is too large or too deep to read safely.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub pos: Option<Pos>,
}

/// Nesting deeper than this is refused. Copilot manifests nest about six levels.
const MAX_DEPTH: usize = 64;

/// Parses one YAML document. Anchors, aliases and `<<:` merge keys are expanded;
/// duplicate keys, alias bombs and runaway nesting are errors with a position.
pub fn parse(src: &str) -> Result<Node, ParseError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_events: 2_000_000,
            max_nodes: 250_000,
            max_aliases: 10_000,
            max_documents: 1,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 32,
        },
        with_snippet: false,
    };
    let tree: RawNode =
        serde_saphyr::from_str_with_options(src, options).map_err(|e| convert_error(&e))?;
    build(src, tree)
}

fn convert_error(err: &serde_saphyr::Error) -> ParseError {
    let inner = err.without_snippet();
    let pos = inner
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| Pos::new(l.line() as u32, l.column() as u32));
    let text = inner.to_string();
    // serde-saphyr prefixes "error: line L column C: "; the position is kept separately.
    let message = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let message = match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => {
            rest.to_string()
        }
        _ => message,
    };
    // The position is shown separately: drop a trailing " at line L, column C".
    let message = match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => message[..i].to_string(),
        _ => message,
    };
    let message =
        if message.starts_with("alias replay limit exceeded") || message.contains("Aliases") {
            "aliases expand to too much (a \"billion laughs\" document?)".to_string()
        } else if message.contains("Depth {") || message.contains("recursion limit") {
            format!("nested too deeply (more than {MAX_DEPTH} levels)")
        } else if message.contains("Documents") {
            "a manifest is one YAML document; this file holds more (separated by ---)".to_string()
        } else if message.starts_with("budget breached") {
            format!(
                "the document is too large or too repetitive to read safely ({})",
                message.trim_start_matches("budget breached: ")
            )
        } else {
            message
        };
    let message = message.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    ParseError { message, pos }
}

fn pos_of<T>(s: &Spanned<T>) -> Pos {
    let l = s.defined;
    Pos::new(l.line() as u32, l.column() as u32)
}

fn raw_text<T>(src: &str, s: &Spanned<T>) -> Option<String> {
    let span = s.defined.span();
    let start = span.byte_offset()? as usize;
    let len = span.byte_len()? as usize;
    src.get(start..start + len).map(|t| t.trim().to_string())
}

/// The core schema's tags, which only say what the value already is.
const PLAIN_TAGS: [&str; 7] = ["str", "int", "float", "bool", "null", "map", "seq"];

/// A node's explicit tag worth keeping: a local one (`!Ref`) as written, a
/// standard one other than the core schema's as `!!binary`, `!!python/object`.
fn tag_of(tag: Option<String>) -> Option<String> {
    let tag = tag?;
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(t) if PLAIN_TAGS.contains(&t) => None,
        Some(t) => Some(format!("!!{t}")),
        None => Some(tag),
    }
}

fn build(src: &str, s: RawNode) -> Result<Node, ParseError> {
    let pos = pos_of(&s);
    let raw = match &s.value.0 {
        Raw::Null | Raw::Bool(_) | Raw::Int(_) | Raw::Float(_) => raw_text(src, &s),
        _ => None,
    };
    let tag = tag_of(s.value.1);
    let value = match s.value.0 {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| build(src, i))
                .collect::<Result<_, _>>()?,
        ),
        Raw::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key = build(src, k)?;
                let Some(name) = key.scalar_text() else {
                    return Err(ParseError {
                        message: format!(
                            "a key must be a plain value, not {} (a \"? \" complex key)",
                            key.kind()
                        ),
                        pos: Some(key.pos),
                    });
                };
                out.push((Key { name, pos: key.pos }, build(src, v)?));
            }
            Value::Map(out)
        }
    };
    Ok(Node {
        value,
        pos,
        raw,
        tag,
    })
}

/// A node as serde-saphyr hands it over: with its positions and tag.
type RawNode = Spanned<Tagged<Raw>>;

/// What serde-saphyr hands us, before positions are folded in.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(RawNode, RawNode)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
        Ok(Raw::Int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Raw, E> {
        Ok(i64::try_from(u)
            .map(Raw::Int)
            .unwrap_or(Raw::Float(u as f64)))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Raw, E> {
        Ok(Raw::Float(i as f64))
    }
    fn visit_u128<E>(self, u: u128) -> Result<Raw, E> {
        Ok(Raw::Float(u as f64))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
        Ok(Raw::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
        Ok(Raw::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Raw, E> {
        Ok(Raw::Str(s))
    }
    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(b).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_source_text() {
        let n = parse("a:\n  ver: 1.10\n  name: web\n").unwrap();
        let a = n.get("a").unwrap();
        let ver = a.get("ver").unwrap();
        assert_eq!(ver.pos, Pos::new(2, 8));
        assert_eq!(ver.scalar_text().unwrap(), "1.10");
        assert_eq!(a.get("name").unwrap().as_str(), Some("web"));
    }

    #[test]
    fn expands_merge_keys_and_aliases_with_definition_positions() {
        let src = "base: &b\n  image: nginx\n  port: 80\nsvc:\n  <<: *b\n  port: 8080\n";
        let n = parse(src).unwrap();
        let svc = n.get("svc").unwrap();
        assert_eq!(svc.get("port").unwrap().value, Value::Int(8080));
        let image = svc.get("image").unwrap();
        assert_eq!(image.as_str(), Some("nginx"));
        assert_eq!(
            image.pos,
            Pos::new(2, 10),
            "points at the anchored definition"
        );
    }

    #[test]
    fn keeps_tags_that_mean_something() {
        let n =
            parse("r: !Sub 'arn:${AWS::Partition}:x'\ns: !!str 10\nb: !!binary aGk=\n").unwrap();
        assert_eq!(n.get("r").unwrap().tag.as_deref(), Some("!Sub"));
        assert_eq!(
            n.get("s").unwrap().tag,
            None,
            "the core schema's tags say nothing more"
        );
        assert_eq!(n.get("b").unwrap().tag.as_deref(), Some("!!binary"));
    }

    #[test]
    fn complex_keys_are_refused() {
        let e = parse("variables:\n  ? [a, b]\n  : x\n").unwrap_err();
        assert!(
            e.message.contains("a key must be a plain value"),
            "{}",
            e.message
        );
        assert_eq!(e.pos, Some(Pos::new(2, 5)));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.pos.is_some());
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.pos, Some(Pos::new(2, 1)));
        assert!(e.message.contains("duplicate"), "{}", e.message);
    }

    #[test]
    fn refuses_deep_nesting_and_alias_bombs() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse(&deep).is_err());
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for i in 1..10u8 {
            let (p, n) = ((b'a' + i - 1) as char, (b'a' + i) as char);
            bomb += &format!("{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n");
        }
        assert!(parse(&bomb).is_err());
    }
}
