//! `taskdef_overrides`: rules that edit the rendered task definition, read
//! as Copilot reads them (`path` in CloudFormation's property names, `value`
//! to add or replace), plus `remove`, a sidecarctl extension.

use crate::manifest::decode::{At, Decoder, index, join};
use crate::manifest::types::{OverrideRule, Segment, SegmentIndex};
use crate::yaml::{Node, Value};

const PATH: &str = "taskdef_overrides";

pub(super) fn decode_overrides(d: &mut Decoder, n: &Node) -> Vec<OverrideRule> {
    let Value::Seq(items) = &n.value else {
        d.wrong_type(n, PATH, "a list of rules (path, value)");
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| decode_rule(d, item, &index(PATH, i)))
        .collect()
}

fn decode_rule(d: &mut Decoder, item: &Node, path: &str) -> Option<OverrideRule> {
    let mut f = d.fields(item, path)?;
    let rule_path = match f.take("path") {
        Some(p) => d.string(p, &join(path, "path")),
        None => {
            d.error(
                "missing-field",
                "\"path\" must be specified",
                item.pos,
                &join(path, "path"),
            );
            None
        }
    };
    let value = f.take("value").cloned();
    let remove = f
        .take("remove")
        .and_then(|r| d.boolean(r, &join(path, "remove")))
        .is_some_and(|r| r.value);
    f.finish(d, &[]);
    let rule_path = rule_path?;
    let segments = parse_path(d, &rule_path)?;
    match (&value, remove) {
        (Some(v), true) => {
            d.error_help(
                "override-value-and-remove",
                "a rule either sets a value or removes one",
                "leave out \"value\", or \"remove: true\"",
                v.pos,
                &join(path, "value"),
            );
            return None;
        }
        (None, false) => {
            d.error_help(
                "missing-field",
                "\"value\" must be specified",
                "or \"remove: true\" (a sidecarctl extension) to take the field out",
                item.pos,
                &join(path, "value"),
            );
            return None;
        }
        _ => {}
    }
    Some(OverrideRule {
        path: rule_path,
        segments,
        value,
        remove,
    })
}

/// `A.B[0].C[-]` into its segments, with Copilot's rules: a segment is a
/// name of letters, digits, `_` and `-`, with an optional index (a number or
/// `-`, "append"); `Family` and a container's `Name` cannot be overridden.
fn parse_path(d: &mut Decoder, p: &At<String>) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    for raw in p.value.split('.') {
        match parse_segment(raw) {
            Some(s) => out.push(s),
            None => {
                d.error_help(
                    "bad-override-path",
                    format!("invalid override path segment \"{raw}\""),
                    "segments are of the form \"key\", \"list[0]\" or \"list[-]\", joined by \".\"",
                    p.pos,
                    &p.path,
                );
                return None;
            }
        }
    }
    let forbidden = match out.as_slice() {
        [s] if s.key == "Family" && s.index.is_none() => Some("Family"),
        [c, n]
            if c.key == "ContainerDefinitions"
                && matches!(c.index, Some(SegmentIndex::At(_)))
                && n.key == "Name"
                && n.index.is_none() =>
        {
            Some("ContainerDefinitions[<index>].Name")
        }
        _ => None,
    };
    if let Some(field) = forbidden {
        d.error_help(
            "override-forbidden",
            format!("\"{field}\" cannot be overridden with a custom value"),
            "Copilot names the family and the containers; sidecarctl keeps those names",
            p.pos,
            &p.path,
        );
        return None;
    }
    Some(out)
}

fn parse_segment(raw: &str) -> Option<Segment> {
    let (key, index) = match raw.split_once('[') {
        None => (raw, None),
        Some((key, rest)) => {
            let inner = rest.strip_suffix(']')?;
            let index = if inner == "-" {
                SegmentIndex::Append
            } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
                SegmentIndex::At(inner.parse().ok()?)
            } else {
                return None;
            };
            (key, Some(index))
        }
    };
    let ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then(|| Segment {
        key: key.to_string(),
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_read_as_copilot_reads_them() {
        let s = parse_segment("Ulimits[-]").unwrap();
        assert_eq!(s.key, "Ulimits");
        assert_eq!(s.index, Some(SegmentIndex::Append));
        let s = parse_segment("ContainerDefinitions[12]").unwrap();
        assert_eq!(s.index, Some(SegmentIndex::At(12)));
        assert_eq!(parse_segment("StopTimeout").unwrap().index, None);
        for bad in ["", "A[", "A[]", "A[x]", "A[1]b", "A B", "[0]"] {
            assert!(parse_segment(bad).is_none(), "{bad}");
        }
    }
}
