//! `sidecarctl render`: the task definition (or IAM policies), without AWS.

use super::args::{DataFormat, GlobalArgs, RenderArgs};
use super::load::load_for_env;
use super::output::{print_data, to_yaml};
use super::print_diagnostics;
use crate::aws::config::configured_region;
use crate::diag::Diagnostic;
use crate::exit::Exit;
use crate::render::{self, Facts, facts};

pub fn run(args: &RenderArgs, global: &GlobalArgs) -> Exit {
    let loaded = match load_for_env(&args.target, args.strict.strict) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags, global);
            return Exit::Invalid;
        }
    };
    let svc = &loaded.service;
    let mut diags = loaded.diags.clone();
    let app = &loaded.target.app;
    // The region as the SDK would take it (the flag, AWS_REGION, the profile),
    // without asking AWS anything.
    let region = super::runtime().block_on(configured_region(
        global.region.as_deref(),
        global.profile.as_deref(),
    ));

    let facts = Facts::offline(
        svc,
        app,
        args.target.env(),
        args.account.as_deref(),
        region.as_deref(),
        args.image_tag.as_deref(),
    );
    // Env files in sidecarctl's bucket for the account and region (a
    // workspace Copilot deployed keeps them in its own: deploy finds it).
    let mut facts = facts.with_env_files(&loaded.env_files, None);
    if let Some(a) = &args.execution_role_arn {
        facts.execution_role_arn = a.clone();
    }
    if let Some(a) = &args.task_role_arn {
        facts.task_role_arn = a.clone();
    }
    // The topics' and queues' variables as a first deploy sets them
    // (Copilot's names; deploy reads what exists).
    if !svc.publish.topics.is_empty() || svc.subscribe.is_some() {
        let place = crate::model::messaging::Place {
            app,
            env: args.target.env(),
            partition: &facts.partition.clone(),
            region: &facts.region.clone(),
            account: &facts.account.clone(),
        };
        facts.messaging = crate::model::messaging::facts(svc, &place, &Default::default());
    }
    let mut placeholders = Vec::new();
    if args.account.is_none() {
        placeholders.push(format!(
            "account {} (--account)",
            facts::PLACEHOLDER_ACCOUNT
        ));
    }
    if region.is_none() {
        placeholders.push(format!(
            "region {} (--region or AWS_REGION)",
            facts::PLACEHOLDER_REGION
        ));
    }
    if svc.image.build.is_some() && args.image_tag.is_none() {
        placeholders.push("image tag latest for image.build (--image-tag)".into());
    }
    if !placeholders.is_empty() {
        diags.push(
            Diagnostic::warning(
                "placeholders",
                format!("rendered with placeholders: {}", placeholders.join(", ")),
            )
            .help("deploy resolves these from AWS; pass the flags to render real values"),
        );
    }
    let td = render::render_task_definition(svc, &facts);
    let (doc, refused) = render::document::registration(&td, svc);
    let invalid = refused.has_errors();
    diags.extend(refused.into_vec());
    print_diagnostics(&diags, global);
    if invalid {
        return Exit::Invalid;
    }
    let value = if args.iam {
        let p = render::render_policies(svc, &facts, &td);
        serde_json::json!({
            "executionRole": {"arn": facts.execution_role_arn, "policy": p.execution},
            "taskRole": {"arn": facts.task_role_arn, "policy": p.task},
        })
    } else {
        doc.clone()
    };
    let text = match args.output {
        DataFormat::Json => {
            if args.iam {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                )
            } else {
                render::document::to_json(&doc)
            }
        }
        DataFormat::Yaml => to_yaml(&value),
    };
    print_data(&text);
    Exit::Ok
}
