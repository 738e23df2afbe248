//! The add-ons stacks: the outputs of those deployed, wired as Copilot
//! wired them, and the one sidecarctl keeps.

use super::{Answers, Missing, Request};
use crate::diag::Diagnostic;
use crate::diag::Diagnostics;
use crate::model::ManagedAddons;
use crate::render::Facts;
use crate::render::addons::{Known, addons_stack, wire_outputs};
use crate::state::stack::Stack;

/// The outputs of the add-ons stacks Copilot deployed for the service, as
/// Copilot wired them into the task; a stack that cannot be read, or an
/// output without a value, is missing (the deploy would take them away).
pub(super) fn addon_outputs(
    req: &Request,
    stacks: &[(String, Option<(Stack, String)>)],
    missing: &mut Missing,
) -> crate::render::AddonOutputs {
    let mut out = crate::render::AddonOutputs::default();
    let lost = "its outputs reach the containers (variables, secrets) and the task role (policies) as Copilot wired them; a deploy without them would take them away";
    for (id, read) in stacks {
        let Some((stack, template)) = read else {
            missing.diags.push(
                Diagnostic::error(
                    "missing",
                    format!(
                        "the add-ons stack {id} that Copilot deployed for {} cannot be found",
                        req.svc.name.value
                    ),
                )
                .help(format!("{lost}; nothing was written")),
            );
            continue;
        };
        for why in wire_outputs(&stack.name, &stack.outputs, template, &mut out) {
            missing.diags.push(
                Diagnostic::error("missing", why).help(format!("{lost}; nothing was written")),
            );
        }
    }
    out
}

/// The add-ons stack sidecarctl keeps: the one `adopt` left standing, or its
/// own `{app}-{env}-{svc}-AddonsStack`; none while Copilot's service stack
/// holds the add-ons (Copilot deploys them), or without add-ons.
pub(super) fn managed(
    req: &Request,
    a: &Answers,
    facts: &Facts,
) -> Result<Option<ManagedAddons>, Diagnostics> {
    let known = Known {
        app: req.app,
        env: req.env,
        svc: &req.svc.name,
        region: req.region,
        account: &facts.account,
        partition: &facts.partition,
        url_suffix: facts.dns_suffix(),
    };
    let Some(want) = addons_stack(req.addons, &known).map_err(Diagnostics::from)? else {
        return Ok(None);
    };
    let (stack, now) = match (&a.placement.service_from, &a.own_addons) {
        (crate::model::Source::ServiceStack(_), _) => return Ok(None),
        (crate::model::Source::Adopted(_), _) => match a.addon_stacks.first() {
            // By its name: what every CloudFormation call takes.
            Some((id, read)) => match read {
                Some((s, _)) => (s.name.clone(), Some(s.clone())),
                None => (id.clone(), None),
            },
            None => (
                crate::names::sidecarctl::addons_stack(req.app, req.env, &req.svc.name),
                a.own_addons.clone().flatten(),
            ),
        },
        (_, own) => (
            crate::names::sidecarctl::addons_stack(req.app, req.env, &req.svc.name),
            own.clone().flatten(),
        ),
    };
    Ok(Some(ManagedAddons { stack, now, want }))
}
