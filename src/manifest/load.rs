//! From a file on disk to a [`Service`]: read, parse, substitute `${VAR}`, apply
//! the environment's overrides, decode. Pure apart from reading the file.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use super::decode::{Decoder, OverrideSpan};
use super::environment::{EnvManifest, decode_environment};
use super::types::Service;
use super::workload::decode_service;
use super::workspace::display_path;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::yaml::{self, Node, Value};

/// Manifests larger than this are refused before parsing.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Reads a manifest file, refusing what cannot be one: a missing file, a
/// directory, more than [`MAX_MANIFEST_BYTES`], text that is not UTF-8.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
    let shown = display_path(path);
    let meta = std::fs::metadata(path).map_err(|e| {
        let d = Diagnostic::error(
            "unreadable",
            format!("cannot read {shown}: {}", io_reason(&e)),
        );
        if e.kind() == std::io::ErrorKind::NotFound {
            d.help("give the service's name (its directory under copilot/) or --manifest PATH")
        } else {
            d
        }
    })?;
    if meta.is_dir() {
        return Err(Diagnostic::error(
            "unreadable",
            format!("{shown} is a directory, not a manifest"),
        )
        .help(format!(
            "did you mean {}?",
            display_path(&path.join("manifest.yml"))
        )));
    }
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(Diagnostic::error(
            "too-large",
            format!(
                "{shown} is {:.1} MiB; manifests larger than {} MiB are refused",
                meta.len() as f64 / 1048576.0,
                MAX_MANIFEST_BYTES / 1048576
            ),
        )
        .help("a service manifest is a few kilobytes: is this the right file?"));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(
            "unreadable",
            format!("cannot read {shown}: {}", io_reason(&e)),
        )
    })?;
    let text = decode_utf8(&bytes).map_err(|(line, col)| {
        let f = SourceFile::new(shown.clone(), "");
        Diagnostic::error("not-utf8", "the file is not UTF-8 text")
            .at(&f, yaml::Pos::new(line, col))
            .help("save the manifest as UTF-8")
    })?;
    Ok(SourceFile::new(shown, text))
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// UTF-8 text without a byte-order mark, or the line and column of the first bad byte.
fn decode_utf8(bytes: &[u8]) -> Result<String, (u32, u32)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() as u32 + 1;
            let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() as u32 + 1;
            Err((line, col))
        }
    }
}

/// Parses a file into a tree; an empty file or one that is not a map is an error.
pub fn parse_tree(file: &Arc<SourceFile>) -> Result<Node, Diagnostic> {
    if file.text.trim().is_empty() {
        return Err(Diagnostic::error("empty", "the manifest is empty").in_file(file));
    }
    if file.text.contains('\0') {
        let before = &file.text[..file.text.find('\0').unwrap_or(0)];
        let line = before.matches('\n').count() as u32 + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        return Err(
            Diagnostic::error("not-yaml", "the file holds binary data, not YAML")
                .at(file, yaml::Pos::new(line, col)),
        );
    }
    let node = yaml::parse(&file.text).map_err(|e| {
        let d = Diagnostic::error("yaml-syntax", e.message).in_file(file);
        match e.pos {
            Some(p) => d.at(file, p),
            None => d,
        }
    })?;
    match node.value {
        Value::Map(_) => Ok(node),
        Value::Null => Err(Diagnostic::error("empty", "the manifest is empty").in_file(file)),
        _ => Err(Diagnostic::error(
            "wrong-type",
            format!("a manifest is a map of fields, not {}", node.kind()),
        )
        .at(file, node.pos)),
    }
}

/// What the manifest is loaded for.
pub struct LoadContext<'a> {
    pub app: &'a str,
    pub env: Option<&'a str>,
    /// Looks up `${VAR}` in the process environment (injected, to keep this pure).
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
}

/// The names under `environments:`.
pub fn override_names(root: &Node) -> Vec<String> {
    root.get("environments")
        .and_then(Node::as_map)
        .map(|m| m.iter().map(|(k, _)| k.name.clone()).collect())
        .unwrap_or_default()
}

