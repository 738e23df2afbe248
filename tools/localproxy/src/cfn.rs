//! CloudFormation as AWS runs it, where the emulator differs:
//! - ListImports, which the emulator does not implement: the stacks whose
//!   templates import an export (an `ImportValue` of the export's name, as
//!   written; names built with `!Sub` are not resolved);
//! - DeleteStack of a stack whose export another stack imports: AWS accepts
//!   the request and the stack ends DELETE_FAILED, with the reason; the
//!   emulator deletes it. The stack is left alone and shown DELETE_FAILED
//!   until a DeleteStack finds nothing importing it;
//! - LastUpdatedTime, which the emulator never sets: set when an UpdateStack
//!   or ExecuteChangeSet passes through the proxy;
//! - on request (`POST /_sim/cfn {"emptyChangeSets": true}`), every change
//!   set described as CloudFormation describes one that changes nothing
//!   (FAILED, "The submitted information didn't contain changes."), the
//!   answer AWS has given to updates that change deletion policies only.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Deserialize;

/// What the proxy keeps of CloudFormation.
#[derive(Default)]
pub struct Cfn {
    /// Stacks whose deletion failed, by name: the reason.
    delete_failed: BTreeMap<String, String>,
    /// When a stack was last updated through the proxy, by name (RFC 3339).
    updated: BTreeMap<String, String>,
    empty_change_sets: bool,
    /// The stack of each change set created through the proxy, by id (an
    /// ExecuteChangeSet may name the change set alone).
    change_sets: BTreeMap<String, String>,
    /// The change sets there are, by (stack name, change set name), with
    /// their ids: AWS refuses a second of one name (the emulator makes it).
    named: BTreeMap<(String, String), String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    empty_change_sets: bool,
}

impl Cfn {
    pub fn configure(&mut self, c: Config) {
        self.empty_change_sets = c.empty_change_sets;
    }

    pub fn reset(&mut self) {
        self.empty_change_sets = false;
    }

    pub fn mark_delete_failed(&mut self, stack: &str, reason: String) {
        self.delete_failed.insert(stack_name(stack), reason);
    }

    pub fn clear_delete_failed(&mut self, stack: &str) {
        self.delete_failed.remove(&stack_name(stack));
    }

    pub fn remember_change_set(&mut self, id: &str, stack: &str) {
        self.change_sets.insert(id.to_string(), stack.to_string());
    }

    /// A change set of this name exists for the stack.
    pub fn change_set_exists(&self, stack: &str, name: &str) -> bool {
        self.named
            .contains_key(&(stack.to_string(), name.to_string()))
    }

    pub fn remember_named(&mut self, stack: &str, name: &str, id: &str) {
        self.named
            .insert((stack.to_string(), name.to_string()), id.to_string());
    }

    /// A change set deleted or executed: its name is free again.
    pub fn forget_change_set(&mut self, name_or_id: &str) {
        self.named
            .retain(|(_, name), id| name != name_or_id && id != name_or_id);
    }

    pub fn change_set_stack(&self, id: &str) -> Option<String> {
        self.change_sets.get(id).cloned()
    }

    pub fn mark_updated(&mut self, stack: &str, at: String) {
        self.updated.insert(stack_name(stack), at);
    }

    /// A DescribeStacks answer as AWS would give it.
    pub fn describe_stacks(&self, xml: &str) -> String {
        let mut out = String::with_capacity(xml.len());
        let mut rest = xml;
        while let Some((before, member, after)) = next_member(rest, "Stacks") {
            out.push_str(before);
            let name = tag(member, "StackName").unwrap_or_default().to_string();
            let mut m = member.to_string();
            if let Some(reason) = self.delete_failed.get(&name) {
                m = replace_tag(&m, "StackStatus", "DELETE_FAILED");
                m = replace_tag(&m, "StackStatusReason", &escape(reason));
                if tag(&m, "StackStatusReason").is_none() {
                    m = m.replacen(
                        "</StackStatus>",
                        &format!(
                            "</StackStatus><StackStatusReason>{}</StackStatusReason>",
                            escape(reason)
                        ),
                        1,
                    );
                }
            }
            if let Some(at) = self.updated.get(&name)
                && tag(&m, "LastUpdatedTime").is_none()
            {
                m = m.replacen(
                    "</StackName>",
                    &format!("</StackName><LastUpdatedTime>{at}</LastUpdatedTime>"),
                    1,
                );
            }
            out.push_str(&m);
            rest = after;
        }
        out.push_str(rest);
        out
    }

    /// A DescribeChangeSet answer, emptied when asked to.
    pub fn describe_change_set(&self, xml: &str) -> Option<String> {
        if !self.empty_change_sets {
            return None;
        }
        let mut x = replace_tag(xml, "Status", "FAILED");
        x = replace_tag(&x, "ExecutionStatus", "UNAVAILABLE");
        let reason = "The submitted information didn't contain changes. Submit different information to create a change set.";
        x = match tag(&x, "StatusReason") {
            Some(_) => replace_tag(&x, "StatusReason", reason),
            None => x.replacen(
                "</Status>",
                &format!("</Status><StatusReason>{reason}</StatusReason>"),
                1,
            ),
        };
        if let (Some(a), Some(b)) = (x.find("<Changes>"), x.find("</Changes>")) {
            x.replace_range(a..b + "</Changes>".len(), "<Changes/>");
        }
        Some(x)
    }
}

/// Now, as CloudFormation writes times (RFC 3339, UTC).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The stacks whose template imports `export`, of `templates` (name, body).
pub fn importers<'a>(export: &str, templates: &'a [(String, String)]) -> Vec<&'a str> {
    templates
        .iter()
        .filter(|(_, body)| imports(body, export))
        .map(|(name, _)| name.as_str())
        .collect()
}

