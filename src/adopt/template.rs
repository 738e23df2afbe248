//! A stack's template with `DeletionPolicy: Retain` on every resource, so
//! that deleting the stack leaves every resource in place. Pure.
//!
//! Copilot's templates are YAML with CloudFormation's short tags (`!Sub`,
//! `!Ref`), which a YAML library would have to know to write back; so the
//! YAML is edited as text, line by line, touching nothing but the policy
//! lines. JSON templates are edited as JSON.

/// The template with every resource retained, and how many resources it has.
/// `Err` says why a template cannot be edited safely.
pub fn retain_all(template: &str) -> Result<(String, usize), String> {
    if template.trim_start().starts_with('{') {
        return retain_json(template);
    }
    retain_yaml(template)
}

/// Whether every resource is already retained.
pub fn all_retained(template: &str) -> bool {
    retain_all(template).is_ok_and(|(t, _)| t == template)
}

fn retain_json(template: &str) -> Result<(String, usize), String> {
    let mut doc: serde_json::Value = serde_json::from_str(template)
        .map_err(|e| format!("the template is not valid JSON: {e}"))?;
    let resources = doc
        .get_mut("Resources")
        .and_then(|r| r.as_object_mut())
        .ok_or("the template has no Resources")?;
    let n = resources.len();
    let mut changed = false;
    for r in resources.values_mut() {
        let obj = r.as_object_mut().ok_or("a resource is not an object")?;
        if obj.get("DeletionPolicy").and_then(|p| p.as_str()) != Some("Retain") {
            obj.insert("DeletionPolicy".into(), "Retain".into());
            changed = true;
        }
    }
    if !changed {
        return Ok((template.to_string(), n));
    }
    Ok((serde_json::to_string_pretty(&doc).unwrap_or_default(), n))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line that carries content (not blank, not a comment).
fn content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

fn retain_yaml(template: &str) -> Result<(String, usize), String> {
    let lines: Vec<&str> = template.lines().collect();
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
    let r_ind = indent_of(lines[first]);
    if lines[first].trim_start().starts_with('-') {
        return Err("the template's Resources are not a mapping".into());
    }
    // The resources: key lines at r_ind.
    let keys: Vec<usize> = (start + 1..end)
        .filter(|&i| content(lines[i]) && indent_of(lines[i]) == r_ind)
        .collect();
    let mut out: Vec<String> = lines[..=start].iter().map(|l| l.to_string()).collect();
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
        let b_ind = body
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
        let mut has_policy = false;
        let mut body_out: Vec<String> = Vec::new();
        for l in body {
            if content(l) && indent_of(l) == b_ind && l.trim_start().starts_with("DeletionPolicy:")
            {
                has_policy = true;
                body_out.push(format!("{}DeletionPolicy: Retain", " ".repeat(b_ind)));
            } else {
                body_out.push(l.to_string());
            }
        }
        if !has_policy {
            out.push(format!("{}DeletionPolicy: Retain", " ".repeat(b_ind)));
        }
        out.extend(body_out);
    }
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    if template.ends_with('\n') {
        text.push('\n');
    }
    Ok((text, keys.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like Copilot's rendered service stack: short tags, comments,
    /// block scalars, a resource that already has a policy.
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
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster:
        Fn::ImportValue: !Sub '${AppName}-${EnvName}-ClusterId'
Outputs:
  DiscoveryServiceARN:
    Value: !GetAtt DiscoveryService.Arn
";

    #[test]
    fn every_resource_of_a_yaml_template_is_retained_and_nothing_else_changes() {
        let (t, n) = retain_all(COPILOT_LIKE).unwrap();
        assert_eq!(n, 3);
        assert!(
            t.contains("  LogGroup:\n    DeletionPolicy: Retain\n    Metadata:"),
            "{t}"
        );
        assert!(t.contains("  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    DeletionPolicy: Retain\n"), "{t}");
        assert!(
            t.contains("  Service:\n    DeletionPolicy: Retain\n    Type: AWS::ECS::Service"),
            "{t}"
        );
        assert!(
            t.contains("Outputs:\n  DiscoveryServiceARN:\n    Value: !GetAtt"),
            "outputs untouched"
        );
        assert!(
            t.contains("          Command: |\n            echo hi\n"),
            "block scalars untouched"
        );
        assert_eq!(t.matches("DeletionPolicy: Retain").count(), 3);
        // Only the policy lines differ.
        let removed: Vec<&str> = COPILOT_LIKE
            .lines()
            .filter(|l| !t.lines().any(|m| m == *l))
            .collect();
        assert_eq!(removed, ["    DeletionPolicy: Delete"]);
        assert!(all_retained(&t), "a second pass changes nothing");
        assert!(!all_retained(COPILOT_LIKE));
    }

    #[test]
    fn json_templates_are_edited_as_json() {
        let t = r#"{"Resources": {"A": {"Type": "AWS::SQS::Queue"}, "B": {"Type": "X", "DeletionPolicy": "Delete"}}}"#;
        let (out, n) = retain_all(t).unwrap();
        assert_eq!(n, 2);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["Resources"]["A"]["DeletionPolicy"], "Retain");
        assert_eq!(v["Resources"]["B"]["DeletionPolicy"], "Retain");
        assert!(all_retained(&out));
    }

    #[test]
    fn what_cannot_be_edited_safely_is_refused() {
        assert!(
            retain_all("Resources:\n  A: {Type: X}\n")
                .unwrap_err()
                .contains("one line")
        );
        assert!(retain_all("Outputs: {}\n").is_err());
    }
}
