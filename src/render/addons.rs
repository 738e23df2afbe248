//! The add-ons stack sidecarctl deploys for a service: the merged template
//! (see [`crate::manifest::addons`]), Copilot's parameters (`App`, `Env`,
//! `Name`) and `addons.parameters.yml`'s values, and a hash of both, kept on
//! the stack to tell whether it has to change.

use crate::diag::Diagnostic;
use crate::manifest::addons::{Addons, COPILOT_PARAMETERS};
use crate::yaml::Node;

/// What to deploy as the add-ons stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddonsStack {
    /// The template, JSON.
    pub template: String,
    pub parameters: Vec<(String, String)>,
    /// SHA-256 of the template and the parameters.
    pub hash: String,
}

/// The largest template CloudFormation takes in a request.
pub const MAX_TEMPLATE_BYTES: usize = 51_200;

/// What `${X}` and `!Ref X` may name in `addons.parameters.yml`: Copilot's
/// parameters and the pseudo parameters, by value.
pub struct Known<'a> {
    pub app: &'a str,
    pub env: &'a str,
    pub svc: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub partition: &'a str,
    pub url_suffix: &'a str,
}

impl Known<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "App" => self.app,
            "Env" => self.env,
            "Name" => self.svc,
            "AWS::Region" => self.region,
            "AWS::AccountId" => self.account,
            "AWS::Partition" => self.partition,
            "AWS::URLSuffix" => self.url_suffix,
            _ => return None,
        })
    }
}