/// Substitutes variables, applies `environments.{env}` and decodes the service.
/// Returns the service when it could be read, and every diagnostic either way.
pub fn load_service(
    file: &Arc<SourceFile>,
    root: &Node,
    cx: &LoadContext,
) -> (Option<Service>, Diagnostics) {
    let mut diags = Diagnostics::new();
    for (tag, pos, path) in tags(root, "") {
        diags.push(
            Diagnostic::error(
                "unsupported-tag",
                format!("the YAML tag {tag} means nothing in a service manifest"),
            )
            .at(file, pos)
            .field(path)
            .help("no field of a service manifest takes a tag (!Ref, !Sub and the like are for add-on templates): write the value itself"),
        );
    }
    let mut tree = root.clone();
    let predefined = predefined(cx);
    let mut unresolved = BTreeSet::new();
    for e in yaml::interpolate(&mut tree, &file.text, &predefined, cx.lookup) {
        unresolved.insert(e.path.clone());
        if let Some(env) = cx.env
            && let Some(merged) = e.path.strip_prefix(&format!("environments.{env}."))
        {
            unresolved.insert(merged.to_string());
        }
        diags.push(interpolation_error(file, e));
    }

    if let Some(envs) = tree.get("environments") {
        match &envs.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    if !matches!(v.value, Value::Map(_) | Value::Null) {
                        diags.push(
                            Diagnostic::error(
                                "wrong-type",
                                format!("expected a map of overrides, found {}", v.kind()),
                            )
                            .at(file, v.pos)
                            .field(format!("environments.{}", k.name)),
                        );
                    }
                }
            }
            Value::Null => {}
            _ => diags.push(
                Diagnostic::error(
                    "wrong-type",
                    format!("expected a map of environments, found {}", envs.kind()),
                )
                .at(file, envs.pos)
                .field("environments"),
            ),
        }
    }
    if let Some(env) = cx.env
        && let Some(mut over) = tree.get("environments").and_then(|e| e.get(env)).cloned()
        && matches!(over.value, Value::Map(_))
    {
        if over.get("environments").is_some() {
            diags.push(
                Diagnostic::error(
                    "nested-environments",
                    "an environment override cannot hold \"environments\"",
                )
                .at(file, over.pos)
                .field(format!("environments.{env}.environments")),
            );
        }
        if let Some(t) = over.get("type") {
            diags.push(
                Diagnostic::error(
                    "type-override",
                    "an environment override cannot change the service \"type\"",
                )
                .at(file, t.pos)
                .field(format!("environments.{env}.type")),
            );
            if let Value::Map(entries) = &mut over.value {
                entries.retain(|(k, _)| k.name != "type");
            }
        }
        yaml::merge_override(&mut tree, &over);
    }

    let span = cx.env.and_then(|env| override_span(&file.text, root, env));
    let mut d = Decoder::new(file.clone()).with_overrides(span);
    let mut service = decode_service(&mut d, &tree);
    if let Some(svc) = &mut service {
        svc.unresolved = unresolved;
        diags.extend(d.diags.into_vec().into_iter().filter(|x| {
            !(x.code == "missing-field"
                && x.field
                    .as_deref()
                    .is_some_and(|f| svc.follows_from_unresolved(f)))
        }));
        if !svc.ignored.is_empty() {
            diags.push(ignored_warning(file, &svc.ignored));
        }
    } else {
        diags.extend(d.diags.into_vec());
    }
    (service, diags)
}

/// Every explicitly tagged value under `node`, with its field path.
fn tags(node: &Node, path: &str) -> Vec<(String, yaml::Pos, String)> {
    let mut out = Vec::new();
    if let Some(t) = &node.tag {
        out.push((t.clone(), node.pos, path.to_string()));
    }
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                out.extend(tags(v, &super::decode::join(path, &k.name)));
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                out.extend(tags(v, &super::decode::index(path, i)));
            }
        }
        _ => {}
    }
    out
}

