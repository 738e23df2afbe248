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