/// Whether a template (JSON or YAML) imports `export` by its literal name.
fn imports(body: &str, export: &str) -> bool {
    body.match_indices("ImportValue").any(|(i, _)| {
        let after = &body[i + "ImportValue".len()..];
        let window: String = after.chars().take(export.len() + 16).collect();
        window
            .trim_start_matches(|c: char| c == '"' || c == '\'' || c == ':' || c.is_whitespace())
            .starts_with(export)
            && {
                let tail = &window.trim_start_matches(|c: char| {
                    c == '"' || c == '\'' || c == ':' || c.is_whitespace()
                })[export.len()..];
                tail.is_empty() || !tail.starts_with(|c: char| c.is_alphanumeric() || c == '-')
            }
    })
}

/// A ListImports answer (or AWS's error when nothing imports the export).
pub fn list_imports_answer(export: &str, importers: &[&str]) -> (u16, String) {
    if importers.is_empty() {
        return (
            400,
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Export '{}' is not imported by any stack.</Message></Error><RequestId>sim-imports</RequestId></ErrorResponse>",
                escape(export)
            ),
        );
    }
    let members: String = importers
        .iter()
        .map(|s| format!("<member>{}</member>", escape(s)))
        .collect();
    (
        200,
        format!(
            r#"<ListImportsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListImportsResult><Imports>{members}</Imports></ListImportsResult><ResponseMetadata><RequestId>sim-imports</RequestId></ResponseMetadata></ListImportsResponse>"#
        ),
    )
}

pub fn delete_stack_answer() -> Bytes {
    Bytes::from_static(br#"<DeleteStackResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ResponseMetadata><RequestId>sim-delete</RequestId></ResponseMetadata></DeleteStackResponse>"#)
}

/// `NAME` of `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID`, or the name as given.
pub fn stack_name(stack: &str) -> String {
    match stack.strip_prefix("arn:") {
        Some(_) => stack
            .split(":stack/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or(stack)
            .to_string(),
        None => stack.to_string(),
    }
}

/// The text of the first `<name>` element.
pub fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let a = xml.find(&open)? + open.len();
    let b = xml[a..].find(&close)? + a;
    Some(&xml[a..b])
}

/// The text of every `<member>` directly inside `<list>`.
pub fn list_members<'a>(xml: &'a str, list: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some((_, member, after)) = next_member(rest, list) {
        out.push(member);
        rest = after;
    }
    out
}

/// Splits `xml` at the next top-level `<member>` of `<list>`: what comes
/// before it, the member (with its tags), and what follows.
fn next_member<'a>(xml: &'a str, list: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let open_list = format!("<{list}>");
    let list_start = xml
        .find(&open_list)
        .map(|i| i + open_list.len())
        .unwrap_or(0);
    let start = xml[list_start..].find("<member>")? + list_start;
    let mut depth = 0usize;
    let mut i = start;
    while i < xml.len() {
        if xml[i..].starts_with("<member>") {
            depth += 1;
            i += "<member>".len();
        } else if xml[i..].starts_with("</member>") {
            depth -= 1;
            i += "</member>".len();
            if depth == 0 {
                return Some((&xml[..start], &xml[start..i], &xml[i..]));
            }
        } else {
            i += xml[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    None
}

fn replace_tag(xml: &str, name: &str, value: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    match (xml.find(&open), xml.find(&close)) {
        (Some(a), Some(b)) if b > a => format!("{}{open}{value}{}", &xml[..a], &xml[b..]),
        _ => xml.to_string(),
    }
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// XML text as the characters it stands for.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_found_by_the_exports_name_in_json_and_yaml() {
        let t = vec![
            (
                "json".to_string(),
                r#"{"Q": {"Fn::ImportValue": "app-env-ClusterId"}}"#.to_string(),
            ),
            (
                "yaml".to_string(),
                "Cluster:\n  Fn::ImportValue: app-env-ClusterId\n".to_string(),
            ),
            (
                "other".to_string(),
                r#"{"Fn::ImportValue": "app-env-ClusterIdX"}"#.to_string(),
            ),
            ("none".to_string(), "app-env-ClusterId".to_string()),
        ];
        assert_eq!(importers("app-env-ClusterId", &t), ["json", "yaml"]);
    }

    #[test]
    fn describe_stacks_shows_a_failed_deletion_and_the_update_time() {
        let mut c = Cfn::default();
        c.mark_delete_failed(
            "arn:aws:cloudformation:us-east-1:1:stack/a/x",
            "in use".into(),
        );
        c.mark_updated("b", "2026-01-01T00:00:00Z".into());
        let xml = "<DescribeStacksResult><Stacks><member><StackName>a</StackName><Outputs><member><OutputKey>k</OutputKey></member></Outputs><StackStatus>UPDATE_COMPLETE</StackStatus></member><member><StackName>b</StackName><StackStatus>UPDATE_COMPLETE</StackStatus></member></Stacks></DescribeStacksResult>";
        let out = c.describe_stacks(xml);
        let members = list_members(&out, "Stacks");
        assert_eq!(members.len(), 2);
        assert!(members[0].contains("<StackStatus>DELETE_FAILED</StackStatus><StackStatusReason>in use</StackStatusReason>"), "{out}");
        assert!(members[1].contains("<LastUpdatedTime>2026-01-01T00:00:00Z</LastUpdatedTime>"));
        assert!(members[1].contains("<StackStatus>UPDATE_COMPLETE</StackStatus>"));
    }

    #[test]
    fn xml_text_unescapes() {
        assert_eq!(
            unescape("a &lt;b&gt; &amp;&#xA;&#10;&quot;"),
            "a <b> &\n\n\""
        );
        assert_eq!(stack_name("arn:aws:cloudformation:r:1:stack/n/id"), "n");
    }
}
