//! `taskdef_overrides` applied to the task definition's document, as Copilot
//! applied them to its template: rule by rule, in order, each on the result
//! of the one before; a member on the way that does not exist is created
//! (`Key[-]` appends an item), an existing one is replaced. Paths are in
//! CloudFormation's names and are mapped onto the ECS API's
//! ([`ecs_schema`](super::ecs_schema)), and so are the keys of a value. What
//! CloudFormation would have refused at deploy time (a field the task
//! definition does not have, an index past the end, a value of the wrong
//! type) is an error here, with its position.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::ecs_schema::{self, Shape};
use crate::diag::{Diagnostic, Diagnostics, SourceFile, did_you_mean};
use crate::manifest::{OverrideRule, SegmentIndex};
use crate::yaml::{Node, Pos, Value};

/// A rule that could not be applied: what, and where in the manifest.
struct Refused {
    message: String,
    help: Option<String>,
    pos: Option<Pos>,
}

impl Refused {
    fn new(message: impl Into<String>) -> Refused {
        Refused {
            message: message.into(),
            help: None,
            pos: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Refused {
        self.help = Some(help.into());
        self
    }

    fn at(mut self, pos: Pos) -> Refused {
        self.pos.get_or_insert(pos);
        self
    }
}

/// Applies every rule to `doc`; the rules that cannot apply are reported,
/// each at its position, and change nothing.
pub fn apply_overrides(
    doc: &mut Json,
    rules: &[OverrideRule],
    file: &Arc<SourceFile>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for rule in rules {
        let mut edited = doc.clone();
        match apply_rule(&mut edited, rule) {
            Ok(()) => *doc = edited,
            Err(r) => {
                // An error in the value is shown at the value.
                let field = match r.pos {
                    Some(_) => rule.path.path.replace(".path", ".value"),
                    None => rule.path.path.clone(),
                };
                let mut d = Diagnostic::error("taskdef-override", r.message)
                    .at(file, r.pos.unwrap_or(rule.path.pos))
                    .field(field);
                if let Some(h) = r.help {
                    d = d.help(h);
                }
                diags.push(d);
            }
        }
    }
    diags
}

fn apply_rule(doc: &mut Json, rule: &OverrideRule) -> Result<(), Refused> {
    let mut shape = ecs_schema::TASK;
    let mut node = doc;
    let mut walked = String::new();
    let last = rule.segments.len() - 1;
    for (i, seg) in rule.segments.iter().enumerate() {
        let (key, field_shape) = member(shape, &seg.key, &walked)?;
        let at = if walked.is_empty() {
            seg.key.clone()
        } else {
            format!("{walked}.{}", seg.key)
        };
        walked = at.clone();
        let obj = node
            .as_object_mut()
            .ok_or_else(|| Refused::new(format!("{walked}: what holds it is not a map")))?;
        let Some(idx) = seg.index else {
            if matches!(field_shape, Shape::List(_)) && i < last {
                return Err(Refused::new(format!("{walked} is a list")).help(format!(
                    "name an item: {}[0], or {}[-] to append one",
                    seg.key, seg.key
                )));
            }
            if i == last {
                return set_member(obj, &key, field_shape, rule, &walked);
            }
            node = obj.entry(key).or_insert_with(|| Json::Object(Map::new()));
            shape = field_shape;
            continue;
        };
        let Shape::List(item) = field_shape else {
            return Err(Refused::new(format!("{walked} is not a list"))
                .help(format!("write it without an index: {}", seg.key)));
        };
        let list = list_at(obj, &key, idx, &at, &seg.key)?;
        walked = match idx {
            SegmentIndex::Append => format!("{at}[-]"),
            SegmentIndex::At(n) => format!("{at}[{n}]"),
        };
        if i == last {
            return set_item(list, idx, *item, rule, &at);
        }
        node = match idx {
            SegmentIndex::Append => {
                list.push(Json::Object(Map::new()));
                list.last_mut().expect("just pushed")
            }
            SegmentIndex::At(n) => &mut list[n],
        };
        shape = *item;
    }
    Ok(())
}

/// The ECS name and shape of `cfn` in `shape`.
fn member(shape: Shape, cfn: &str, walked: &str) -> Result<(String, Shape), Refused> {
    match shape {
        Shape::StrMap => Ok((cfn.to_string(), Shape::Str)),
        Shape::Obj(_) => match ecs_schema::field(shape, cfn) {
            Some(f) => Ok((f.ecs(), f.shape)),
            None => {
                let place = if walked.is_empty() {
                    "the task definition".to_string()
                } else {
                    walked.to_string()
                };
                let mut r = Refused::new(format!("{place} has no field \"{cfn}\""));
                r = match did_you_mean(cfn, ecs_schema::names(shape)) {
                    Some(s) => r.help(format!(
                        "did you mean \"{s}\"? (CloudFormation's property names)"
                    )),
                    None if cfn == "Tags" && walked.is_empty() => {
                        r.help("sidecarctl tags the task definition itself")
                    }
                    None => r.help(format!(
                        "its fields, in CloudFormation's names: {}",
                        ecs_schema::names(shape).join(", ")
                    )),
                };
                Err(r)
            }
        },
        _ => Err(Refused::new(format!(
            "{walked} holds a single value, not fields"
        ))),
    }
}

/// The list under `key`, checked for the index: `[n]` must name an item
/// that exists; `[-]` creates the list when it is missing.
fn list_at<'a>(
    obj: &'a mut Map<String, Json>,
    key: &str,
    idx: SegmentIndex,
    walked: &str,
    cfn: &str,
) -> Result<&'a mut Vec<Json>, Refused> {
    if idx == SegmentIndex::Append {
        obj.entry(key.to_string())
            .or_insert_with(|| Json::Array(Vec::new()));
    }
    let Some(list) = obj.get_mut(key) else {
        let SegmentIndex::At(n) = idx else {
            unreachable!("an append creates the list")
        };
        return Err(Refused::new(format!(
            "{walked}[{n}] does not exist: there is no {walked}"
        ))
        .help(format!("use {cfn}[-] to add an item")));
    };
    let Json::Array(list) = list else {
        return Err(Refused::new(format!("{walked} is not a list")));
    };
    if let SegmentIndex::At(n) = idx
        && n >= list.len()
    {
        return Err(Refused::new(format!(
            "{walked}[{n}] does not exist: {walked} has {} item{}",
            list.len(),
            if list.len() == 1 { "" } else { "s" }
        ))
        .help(format!("use {cfn}[-] to add an item")));
    }
    Ok(list)
}

