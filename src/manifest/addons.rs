//! Copilot add-ons (`copilot/{svc}/addons/*.yml`): CloudFormation templates,
//! merged into one as Copilot merges them (each section key by key; a key
//! in two files must say the same in both), written as JSON with the
//! short-form intrinsics (`!Ref`, `!Sub`, ...) in their long form, and the
//! values of `addons.parameters.yml`.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::load::read_source;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::yaml::{self, Node, Pos, Value};

/// The template sections Copilot merges.
const SECTIONS: [&str; 8] = [
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
];

/// The parameters Copilot passes every add-ons stack.
pub const COPILOT_PARAMETERS: [&str; 3] = ["App", "Env", "Name"];

/// A value of `addons.parameters.yml`, as written.
#[derive(Clone, Debug)]
pub struct ParameterValue {
    pub file: Arc<SourceFile>,
    pub name: String,
    pub node: Node,
}

#[derive(Clone, Debug, Default)]
pub struct Addons {
    /// The merged template, when the service has add-ons.
    pub template: Option<Json>,
    /// `addons.parameters.yml`'s values.
    pub values: Vec<ParameterValue>,
}

impl Addons {
    /// The template's parameters beyond Copilot's, with their defaults.
    pub fn extra_parameters(&self) -> Vec<(String, Option<String>)> {
        let Some(Json::Object(params)) = self.template.as_ref().and_then(|t| t.get("Parameters"))
        else {
            return Vec::new();
        };
        params
            .iter()
            .filter(|(k, _)| !COPILOT_PARAMETERS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.get("Default").map(json_text)))
            .collect()
    }
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads every `*.yml` / `*.yaml` in `dir` (none when it does not exist), and
/// `addons.parameters.yml`.
pub fn load_addons(dir: &Path) -> (Addons, Diagnostics) {
    let mut addons = Addons::default();
    let mut diags = Diagnostics::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (addons, diags);
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    paths.sort();
    for path in paths {
        let file = match read_source(&path) {
            Ok(f) => f,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let is_values = path.file_stem().is_some_and(|s| s == "addons.parameters");
        if is_values {
            parse_values(&file, &mut addons, &mut diags);
        } else {
            parse_addon(&file, &mut addons, &mut diags);
        }
    }
    (addons, diags)
}

fn parse_root(file: &Arc<SourceFile>, diags: &mut Diagnostics) -> Option<Node> {
    match yaml::parse(&file.text) {
        Ok(r) => Some(r),
        Err(e) => {
            let d = Diagnostic::error("yaml-syntax", e.message).in_file(file);
            diags.push(match e.pos {
                Some(p) => d.at(file, p),
                None => d,
            });
            None
        }
    }
}

fn parse_values(file: &Arc<SourceFile>, addons: &mut Addons, diags: &mut Diagnostics) {
    let Some(root) = parse_root(file, diags) else {
        return;
    };
    let Some(params) = root.get("Parameters").and_then(Node::as_map) else {
        diags.push(
            Diagnostic::error("addon", "addons.parameters.yml needs a \"Parameters\" map")
                .at(file, root.pos),
        );
        return;
    };
    for (k, v) in params {
        addons.values.push(ParameterValue {
            file: file.clone(),
            name: k.name.clone(),
            node: v.clone(),
        });
    }
}

/// Reads one template and merges it into `addons`.
pub fn parse_addon(file: &Arc<SourceFile>, addons: &mut Addons, diags: &mut Diagnostics) {
    let Some(root) = parse_root(file, diags) else {
        return;
    };
    if root.get("Resources").and_then(Node::as_map).is_none() {
        diags.push(
            Diagnostic::error("addon", "an add-on template needs \"Resources\"").at(file, root.pos),
        );
        return;
    }
    for p in COPILOT_PARAMETERS {
        if root.get("Parameters").and_then(|ps| ps.get(p)).is_none() {
            diags.push(
                Diagnostic::error(
                    "addon",
                    format!("an add-on template must declare the parameter {p} (Copilot passes App, Env and Name)"),
                )
                .at(file, root.pos)
                .field("Parameters"),
            );
        }
    }
    let merged = addons
        .template
        .get_or_insert_with(|| Json::Object(Map::new()));
    let Some(root_map) = root.as_map() else {
        return;
    };
    for (key, node) in root_map {
        if !SECTIONS.contains(&key.name.as_str()) {
            diags.push(
                Diagnostic::error(
                    "addon",
                    format!("an add-on template has no section \"{}\"", key.name),
                )
                .at(file, key.pos)
                .help(format!("Copilot merges {}", SECTIONS.join(", "))),
            );
            continue;
        }
        let value = match cfn_json(node) {
            Ok(v) => v,
            Err((pos, why)) => {
                diags.push(
                    Diagnostic::error("addon", why)
                        .at(file, pos)
                        .field(key.name.clone()),
                );
                continue;
            }
        };
        merge_section(merged, &key.name, value, file, node, diags);
    }
}

/// Merges one section: maps key by key, a key already there must be equal.
fn merge_section(
    merged: &mut Json,
    section: &str,
    value: Json,
    file: &Arc<SourceFile>,
    node: &Node,
    diags: &mut Diagnostics,
) {
    let Json::Object(root) = merged else { return };
    match (root.get_mut(section), value) {
        (None, v) => {
            root.insert(section.to_string(), v);
        }
        (Some(Json::Object(have)), Json::Object(add)) => {
            for (k, v) in add {
                match have.get(&k) {
                    None => {
                        have.insert(k, v);
                    }
                    Some(old) if *old == v => {}
                    Some(_) => {
                        let pos = node
                            .as_map()
                            .and_then(|m| m.iter().find(|(key, _)| key.name == k))
                            .map_or(node.pos, |(key, _)| key.pos);
                        diags.push(
                            Diagnostic::error(
                                "addon",
                                format!("{section}.{k} is defined differently in another add-on template"),
                            )
                            .at(file, pos)
                            .help("Copilot merges the templates: a name used twice must say the same in both"),
                        );
                    }
                }
            }
        }
        (Some(old), v) if *old == v => {}
        (Some(_), _) => diags.push(
            Diagnostic::error(
                "addon",
                format!("{section} differs between add-on templates"),
            )
            .at(file, node.pos),
        ),
    }
}

/// A template node as CloudFormation's JSON: short-form intrinsics in their
/// long form (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt":
/// ["A", "B"]}`), integers as numbers, other scalars as written.
pub fn cfn_json(n: &Node) -> Result<Json, (Pos, String)> {
    let v = match &n.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(_) => Json::String(n.scalar_text().unwrap_or_default()),
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(cfn_json).collect::<Result<_, _>>()?),
        Value::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k.name.clone(), cfn_json(v)?);
            }
            Json::Object(m)
        }
    };
    let Some(tag) = n.tag.as_deref() else {
        return Ok(v);
    };
    let name = tag.trim_start_matches('!');
    Ok(match name {
        "Ref" | "Condition" => serde_json::json!({ name: v }),
        "GetAtt" => match v {
            Json::String(s) => {
                let (res, attr) = s.split_once('.').unwrap_or((&s, ""));
                serde_json::json!({"Fn::GetAtt": [res, attr]})
            }
            other => serde_json::json!({"Fn::GetAtt": other}),
        },
        "Base64" | "Cidr" | "FindInMap" | "GetAZs" | "ImportValue" | "Join" | "Select"
        | "Split" | "Sub" | "Transform" | "And" | "Equals" | "If" | "Not" | "Or"
        | "ToJsonString" | "Length" => serde_json::json!({ format!("Fn::{name}"): v }),
        _ => return Err((n.pos, format!("{tag} is not a CloudFormation function"))),
    })
}

