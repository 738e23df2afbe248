//! A stack's template read and edited for `adopt`. Pure.
//!
//! Deleting a stack leaves a resource in place only when its template says
//! `DeletionPolicy: Retain`; `UpdateReplacePolicy: Retain` keeps the old one
//! if an update ever replaces it. [`retain_all`] writes both on every resource
//! and adds [`MARKER`], a resource that creates nothing, so that the update is
//! never empty (CloudFormation has answered "no updates are to be performed"
//! to updates that change deletion policies only). [`check_policies_only`]
//! proves that the edit changed nothing else, and [`unretained`] what a
//! template, read back from CloudFormation, still leaves unprotected.
//!
//! Copilot's templates are YAML with CloudFormation's short tags (`!Sub`,
//! `!Ref`), which a YAML library would have to know to write back; so the
//! YAML is edited as text, line by line, touching nothing but the policy
//! lines and adding the marker's. JSON templates are edited as JSON. Both are
//! read, for the checks, with the project's YAML reader (JSON is YAML).

use crate::yaml::{self, Node, Value};

/// The resource added to make the update non-empty: a wait condition handle
/// creates nothing that runs or costs, and is retained like the others.
pub const MARKER: &str = "SidecarctlAdoptRetain";
const MARKER_TYPE: &str = "AWS::CloudFormation::WaitConditionHandle";

/// The two policies every resource must carry before its stack is deleted.
pub const POLICIES: [&str; 2] = ["DeletionPolicy", "UpdateReplacePolicy"];

/// One resource of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub logical_id: String,
    pub kind: String,
}

/// A template's resources, in the order written.
pub fn resources(template: &str) -> Result<Vec<Resource>, String> {
    let root = parse(template)?;
    Ok(resource_map(&root)?
        .iter()
        .map(|(k, v)| Resource {
            logical_id: k.name.clone(),
            kind: v
                .get("Type")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_string(),
        })
        .collect())
}

/// The resources that lack `DeletionPolicy: Retain` or
/// `UpdateReplacePolicy: Retain`; empty when deleting the stack loses nothing.
pub fn unretained(template: &str) -> Result<Vec<String>, String> {
    let root = parse(template)?;
    Ok(resource_map(&root)?
        .iter()
        .filter(|(_, v)| {
            POLICIES
                .iter()
                .any(|p| v.get(p).and_then(Node::as_str) != Some("Retain"))
        })
        .map(|(k, _)| k.name.clone())
        .collect())
}

/// The template with both policies on every resource and the [`MARKER`]
/// added, and how many resources it had; `None` when every resource is
/// retained already. `Err` says why a template cannot be edited safely. The
/// edit is checked with [`check_policies_only`] before it is returned.
pub fn retain_all(template: &str) -> Result<Option<(String, usize)>, String> {
    let n = resources(template)?.len();
    if unretained(template)?.is_empty() {
        return Ok(None);
    }
    let edited = if template.trim_start().starts_with('{') {
        retain_json(template)?
    } else {
        retain_yaml(template)?
    };
    check_policies_only(template, &edited)?;
    if !unretained(&edited)?.is_empty() {
        return Err("the edited template still leaves resources unretained".into());
    }
    Ok(Some((edited, n)))
}