fn set_member(
    obj: &mut Map<String, Json>,
    key: &str,
    shape: Shape,
    rule: &OverrideRule,
    walked: &str,
) -> Result<(), Refused> {
    match &rule.value {
        None => obj
            .remove(key)
            .map(|_| ())
            .ok_or_else(|| Refused::new(format!("there is no {walked} to remove"))),
        Some(v) => {
            obj.insert(key.to_string(), convert(v, shape, walked)?);
            Ok(())
        }
    }
}

fn set_item(
    list: &mut Vec<Json>,
    idx: SegmentIndex,
    item: Shape,
    rule: &OverrideRule,
    walked: &str,
) -> Result<(), Refused> {
    match (&rule.value, idx) {
        (None, SegmentIndex::At(n)) => {
            list.remove(n);
            Ok(())
        }
        (None, SegmentIndex::Append) => Err(Refused::new(format!(
            "{walked}[-] names an item to add; there is nothing to remove"
        ))),
        (Some(v), SegmentIndex::At(n)) => {
            list[n] = convert(v, item, &format!("{walked}[{n}]"))?;
            Ok(())
        }
        (Some(v), SegmentIndex::Append) => {
            list.push(convert(v, item, &format!("{walked}[-]"))?);
            Ok(())
        }
    }
}