/// The add-ons stack of a service; `None` without add-ons. A value that
/// names something only Copilot's service stack had, a parameter without a
/// value or default, or a template over CloudFormation's limit is an error
/// at its place.
pub fn addons_stack(addons: &Addons, k: &Known) -> Result<Option<AddonsStack>, Vec<Diagnostic>> {
    let Some(template) = &addons.template else {
        return Ok(None);
    };
    let mut errors = Vec::new();
    let mut parameters: Vec<(String, String)> = COPILOT_PARAMETERS
        .iter()
        .map(|p| (p.to_string(), k.get(p).unwrap_or_default().to_string()))
        .collect();
    for v in &addons.values {
        match value_of(&v.node, k) {
            Ok(text) => parameters.push((v.name.clone(), text)),
            Err(why) => errors.push(
                Diagnostic::error("addon", why)
                    .at(&v.file, v.node.pos)
                    .field(format!("Parameters.{}", v.name)),
            ),
        }
    }
    for (name, default) in addons.extra_parameters() {
        if default.is_none() && !addons.values.iter().any(|v| v.name == name) {
            errors.push(
                Diagnostic::error(
                    "addon",
                    format!("the add-ons' parameter {name} has no default and no value"),
                )
                .help("give it a value in copilot/{svc}/addons/addons.parameters.yml"),
            );
        }
    }
    let text = serde_json::to_string(template).unwrap_or_default();
    if text.len() > MAX_TEMPLATE_BYTES {
        errors.push(Diagnostic::error(
            "addon",
            format!(
                "the add-ons template is {} bytes; CloudFormation takes {MAX_TEMPLATE_BYTES} in a request",
                text.len()
            ),
        ).help("sidecarctl does not upload templates to S3 yet: split the add-ons into fewer resources"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    parameters.sort();
    let hashed = format!(
        "{text}\n{}",
        serde_json::to_string(&parameters).unwrap_or_default()
    );
    Ok(Some(AddonsStack {
        hash: sha256_hex(hashed.as_bytes()),
        template: text,
        parameters,
    }))
}

/// A parameter's value: a scalar, or `!Ref`/`!Sub` of what is known.
fn value_of(n: &Node, k: &Known) -> Result<String, String> {
    let text = n
        .scalar_text()
        .ok_or_else(|| format!("expected a value, found {}", n.kind()))?;
    match n.tag.as_deref() {
        None => Ok(text),
        Some("!Ref") => k.get(text.trim()).map(str::to_string).ok_or_else(|| {
            format!("!Ref {text}: only Copilot's service stack had {text}; give the value itself")
        }),
        Some("!Sub") => substitute(&text, k),
        Some(t) => Err(format!(
            "{t}: in addons.parameters.yml sidecarctl takes values, !Ref and !Sub of App, Env, Name and the AWS:: pseudo parameters"
        )),
    }
}

fn substitute(s: &str, k: &Known) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("!Sub {s:?}: an unclosed ${{"))?;
        let name = &after[..end];
        out.push_str(
            k.get(name).ok_or_else(|| {
                format!("!Sub names {name}, which only Copilot's service stack had")
            })?,
        );
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Wires a deployed add-ons stack's outputs into `out` as Copilot wired them
/// (`addon.Outputs`: by the type of what each output is a `Ref` of); what
/// cannot be read is said, one sentence each.
pub fn wire_outputs(
    stack: &str,
    outputs: &std::collections::BTreeMap<String, String>,
    template: &str,
    out: &mut super::AddonOutputs,
) -> Vec<String> {
    use crate::manifest::addons::{OutputKind, output_kinds, to_snake_case};
    out.stack = Some(stack.to_string());
    let kinds = match output_kinds(template) {
        Ok(k) => k,
        Err(why) => {
            return vec![format!("the template of the add-ons stack {stack} {why}")];
        }
    };
    let mut problems = Vec::new();
    for (name, kind) in kinds {
        let Some(value) = outputs.get(&name) else {
            problems.push(format!(
                "the add-ons stack {stack} has no value for its output {name}"
            ));
            continue;
        };
        let env = to_snake_case(&name);
        match kind {
            OutputKind::Secret => {
                out.secrets.insert(env, value.clone());
            }
            OutputKind::ManagedPolicy => out.policies.push(value.clone()),
            OutputKind::Variable => {
                out.variables.insert(env, value.clone());
            }
            OutputKind::SecurityGroup => {
                out.variables.insert(env, value.clone());
                out.security_groups.push(value.clone());
            }
        }
    }
    problems
}

/// SHA-256, hex.
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
    use crate::manifest::addons::{ParameterValue, parse_addon};
    use crate::yaml::Value;

    fn known() -> Known<'static> {
        Known {
            app: "demo",
            env: "test",
            svc: "api",
            region: "eu-west-1",
            account: "123456789012",
            partition: "aws",
            url_suffix: "amazonaws.com",
        }
    }

    fn addons(files: &[(&str, &str)]) -> (Addons, Diagnostics) {
        let mut a = Addons::default();
        let mut d = Diagnostics::new();
        for (name, text) in files {
            parse_addon(&SourceFile::new(*name, *text), &mut a, &mut d);
        }
        (a, d)
    }

    const HEAD: &str =
        "Parameters:\n  App: {Type: String}\n  Env: {Type: String}\n  Name: {Type: String}\n";

    #[test]
    fn templates_merge_and_intrinsics_take_their_long_form() {
        let (a, d) = addons(&[
            (
                "a.yml",
                &format!(
                    "{HEAD}Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${{App}}-${{Env}}-orders'\nOutputs:\n  TableName:\n    Value: !Ref Table\n"
                ),
            ),
            (
                "b.yml",
                &format!(
                    "{HEAD}Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\nOutputs:\n  BucketArn:\n    Value: !GetAtt Bucket.Arn\n"
                ),
            ),
        ]);
        assert!(d.is_empty(), "{d:?}");
        let t = a.template.as_ref().unwrap();
        assert_eq!(
            t["Resources"]["Table"]["Properties"]["TableName"]["Fn::Sub"],
            "${App}-${Env}-orders"
        );
        assert_eq!(t["Outputs"]["TableName"]["Value"]["Ref"], "Table");
        assert_eq!(
            t["Outputs"]["BucketArn"]["Value"]["Fn::GetAtt"],
            serde_json::json!(["Bucket", "Arn"])
        );
        let s = addons_stack(&a, &known()).unwrap().unwrap();
        assert_eq!(s.parameters[0], ("App".into(), "demo".into()));
        assert_eq!(s.hash.len(), 64);
    }

    #[test]
    fn a_name_defined_twice_differently_is_an_error() {
        let (_, d) = addons(&[
            (
                "a.yml",
                &format!("{HEAD}Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"),
            ),
            (
                "b.yml",
                &format!("{HEAD}Resources:\n  Bucket:\n    Type: AWS::SQS::Queue\n"),
            ),
        ]);
        let msgs: Vec<String> = d.iter().map(|x| x.to_string()).collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains("Resources.Bucket is defined differently"),
            "{msgs:?}"
        );
        assert!(msgs[0].contains("b.yml:6:3"), "{msgs:?}");
    }

    #[test]
    fn parameter_values_take_what_is_known_and_refuse_the_service_stack() {
        let (mut a, _) = addons(&[(
            "a.yml",
            &format!(
                "{HEAD}  Prefix: {{Type: String}}\n  Other: {{Type: String}}\nResources:\n  B:\n    Type: AWS::S3::Bucket\n"
            ),
        )]);
        let file = SourceFile::new("addons.parameters.yml", "");
        let node = |tag: Option<&str>, v: &str| {
            let mut n = Node::new(Value::Str(v.into()), Default::default());
            n.tag = tag.map(str::to_string);
            n
        };
        a.values = vec![
            ParameterValue {
                file: file.clone(),
                name: "Prefix".into(),
                node: node(Some("!Sub"), "${App}-${AWS::Region}"),
            },
            ParameterValue {
                file: file.clone(),
                name: "Other".into(),
                node: node(
                    Some("!GetAtt"),
                    "EnvControllerAction.InternalLoadBalancerDNSName",
                ),
            },
        ];
        let errors = addons_stack(&a, &known()).unwrap_err();
        assert_eq!(errors.len(), 1);
        a.values.pop();
        a.values.push(ParameterValue {
            file,
            name: "Other".into(),
            node: node(None, "plain"),
        });
        let s = addons_stack(&a, &known()).unwrap().unwrap();
        assert!(
            s.parameters
                .contains(&("Prefix".into(), "demo-eu-west-1".into()))
        );
    }
}
