//! Add-on managed policies with their CloudFormation intrinsics resolved:
//! `!Sub` / `Fn::Sub` (with AWS::Region, AWS::AccountId, AWS::Partition,
//! AWS::URLSuffix and the App, Env, Name parameters), `!Ref` and `!Join`.

use serde_json::{Map, Value as Json};

use super::facts::Facts;
use crate::diag::Diagnostic;
use crate::manifest::addons::{AddonPolicy, Addons};
use crate::yaml::{Node, Value};

/// A policy ready to create: its name, its JSON document and that document's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedPolicy {
    pub logical_id: String,
    pub name: String,
    pub document: String,
    pub hash: String,
}

impl RenderedPolicy {
    pub fn arn(&self, facts: &Facts) -> String {
        crate::names::arn::managed_policy(&facts.partition, &facts.account, &self.name)
    }
}

struct Scope<'a> {
    facts: &'a Facts,
    svc: &'a str,
    addons: &'a Addons,
    policy: &'a AddonPolicy,
}

impl Scope<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        let f = self.facts;
        Some(match name {
            "AWS::Region" => f.region.clone(),
            "AWS::AccountId" => f.account.clone(),
            "AWS::Partition" => f.partition.clone(),
            "AWS::URLSuffix" => f.dns_suffix().to_string(),
            "App" => f.app.clone(),
            "Env" => f.env.clone(),
            "Name" => self.svc.to_string(),
            other => {
                return self
                    .addons
                    .parameters
                    .iter()
                    .find(|p| p.name == other)?
                    .default
                    .clone();
            }
        })
    }

    fn error(&self, node: &Node, message: String) -> Diagnostic {
        Diagnostic::error("addon", message)
            .at(&self.policy.file, node.pos)
            .field(format!(
                "Resources.{}.Properties.PolicyDocument",
                self.policy.logical_id
            ))
    }
}