/// A value written in CloudFormation's terms, as the ECS API takes it:
/// keys renamed, scalars of the type the field has (CloudFormation's own
/// conversions: `"60"` for a number, `512` for a string).
fn convert(node: &Node, shape: Shape, at: &str) -> Result<Json, Refused> {
    let wrong = |expected: &str| {
        Refused::new(format!("{at}: expected {expected}, found {}", node.kind())).at(node.pos)
    };
    Ok(match (shape, &node.value) {
        (Shape::Str, Value::Str(s)) => Json::String(s.clone()),
        (Shape::Str, Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
            Json::String(node.scalar_text().unwrap_or_default())
        }
        (Shape::Int, Value::Int(i)) => Json::from(*i),
        (Shape::Int, Value::Str(s)) => s
            .trim()
            .parse::<i64>()
            .map(Json::from)
            .map_err(|_| wrong("an integer"))?,
        (Shape::Bool, Value::Bool(b)) => Json::Bool(*b),
        (Shape::Bool, Value::Str(s)) if s == "true" || s == "false" => Json::Bool(s == "true"),
        (Shape::StrMap, Value::Map(entries)) => {
            let mut m = Map::new();
            for (k, v) in entries {
                let text = v.scalar_text().ok_or_else(|| {
                    Refused::new(format!("{}: expected a string, found {}", k.name, v.kind()))
                        .at(v.pos)
                })?;
                m.insert(k.name.clone(), Json::String(text));
            }
            Json::Object(m)
        }
        (Shape::Obj(_), Value::Map(entries)) => {
            let mut m = Map::new();
            for (k, v) in entries {
                let (ecs, s) = member(shape, &k.name, at).map_err(|r| r.at(k.pos))?;
                m.insert(ecs, convert(v, s, &format!("{at}.{}", k.name))?);
            }
            Json::Object(m)
        }
        (Shape::List(item), Value::Seq(items)) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(n, i)| convert(i, *item, &format!("{at}[{n}]")))
                .collect::<Result<_, _>>()?,
        ),
        (Shape::Str, _) => return Err(wrong("a string")),
        (Shape::Int, _) => return Err(wrong("an integer")),
        (Shape::Bool, _) => return Err(wrong("true or false")),
        (Shape::StrMap | Shape::Obj(_), _) => return Err(wrong("a map")),
        (Shape::List(_), _) => return Err(wrong("a list")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::render::{Facts, document::registration, render_task_definition};
    use crate::validate::testing::service_in;

    const BASE: &str = "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\n  port: 80\nsidecars:\n  proxy:\n    image: envoy:1\ntaskdef_overrides:\n";

    fn apply(rules: &str) -> (serde_json::Value, Vec<String>) {
        let svc = service_in(&format!("{BASE}{rules}"), None);
        let facts = Facts::offline(&svc, "demo", "test", None, None, None);
        let (doc, diags) = registration(&render_task_definition(&svc, &facts), &svc);
        let text =
            |d: &crate::diag::Diagnostic| format!("{d} {}", d.help.clone().unwrap_or_default());
        (doc, diags.iter().map(text).collect())
    }

    /// The three examples of Copilot's documentation, in CloudFormation's names.
    #[test]
    fn copilots_documented_examples_apply() {
        let (doc, errors) = apply(concat!(
            "  - path: ContainerDefinitions[0].Ulimits[-]\n",
            "    value:\n      Name: cpu\n      SoftLimit: 1024\n      HardLimit: 2048\n",
            "  - path: ContainerDefinitions[0].PortMappings[-].ContainerPort\n    value: 2056\n",
            "  - path: ContainerDefinitions[0].PortMappings[1].Protocol\n    value: udp\n",
            "  - path: ContainerDefinitions[0].ReadonlyRootFilesystem\n    value: true\n",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let main = &doc["containerDefinitions"][0];
        assert_eq!(
            main["ulimits"],
            json!([{"name": "cpu", "softLimit": 1024, "hardLimit": 2048}])
        );
        assert_eq!(
            main["portMappings"][1],
            json!({"containerPort": 2056, "protocol": "udp"})
        );
        assert_eq!(main["readonlyRootFilesystem"], json!(true));
        // The sidecar is untouched.
        assert!(doc["containerDefinitions"][1].get("ulimits").is_none());
    }

    #[test]
    fn values_take_the_type_of_their_field_and_renamed_fields_their_ecs_name() {
        let (doc, errors) = apply(concat!(
            "  - path: ContainerDefinitions[1].StopTimeout\n    value: '60'\n",
            "  - path: Cpu\n    value: 1024\n",
            "  - path: EphemeralStorage.SizeInGiB\n    value: 40\n",
            "  - path: ContainerDefinitions[0].DockerLabels.team\n    value: 7\n",
            "  - path: ContainerDefinitions[0].LinuxParameters.InitProcessEnabled\n    value: 'true'\n",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(doc["containerDefinitions"][1]["stopTimeout"], json!(60));
        assert_eq!(doc["cpu"], json!("1024"));
        assert_eq!(doc["ephemeralStorage"], json!({"sizeInGiB": 40}));
        assert_eq!(
            doc["containerDefinitions"][0]["dockerLabels"]["team"],
            json!("7")
        );
        assert_eq!(
            doc["containerDefinitions"][0]["linuxParameters"],
            json!({"initProcessEnabled": true})
        );
    }

    #[test]
    fn rules_apply_in_order_and_remove_is_an_extension() {
        let (doc, errors) = apply(concat!(
            "  - path: ContainerDefinitions[0].Environment[-]\n",
            "    value: {Name: EXTRA, Value: '1'}\n",
            "  - path: ContainerDefinitions[0].PortMappings[0]\n    remove: true\n",
            "  - path: ContainerDefinitions[0].Essential\n    remove: true\n",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let main = &doc["containerDefinitions"][0];
        let env = main["environment"].as_array().unwrap();
        assert_eq!(env.last().unwrap(), &json!({"name": "EXTRA", "value": "1"}));
        assert_eq!(main["portMappings"], json!([]));
        assert!(main.get("essential").is_none());
    }

    #[test]
    fn a_path_to_nothing_is_an_error_at_its_position_and_changes_nothing() {
        let (doc, errors) = apply(concat!(
            "  - path: ContainerDefinitions[5].StopTimeout\n    value: 60\n",
            "  - path: ContainerDefinitions[0].Ulimits[0].Name\n    value: cpu\n",
            "  - path: ContainerDefinitions[0].StopTimout\n    value: 60\n",
            "  - path: Tags[-]\n    value: {Key: a, Value: b}\n",
            "  - path: ContainerDefinitions[0].Command\n    remove: true\n",
            "  - path: ContainerDefinitions[0].Cpu\n    value: lots\n",
        ));
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(
            errors[0].contains(
                "ContainerDefinitions[5] does not exist: ContainerDefinitions has 2 items"
            )
        );
        assert!(errors[0].contains("manifest.yml:10:11"), "{}", errors[0]);
        assert!(errors[1].contains("there is no ContainerDefinitions[0].Ulimits"));
        assert!(errors[2].contains("did you mean \"StopTimeout\""));
        assert!(errors[3].contains("sidecarctl tags the task definition itself"));
        assert!(errors[4].contains("there is no ContainerDefinitions[0].Command to remove"));
        assert!(errors[5].contains("expected an integer, found a string"));
        let untouched = apply("  []\n").0;
        assert_eq!(doc, untouched);
    }
}