/// `Ok` when `after` differs from `before` only in the two policies of
/// resources and in the [`MARKER`] resource: no property, no other attribute,
/// no parameter, output or condition changed.
pub fn check_policies_only(before: &str, after: &str) -> Result<(), String> {
    let strip = |text: &str| -> Result<serde_json::Value, String> {
        let mut root = parse(text)?;
        if let Value::Map(entries) = &mut root.value
            && let Some((_, res)) = entries.iter_mut().find(|(k, _)| k.name == "Resources")
            && let Value::Map(rs) = &mut res.value
        {
            rs.retain(|(k, _)| k.name != MARKER);
            for (_, r) in rs.iter_mut() {
                if let Value::Map(attrs) = &mut r.value {
                    attrs.retain(|(k, _)| !POLICIES.contains(&k.name.as_str()));
                }
            }
        }
        Ok(canonical(&root))
    };
    let (b, a) = (strip(before)?, strip(after)?);
    if b == a {
        return Ok(());
    }
    let changed: Vec<String> = match (b.as_object(), a.as_object()) {
        (Some(bo), Some(ao)) => bo
            .keys()
            .chain(ao.keys())
            .filter(|k| bo.get(*k) != ao.get(*k))
            .cloned()
            .collect(),
        _ => vec!["the document".into()],
    };
    Err(format!(
        "the edit would change more than deletion policies ({})",
        changed.join(", ")
    ))
}

fn parse(template: &str) -> Result<Node, String> {
    yaml::parse(template).map_err(|e| format!("the template cannot be read: {}", e.message))
}

fn resource_map(root: &Node) -> Result<&[(yaml::Key, Node)], String> {
    root.get("Resources")
        .and_then(Node::as_map)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| "the template has no Resources".to_string())
}

/// A node as JSON, positions left out, tags kept (`{"!Ref": "X"}`).
fn canonical(n: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    let v = match &n.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(_) | Value::Float(_) => J::String(n.scalar_text().unwrap_or_default()),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(items) => J::Array(items.iter().map(canonical).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), canonical(v)))
                .collect(),
        ),
    };
    match &n.tag {
        Some(t) => serde_json::json!({ t.clone(): v }),
        None => v,
    }
}