/// What Copilot makes of an add-on template's output (its
/// `internal/pkg/addon/output.go`): by the type of the resource the output's
/// value is a `Ref` of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// An environment variable of every container, named [`to_snake_case`].
    Variable,
    /// A Secrets Manager secret: a secret of the main container.
    Secret,
    /// A managed policy: attached to the task role.
    ManagedPolicy,
    /// A security group: the service's, and a variable too (Copilot gives
    /// it both ways).
    SecurityGroup,
}

/// The outputs of an add-on template (as deployed) and their kinds, in order.
pub fn output_kinds(template: &str) -> Result<Vec<(String, OutputKind)>, String> {
    let root =
        yaml::parse(template).map_err(|e| format!("the template cannot be read: {}", e.message))?;
    let types: Vec<(&str, String)> = root
        .get("Resources")
        .and_then(Node::as_map)
        .ok_or("the template's \"Resources\" is not a map")?
        .iter()
        .map(|(k, v)| {
            let t = v
                .get("Type")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            (k.name.as_str(), t)
        })
        .collect();
    let Some(outputs) = root.get("Outputs") else {
        return Ok(Vec::new());
    };
    let outputs = outputs
        .as_map()
        .ok_or("the template's \"Outputs\" is not a map")?;
    Ok(outputs
        .iter()
        .map(|(k, v)| {
            let value = v.get("Value");
            // `!Ref X`, or `Ref: X`.
            let target = value.and_then(|n| match (&n.tag, n.get("Ref")) {
                (Some(t), _) if t == "!Ref" => n.scalar_text(),
                (None, Some(r)) => r.scalar_text(),
                _ => None,
            });
            let kind = target
                .and_then(|t| types.iter().find(|(id, _)| *id == t.trim()))
                .map(|(_, ty)| match ty.as_str() {
                    "AWS::SecretsManager::Secret" => OutputKind::Secret,
                    "AWS::IAM::ManagedPolicy" => OutputKind::ManagedPolicy,
                    "AWS::EC2::SecurityGroup" => OutputKind::SecurityGroup,
                    _ => OutputKind::Variable,
                })
                .unwrap_or(OutputKind::Variable);
            (k.name.clone(), kind)
        })
        .collect())
}

