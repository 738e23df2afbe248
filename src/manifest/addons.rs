//! Copilot add-ons (`copilot/{svc}/addons/*.yml`): CloudFormation templates.
//! sidecarctl deploys their `AWS::IAM::ManagedPolicy` resources and names the
//! other resources it leaves alone.

use std::path::Path;
use std::sync::Arc;

use super::load::read_source;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::yaml::{self, Node, Pos};

/// One `AWS::IAM::ManagedPolicy`.
#[derive(Clone, Debug)]
pub struct AddonPolicy {
    pub file: Arc<SourceFile>,
    pub logical_id: String,
    pub pos: Pos,
    /// `ManagedPolicyName`, when the template gives one.
    pub name: Option<String>,
    /// `PolicyDocument`, intrinsic functions unresolved.
    pub document: Node,
}

/// A template parameter and its default.
#[derive(Clone, Debug)]
pub struct AddonParameter {
    pub name: String,
    pub default: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Addons {
    pub policies: Vec<AddonPolicy>,
    pub parameters: Vec<AddonParameter>,
    /// `(file, logical id, type)` of resources that are not deployed.
    pub skipped: Vec<(String, String, String)>,
}

/// Reads every `*.yml` / `*.yaml` in `dir` (none when it does not exist).
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
        match read_source(&path) {
            Ok(file) => parse_addon(&file, &mut addons, &mut diags),
            Err(d) => diags.push(d),
        }
    }
    (addons, diags)
}

/// Reads one template into `addons`.
pub fn parse_addon(file: &Arc<SourceFile>, addons: &mut Addons, diags: &mut Diagnostics) {
    let root = match yaml::parse(&file.text) {
        Ok(r) => r,
        Err(e) => {
            let d = Diagnostic::error("yaml-syntax", e.message).in_file(file);
            diags.push(match e.pos {
                Some(p) => d.at(file, p),
                None => d,
            });
            return;
        }
    };
    if let Some(params) = root.get("Parameters").and_then(Node::as_map) {
        for (k, v) in params {
            addons.parameters.push(AddonParameter {
                name: k.name.clone(),
                default: v.get("Default").and_then(Node::scalar_text),
            });
        }
    }
    let Some(resources) = root.get("Resources").and_then(Node::as_map) else {
        diags.push(
            Diagnostic::error("addon", "an add-on template needs \"Resources\"").at(file, root.pos),
        );
        return;
    };
    for (key, res) in resources {
        let kind = res
            .get("Type")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        if kind != "AWS::IAM::ManagedPolicy" {
            addons
                .skipped
                .push((file.path.clone(), key.name.clone(), kind));
            continue;
        }
        let props = res.get("Properties");
        let Some(document) = props.and_then(|p| p.get("PolicyDocument")) else {
            diags.push(
                Diagnostic::error(
                    "addon",
                    format!("managed policy {} has no PolicyDocument", key.name),
                )
                .at(file, key.pos)
                .field(format!("Resources.{}.Properties.PolicyDocument", key.name)),
            );
            continue;
        };
        addons.policies.push(AddonPolicy {
            file: file.clone(),
            logical_id: key.name.clone(),
            pos: key.pos,
            name: props
                .and_then(|p| p.get("ManagedPolicyName"))
                .and_then(Node::scalar_text),
            document: document.clone(),
        });
    }
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