fn retain_json(template: &str) -> Result<String, String> {
    let mut doc: serde_json::Value = serde_json::from_str(template)
        .map_err(|e| format!("the template is not valid JSON: {e}"))?;
    let resources = doc
        .get_mut("Resources")
        .and_then(|r| r.as_object_mut())
        .ok_or("the template has no Resources")?;
    for r in resources.values_mut() {
        let obj = r.as_object_mut().ok_or("a resource is not an object")?;
        for p in POLICIES {
            obj.insert(p.into(), "Retain".into());
        }
    }
    resources.insert(
        MARKER.into(),
        serde_json::json!({"Type": MARKER_TYPE, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}),
    );
    serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line that carries content (not blank, not a comment).
fn content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The `Resources:` block: its key's line, the line after its end, and the
/// indentation of its resources' keys.
fn resources_block(lines: &[&str]) -> Result<(usize, usize, usize), String> {
    let start = lines
        .iter()
        .position(|l| {
            let t = l.trim_end();
            t == "Resources:" || t.starts_with("Resources: #") || t.starts_with("Resources:\t")
        })
        .ok_or("the template has no block `Resources:` at the top level")?;
    let end = (start + 1..lines.len())
        .find(|&i| content(lines[i]) && indent_of(lines[i]) == 0)
        .unwrap_or(lines.len());
    let first = (start + 1..end)
        .find(|&i| content(lines[i]))
        .ok_or("the template's Resources are empty")?;
    if lines[first].trim_start().starts_with('-') {
        return Err("the template's Resources are not a mapping".into());
    }
    Ok((start, end, indent_of(lines[first])))
}

fn retain_yaml(template: &str) -> Result<String, String> {
    let lines: Vec<&str> = template.lines().collect();
    let (start, end, r_ind) = resources_block(&lines)?;
    // The resources: key lines at r_ind.
    let keys: Vec<usize> = (start + 1..end)
        .filter(|&i| content(lines[i]) && indent_of(lines[i]) == r_ind)
        .collect();
    let mut out: Vec<String> = lines[..=start].iter().map(|l| l.to_string()).collect();
    let mut b_ind = r_ind + 2;
    for (k, &key) in keys.iter().enumerate() {
        let next = keys.get(k + 1).copied().unwrap_or(end);
        let key_line = lines[key];
        let after_colon = key_line
            .trim_start()
            .split_once(':')
            .map(|(_, rest)| rest.trim())
            .ok_or_else(|| format!("line {}: a resource without a key", key + 1))?;
        if !(after_colon.is_empty() || after_colon.starts_with('#')) {
            return Err(format!(
                "line {}: the resource {} is written on one line; only block mappings are edited",
                key + 1,
                key_line.trim()
            ));
        }
        // Lines before the first key (comments) and the key itself.
        let from = if k == 0 { start + 1 } else { key };
        out.extend(lines[from..=key].iter().map(|l| l.to_string()));
        let body = &lines[key + 1..next];
        b_ind = body
            .iter()
            .find(|l| content(l))
            .map(|l| indent_of(l))
            .filter(|&b| b > r_ind)
            .ok_or_else(|| {
                format!(
                    "line {}: the resource {} has no body",
                    key + 1,
                    key_line.trim()
                )
            })?;
        let pad = " ".repeat(b_ind);
        let mut seen = [false; 2];
        let mut body_out: Vec<String> = Vec::new();
        for l in body {
            let policy = (content(l) && indent_of(l) == b_ind)
                .then(|| {
                    POLICIES
                        .iter()
                        .position(|p| l.trim_start().starts_with(&format!("{p}:")))
                })
                .flatten();
            match policy {
                Some(i) => {
                    seen[i] = true;
                    body_out.push(format!("{pad}{}: Retain", POLICIES[i]));
                }
                None => body_out.push(l.to_string()),
            }
        }
        for (i, p) in POLICIES.iter().enumerate() {
            if !seen[i] {
                out.push(format!("{pad}{p}: Retain"));
            }
        }
        out.extend(body_out);
    }
    let (pad, body) = (" ".repeat(r_ind), " ".repeat(b_ind));
    out.push(format!("{pad}{MARKER}:"));
    out.push(format!("{body}Type: {MARKER_TYPE}"));
    for p in POLICIES {
        out.push(format!("{body}{p}: Retain"));
    }
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    if template.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like Copilot's rendered service stack: short tags, comments,
    /// block scalars, a resource that already has a policy, the add-ons stack.
    const COPILOT_LIKE: &str = "\
AWSTemplateFormatVersion: 2010-09-09
Description: CloudFormation template that represents a load balanced web service on Amazon ECS.
Parameters:
  AppName:
    Type: String
Resources: # If a bucket URL is specified, that means the template exists.
  # A comment about the log group.
  LogGroup:
    Metadata:
      'aws:copilot:description': 'A CloudWatch log group to hold your service logs'
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Join ['', [/copilot/, !Ref AppName]]
      RetentionInDays: !Ref LogRetention

  TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    DeletionPolicy: Delete
    Properties:
      Family: !Join ['', [!Ref AppName, '-', !Ref EnvName]]
      ContainerDefinitions:
        - Name: !Ref WorkloadName
          Command: |
            echo hi
  AddonsStack:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: !Ref AddonsTemplateURL
  Service:
    Type: AWS::ECS::Service
    UpdateReplacePolicy: Delete
    Properties:
      Cluster:
        Fn::ImportValue: !Sub '${AppName}-${EnvName}-ClusterId'
Outputs:
  DiscoveryServiceARN:
    Value: !GetAtt DiscoveryService.Arn
";

    #[test]
    fn every_resource_of_a_yaml_template_is_retained_and_nothing_else_changes() {
        assert_eq!(
            unretained(COPILOT_LIKE).unwrap(),
            ["LogGroup", "TaskDefinition", "AddonsStack", "Service"]
        );
        let (t, n) = retain_all(COPILOT_LIKE).unwrap().unwrap();
        assert_eq!(n, 4);
        assert!(
            t.contains("  LogGroup:\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n    Metadata:"),
            "{t}"
        );
        assert!(t.contains("  TaskDefinition:\n    UpdateReplacePolicy: Retain\n    Type: AWS::ECS::TaskDefinition\n    DeletionPolicy: Retain\n"), "{t}");
        assert!(
            t.contains("  Service:\n    DeletionPolicy: Retain\n    Type: AWS::ECS::Service\n    UpdateReplacePolicy: Retain\n"),
            "{t}"
        );
        assert!(
            t.contains("  SidecarctlAdoptRetain:\n    Type: AWS::CloudFormation::WaitConditionHandle\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\nOutputs:"),
            "the marker ends the resources: {t}"
        );
        assert!(
            t.contains("Outputs:\n  DiscoveryServiceARN:\n    Value: !GetAtt"),
            "outputs untouched"
        );
        assert!(
            t.contains("          Command: |\n            echo hi\n"),
            "block scalars untouched"
        );
        // Only the policy lines differ, and the marker's are added.
        let removed: Vec<&str> = COPILOT_LIKE
            .lines()
            .filter(|l| !t.lines().any(|m| m == *l))
            .collect();
        assert_eq!(
            removed,
            [
                "    DeletionPolicy: Delete",
                "    UpdateReplacePolicy: Delete"
            ]
        );
        assert!(unretained(&t).unwrap().is_empty());
        assert_eq!(
            retain_all(&t).unwrap(),
            None,
            "a second pass changes nothing"
        );
        assert_eq!(
            resources(&t).unwrap().last().unwrap(),
            &Resource {
                logical_id: MARKER.into(),
                kind: MARKER_TYPE.into()
            }
        );
    }

    #[test]
    fn json_templates_are_edited_as_json() {
        let t = r#"{"Resources": {"A": {"Type": "AWS::SQS::Queue"}, "B": {"Type": "X", "DeletionPolicy": "Delete"}}}"#;
        let (out, n) = retain_all(t).unwrap().unwrap();
        assert_eq!(n, 2);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        for r in ["A", "B", MARKER] {
            assert_eq!(v["Resources"][r]["DeletionPolicy"], "Retain");
            assert_eq!(v["Resources"][r]["UpdateReplacePolicy"], "Retain");
        }
        assert!(unretained(&out).unwrap().is_empty());
    }

    #[test]
    fn a_policy_only_on_deletion_is_not_enough() {
        let t = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n";
        assert_eq!(unretained(t).unwrap(), ["Q"], "UpdateReplacePolicy too");
        let t = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: !If [C, Retain, Delete]\n    UpdateReplacePolicy: Retain\n";
        assert_eq!(
            unretained(t).unwrap(),
            ["Q"],
            "a condition is not a promise"
        );
    }

    #[test]
    fn an_edit_that_touches_anything_but_the_policies_is_refused() {
        let before = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '${App}-q'\n";
        let ok = "Resources:\n  Q:\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '${App}-q'\n  SidecarctlAdoptRetain:\n    Type: AWS::CloudFormation::WaitConditionHandle\n";
        assert_eq!(check_policies_only(before, ok), Ok(()));
        let property = ok.replace("-q'", "-r'");
        assert!(
            check_policies_only(before, &property)
                .unwrap_err()
                .contains("Resources")
        );
        let tag = ok.replace("!Sub", "!Join");
        assert!(check_policies_only(before, &tag).is_err(), "tags count");
        let output = format!("{ok}Outputs:\n  X:\n    Value: y\n");
        assert!(
            check_policies_only(before, &output)
                .unwrap_err()
                .contains("Outputs")
        );
    }

    #[test]
    fn what_cannot_be_edited_safely_is_refused() {
        assert!(
            retain_all("Resources:\n  A:\n    Type: X\n  B: {Type: X}\n")
                .unwrap_err()
                .contains("one line")
        );
        assert!(retain_all("Outputs: {}\n").is_err());
        assert!(unretained("Resources: [a]\n").is_err());
    }
}