/// An output's name as the environment variable Copilot makes of it
/// (`toSnakeCase`: `StoreBucketName` → `STORE_BUCKET_NAME`, `myDDBTable` →
/// `MY_DDB_TABLE`): a `_` between a lowercase letter or digit and a capital,
/// then between a capital or digit and a capital that starts a word.
pub fn to_snake_case(name: &str) -> String {
    let c: Vec<char> = name.chars().collect();
    let lower = |x: char| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut first = Vec::with_capacity(c.len() + 4);
    for (i, &x) in c.iter().enumerate() {
        if i > 0 && x.is_ascii_uppercase() && lower(c[i - 1]) {
            first.push('_');
        }
        first.push(x);
    }
    // Leftmost, non-overlapping `([A-Z0-9])([A-Z][a-z])`, as Go's regexp replaces.
    let mut out = String::with_capacity(first.len() + 4);
    let mut i = 0;
    while i < first.len() {
        let x = first[i];
        if i + 2 < first.len()
            && (x.is_ascii_uppercase() || x.is_ascii_digit())
            && first[i + 1].is_ascii_uppercase()
            && first[i + 2].is_ascii_lowercase()
        {
            out.extend([x, '_', first[i + 1], first[i + 2]]);
            i += 3;
        } else {
            out.push(x);
            i += 1;
        }
    }
    out.to_ascii_uppercase()
}

#[cfg(test)]
mod output_tests {
    use super::*;

    #[test]
    fn names_are_snake_cased_as_copilot_does() {
        // Copilot's own cases (template_functions_test.go).
        for (i, o) in [
            (
                "AdditionalResourcesPolicyArn",
                "ADDITIONAL_RESOURCES_POLICY_ARN",
            ),
            (
                "additionalResourcesPolicyArn",
                "ADDITIONAL_RESOURCES_POLICY_ARN",
            ),
            ("myddbtable", "MYDDBTABLE"),
            ("myDDBTable", "MY_DDB_TABLE"),
            ("my2ndDDBTable", "MY2ND_DDB_TABLE"),
            ("myTableWithLSI", "MY_TABLE_WITH_LSI"),
            ("StoreBucketName", "STORE_BUCKET_NAME"),
            ("JobsQueueURL", "JOBS_QUEUE_URL"),
        ] {
            assert_eq!(to_snake_case(i), o, "{i}");
        }
    }

    #[test]
    fn outputs_are_classified_by_what_they_ref() {
        let t = "\
Resources:
  Bucket: {Type: AWS::S3::Bucket}
  DbSecret: {Type: AWS::SecretsManager::Secret}
  Access: {Type: AWS::IAM::ManagedPolicy}
  Group: {Type: AWS::EC2::SecurityGroup}
Outputs:
  BucketName: {Value: !Ref Bucket}
  DbSecretArn:
    Value: !Ref DbSecret
  AccessPolicy:
    Value:
      Ref: Access
  GroupId: {Value: !GetAtt Group.GroupId}
  GroupRef: {Value: !Ref Group}
  Literal: {Value: x}
";
        assert_eq!(
            output_kinds(t).unwrap(),
            [
                ("BucketName".to_string(), OutputKind::Variable),
                ("DbSecretArn".to_string(), OutputKind::Secret),
                ("AccessPolicy".to_string(), OutputKind::ManagedPolicy),
                ("GroupId".to_string(), OutputKind::Variable),
                ("GroupRef".to_string(), OutputKind::SecurityGroup),
                ("Literal".to_string(), OutputKind::Variable),
            ]
        );
        assert!(output_kinds("Resources: {}\n").unwrap().is_empty());
        assert!(output_kinds("Outputs: {}\n").is_err());
    }
}
