//! `taskdef_overrides` against the task definition they edit: rendered
//! without AWS (placeholder account and region change no field's shape), so
//! `validate` reports a rule that points at nothing as `deploy` would.

use super::Check;
use crate::manifest::Service;
use crate::render::{Facts, document::registration, render_task_definition};

pub(super) fn taskdef_overrides(svc: &Service, v: &mut Check) {
    // Rendering needs the rest to be valid; its errors are reported already.
    if svc.taskdef_overrides.is_empty() || v.diags.has_errors() {
        return;
    }
    let facts = Facts::offline(svc, "app", "env", None, None, None);
    let td = render_task_definition(svc, &facts);
    let (_, refused) = registration(&td, svc);
    v.diags.extend(refused.into_vec());
}
