//! Overlaying one YAML tree on another, the way Copilot applies `environments.{env}`.

use super::{Node, Value};

/// Keys that stand for alternatives of one field: setting one in an override
/// drops the others from the base, as Copilot's union types do.
const ALTERNATIVES: &[&[&str]] = &[
    &["location", "build"],
    &["target_container", "targetContainer"],
];

/// Overlays `over` on `base`: maps merge key by key (so sidecars, volumes,
/// variables and secrets merge deeply); scalars, lists and a value of another
/// kind replace the base whole; an empty override (`key:` or `~`) leaves the base
/// as it is. Nodes taken from `over` keep their own positions.
pub fn merge_override(base: &mut Node, over: &Node) {
    if over.is_null() {
        return;
    }
    match (&mut base.value, &over.value) {
        (Value::Map(base_entries), Value::Map(over_entries)) => {
            for (okey, oval) in over_entries {
                if let Some(group) = ALTERNATIVES
                    .iter()
                    .find(|g| g.contains(&okey.name.as_str()))
                {
                    base_entries
                        .retain(|(k, _)| k.name == okey.name || !group.contains(&k.name.as_str()));
                }
                match base_entries.iter_mut().find(|(k, _)| k.name == okey.name) {
                    Some((k, bval)) => {
                        if !oval.is_null() {
                            k.pos = okey.pos;
                        }
                        merge_override(bval, oval);
                    }
                    None => base_entries.push((okey.clone(), oval.clone())),
                }
            }
        }
        _ => *base = over.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Pos, parse};

    fn merged(base: &str, over: &str) -> Node {
        let mut b = parse(base).unwrap();
        merge_override(&mut b, &parse(over).unwrap());
        b
    }

    #[test]
    fn maps_merge_and_scalars_and_lists_are_replaced() {
        let n = merged(
            "count: 1\nvariables: {A: a, B: b}\nentrypoint: [x, y]\n",
            "count: 3\nvariables: {B: bb, C: c}\nentrypoint: [z]\n",
        );
        assert_eq!(n.get("count").unwrap().value, Value::Int(3));
        let vars = n.get("variables").unwrap();
        assert_eq!(vars.get("A").unwrap().as_str(), Some("a"));
        assert_eq!(vars.get("B").unwrap().as_str(), Some("bb"));
        assert_eq!(vars.get("C").unwrap().as_str(), Some("c"));
        match &n.get("entrypoint").unwrap().value {
            Value::Seq(items) => assert_eq!(items.len(), 1),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn sidecars_merge_deeply_and_keep_override_positions() {
        let n = merged(
            "sidecars:\n  nginx:\n    image: nginx:1\n    port: 80\n",
            "sidecars:\n  nginx:\n    image: nginx:2\n",
        );
        let nginx = n.get("sidecars").unwrap().get("nginx").unwrap();
        assert_eq!(nginx.get("port").unwrap().value, Value::Int(80));
        let image = nginx.get("image").unwrap();
        assert_eq!(image.as_str(), Some("nginx:2"));
        assert_eq!(image.pos, Pos::new(3, 12));
    }

    #[test]
    fn alternatives_replace_each_other() {
        let n = merged(
            "image:\n  build: Dockerfile\n  port: 80\n",
            "image:\n  location: nginx\n",
        );
        let image = n.get("image").unwrap();
        assert!(image.get("build").is_none());
        assert_eq!(image.get("location").unwrap().as_str(), Some("nginx"));
        assert!(image.get("port").is_some());
    }

    #[test]
    fn empty_overrides_keep_the_base() {
        let n = merged("count: 2\n", "count:\n");
        assert_eq!(n.get("count").unwrap().value, Value::Int(2));
    }
}