/// Where `environments.{env}:` is written: from its key's line to the end of
/// its indented block (or just that line, for a flow map).
fn override_span(text: &str, root: &Node, env: &str) -> Option<OverrideSpan> {
    let (key, _) = root
        .get("environments")?
        .as_map()?
        .iter()
        .find(|(k, _)| k.name == env)?;
    let first = key.pos.line;
    let indent = key.pos.col.saturating_sub(1) as usize;
    let mut last = first;
    for (i, line) in text.lines().enumerate().skip(first as usize) {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if line.len() - body.len() <= indent {
            break;
        }
        last = i as u32 + 1;
    }
    Some(OverrideSpan {
        env: env.to_string(),
        lines: first..=last,
    })
}

fn interpolation_error(file: &Arc<SourceFile>, e: yaml::InterpolationError) -> Diagnostic {
    let d = Diagnostic::error("interpolation", e.message.clone())
        .at(file, e.pos)
        .field(e.path.clone());
    if e.message.contains("is not defined") {
        d.help("set it in the environment, or write \\${NAME} for a literal ${NAME}")
    } else {
        d
    }
}

/// What Copilot substitutes whatever the OS environment holds: the
/// application's and the environment's names. Checked without an environment
/// (`validate` in a workspace that names none), the environment's name is a
/// stand-in, [`ANY_ENV`], so that a value built from it reads as it will.
fn predefined<'a>(cx: &LoadContext<'a>) -> [(&'static str, &'a str); 2] {
    [
        ("COPILOT_APPLICATION_NAME", cx.app),
        ("COPILOT_ENVIRONMENT_NAME", cx.env.unwrap_or(ANY_ENV)),
    ]
}

/// The environment's name in a manifest checked without one.
pub const ANY_ENV: &str = "env";

/// One warning naming every known-but-ignored field.
pub fn ignored_warning(file: &Arc<SourceFile>, ignored: &[(String, yaml::Pos)]) -> Diagnostic {
    let names: Vec<String> = ignored
        .iter()
        .map(|(path, pos)| format!("{path} (line {})", pos.line))
        .collect();
    Diagnostic::warning(
        "ignored-fields",
        format!(
            "{} Copilot field{} accepted but not acted on by sidecarctl: {}",
            ignored.len(),
            if ignored.len() == 1 { "" } else { "s" },
            names.join(", ")
        ),
    )
    .in_file(file)
    .help("they configure resources sidecarctl does not manage (load balancer rules, autoscaling, ...)")
}

/// Reads an environment manifest, with the same `${VAR}` substitution.
pub fn load_environment(
    file: &Arc<SourceFile>,
    cx: &LoadContext,
) -> (Option<EnvManifest>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut root = match parse_tree(file) {
        Ok(r) => r,
        Err(d) => {
            diags.push(d);
            return (None, diags);
        }
    };
    let predefined = predefined(cx);
    for e in yaml::interpolate(&mut root, &file.text, &predefined, cx.lookup) {
        diags.push(interpolation_error(file, e));
    }
    let (env, d) = decode_environment(file, &root);
    diags.extend(d.into_vec());
    (Some(env), diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_errors_have_positions() {
        assert_eq!(decode_utf8(b"a: 1\nb: \xff\n"), Err((2, 4)));
        assert_eq!(decode_utf8(b"\xEF\xBB\xBFa: 1\n").unwrap(), "a: 1\n");
    }

    #[test]
    fn empty_and_non_map_documents_are_refused() {
        let f = SourceFile::new("m.yml", "   \n");
        assert_eq!(parse_tree(&f).unwrap_err().code, "empty");
        let f = SourceFile::new("m.yml", "- a\n- b\n");
        assert_eq!(parse_tree(&f).unwrap_err().code, "wrong-type");
        let f = SourceFile::new("m.yml", "a: b\n\0\0");
        assert_eq!(parse_tree(&f).unwrap_err().code, "not-yaml");
    }
}
