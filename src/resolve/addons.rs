//! The outputs of the add-ons stacks Copilot deployed, wired as Copilot
//! wired them.

use super::{Missing, Request};
use crate::diag::Diagnostic;
use crate::state::stack::Stack;

/// The outputs of the add-ons stacks Copilot deployed for the service, as
/// Copilot wired them into the task; a stack that cannot be read, or an
/// output without a value, is missing (the deploy would take them away).
pub(super) fn addon_outputs(
    req: &Request,
    stacks: &[(String, Option<(Stack, String)>)],
    missing: &mut Missing,
) -> crate::render::AddonOutputs {
    use crate::manifest::addons::{OutputKind, output_kinds, to_snake_case};
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
        out.stack = Some(stack.name.clone());
        let kinds = match output_kinds(template) {
            Ok(k) => k,
            Err(why) => {
                missing.diags.push(
                    Diagnostic::error(
                        "missing",
                        format!("the template of the add-ons stack {} {why}", stack.name),
                    )
                    .help(format!("{lost}; nothing was written")),
                );
                continue;
            }
        };
        for (name, kind) in kinds {
            let Some(value) = stack.outputs.get(&name) else {
                missing.diags.push(
                    Diagnostic::error(
                        "missing",
                        format!(
                            "the add-ons stack {} has no value for its output {name}",
                            stack.name
                        ),
                    )
                    .help(format!("{lost}; nothing was written")),
                );
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
    }
    out
}
