//! Any bytes as a service manifest: reading, `${VAR}` substitution, every
//! environment's overrides, decoding, validation, diagnostics rendering and,
//! for valid manifests, the task definition and IAM policies. Nothing may
//! panic, and everything must end quickly (libFuzzer's -timeout).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sidecarctl::diag::{SourceFile, render_json, render_text};
use sidecarctl::manifest::{LoadContext, load_service, override_names, parse_tree};
use sidecarctl::render::document::{registration, to_json};
use sidecarctl::render::{Facts, render_policies, render_task_definition};
use sidecarctl::term::Palette;
use sidecarctl::validate::validate;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let file = SourceFile::new("fuzz.yml", text.as_ref());
    let root = match parse_tree(&file) {
        Ok(r) => r,
        Err(d) => {
            let _ = d.to_string();
            return;
        }
    };
    let lookup = |name: &str| (name.len() % 2 == 0).then(|| format!("v-{name}"));
    let mut envs: Vec<Option<String>> = vec![None];
    envs.extend(override_names(&root).into_iter().take(4).map(Some));
    for env in envs {
        let cx = LoadContext { app: "fuzz", env: env.as_deref(), lookup: &lookup };
        let (svc, mut diags) = load_service(&file, &root, &cx);
        if let Some(svc) = svc {
            let v = validate(&svc);
            if !v.has_errors() && !diags.has_errors() {
                let facts = Facts::offline(&svc, "fuzz", env.as_deref().unwrap_or("test"), None, None, Some("v1"));
                let td = render_task_definition(&svc, &facts);
                // The document ECS is sent, taskdef_overrides applied.
                let (doc, _) = registration(&td, &svc);
                let _ = to_json(&doc);
                let _ = render_policies(&svc, &facts, &td);
            }
            diags.extend(v.into_vec());
        }
        let _ = render_text(&diags, Palette::new(true));
        let _ = render_json(&diags);
    }
});