/// Renders every managed policy of the add-ons; the errors name the template line.
pub fn render_addon_policies(
    addons: &Addons,
    facts: &Facts,
    svc: &str,
) -> Result<Vec<RenderedPolicy>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for policy in &addons.policies {
        let scope = Scope {
            facts,
            svc,
            addons,
            policy,
        };
        match resolve(&scope, &policy.document) {
            Ok(doc) => {
                let document = serde_json::to_string(&doc).unwrap_or_default();
                let name = policy.name.clone().unwrap_or_else(|| {
                    let n = format!("{}-{}", facts.family(svc), policy.logical_id);
                    n.chars().take(128).collect()
                });
                out.push(RenderedPolicy {
                    logical_id: policy.logical_id.clone(),
                    hash: sha256_hex(document.as_bytes()),
                    name,
                    document,
                });
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn resolve(s: &Scope, node: &Node) -> Result<Json, Diagnostic> {
    if let Some(tag) = &node.tag {
        return match tag.as_str() {
            "!Sub" => sub(s, node),
            "!Ref" => reference(s, node),
            "!Join" => join(s, node),
            other => Err(s.error(
                node,
                format!("{other} is not supported in add-on policies (only !Sub, !Ref and !Join)"),
            )),
        };
    }
    match &node.value {
        Value::Null => Ok(Json::Null),
        Value::Bool(b) => Ok(Json::Bool(*b)),
        Value::Int(i) => Ok(Json::from(*i)),
        Value::Float(_) => Ok(Json::String(node.scalar_text().unwrap_or_default())),
        Value::Str(t) => Ok(Json::String(t.clone())),
        Value::Seq(items) => items
            .iter()
            .map(|i| resolve(s, i))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        Value::Map(entries) => {
            if let [(k, v)] = entries.as_slice() {
                match k.name.as_str() {
                    "Fn::Sub" => return sub(s, v),
                    "Ref" => return reference(s, v),
                    "Fn::Join" => return join(s, v),
                    name if name.starts_with("Fn::") => {
                        return Err(s.error(node, format!("{name} is not supported in add-on policies (only Fn::Sub, Ref and Fn::Join)")));
                    }
                    _ => {}
                }
            }
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k.name.clone(), resolve(s, v)?);
            }
            Ok(Json::Object(m))
        }
    }
}

fn as_text(s: &Scope, node: &Node) -> Result<String, Diagnostic> {
    match resolve(s, node)? {
        Json::String(t) => Ok(t),
        Json::Number(n) => Ok(n.to_string()),
        other => Err(s.error(node, format!("expected text, found {other}"))),
    }
}

fn sub(s: &Scope, node: &Node) -> Result<Json, Diagnostic> {
    let (template, vars): (String, Vec<(String, String)>) = match &node.value {
        Value::Seq(items) if items.len() == 2 => {
            let t = items[0]
                .scalar_text()
                .ok_or_else(|| s.error(node, "!Sub takes a template".into()))?;
            let mut vars = Vec::new();
            for (k, v) in items[1].as_map().unwrap_or_default() {
                vars.push((k.name.clone(), as_text(s, v)?));
            }
            (t, vars)
        }
        _ => (
            node.scalar_text().ok_or_else(|| {
                s.error(node, "!Sub takes a string or [template, variables]".into())
            })?,
            Vec::new(),
        ),
    };
    let mut out = String::new();
    let mut rest = template.as_str();
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some((_, v)) = vars.iter().find(|(k, _)| k == name) {
            out.push_str(v);
        } else if let Some(v) = s.lookup(name) {
            out.push_str(&v);
        } else {
            return Err(s.error(node, format!("${{{name}}} cannot be resolved: sidecarctl knows AWS::Region, AWS::AccountId, AWS::Partition, AWS::URLSuffix, App, Env, Name and parameters with defaults")));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Json::String(out))
}

fn reference(s: &Scope, node: &Node) -> Result<Json, Diagnostic> {
    let name = node.scalar_text().unwrap_or_default();
    s.lookup(&name)
        .map(Json::String)
        .ok_or_else(|| s.error(node, format!("!Ref {name} cannot be resolved: resources of add-ons are not deployed by sidecarctl")))
}

fn join(s: &Scope, node: &Node) -> Result<Json, Diagnostic> {
    let Value::Seq(items) = &node.value else {
        return Err(s.error(node, "!Join takes [delimiter, [values]]".into()));
    };
    let [delim, list] = items.as_slice() else {
        return Err(s.error(node, "!Join takes [delimiter, [values]]".into()));
    };
    let delim = delim.scalar_text().unwrap_or_default();
    let Value::Seq(values) = &list.value else {
        return Err(s.error(list, "!Join takes a list of values".into()));
    };
    let parts = values
        .iter()
        .map(|v| as_text(s, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json::String(parts.join(&delim)))
}

/// SHA-256, hex: the document hash kept in a tag to tell whether a policy changed.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Diagnostics, SourceFile};
    use crate::manifest::addons::parse_addon;

    fn facts() -> Facts {
        Facts {
            env_files: None,
            messaging: Default::default(),
            lb_dns: None,
            managed_efs: None,
            app: "demo".into(),
            env: "test".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            partition: "aws".into(),
            execution_role_arn: String::new(),
            task_role_arn: String::new(),
            images: Default::default(),
            secret_arns: Default::default(),
            credential_arns: Default::default(),
            addon_outputs: Default::default(),
        }
    }

    fn addons(text: &str) -> Addons {
        let mut a = Addons::default();
        let mut d = Diagnostics::new();
        parse_addon(&SourceFile::new("addons/x.yml", text), &mut a, &mut d);
        assert!(!d.has_errors());
        a
    }

    #[test]
    fn sha256_matches_known_values() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn resolves_sub_ref_and_join_and_lists_other_resources() {
        let a = addons(
            "Parameters:\n  App: {Type: String}\n  Bucket: {Type: String, Default: assets}\nResources:\n  B:\n    Type: AWS::S3::Bucket\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: 2012-10-17\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource:\n              - !Sub 'arn:${AWS::Partition}:s3:::${App}-${Env}-${Bucket}/*'\n              - !Join ['', ['arn:aws:logs:', !Ref AWS::Region, ':', {Ref: AWS::AccountId}, ':x']]\n              - Fn::Sub: ['${X}-${!Literal}', {X: !Ref Name}]\n",
        );
        assert_eq!(
            a.skipped,
            vec![(
                "addons/x.yml".to_string(),
                "B".to_string(),
                "AWS::S3::Bucket".to_string()
            )]
        );
        let p = &render_addon_policies(&a, &facts(), "api").unwrap()[0];
        assert_eq!(p.name, "demo-test-api-P");
        let doc: Json = serde_json::from_str(&p.document).unwrap();
        let res = &doc["Statement"][0]["Resource"];
        assert_eq!(res[0], "arn:aws:s3:::demo-test-assets/*");
        assert_eq!(res[1], "arn:aws:logs:eu-west-1:123456789012:x");
        assert_eq!(res[2], "api-${Literal}");
        assert_eq!(doc["Version"], "2012-10-17");
    }

    #[test]
    fn unresolvable_references_are_errors_with_positions() {
        let a = addons(
            "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Resource: !GetAtt Bucket.Arn\n          - Resource: !Sub '${Bucket.Arn}/*'\n",
        );
        let errs = render_addon_policies(&a, &facts(), "api").unwrap_err();
        assert_eq!(errs.len(), 1, "the first problem of a policy is reported");
        assert_eq!(errs[0].pos.unwrap().line, 7);
    }
}
