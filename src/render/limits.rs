//! What ECS refuses in a rendered task definition: more than 64 KiB.

use crate::diag::Diagnostic;
use crate::manifest::{At, Service};

use super::TaskDefinition;

/// RegisterTaskDefinition takes task definitions of at most 64 KiB.
pub const MAX_TASK_DEFINITION_BYTES: usize = 64 * 1024;

/// An error when the task definition is too large, pointing at the largest
/// value of the manifest (usually the cause: a file pasted into a variable).
pub fn check_size(svc: &Service, td: &TaskDefinition) -> Option<Diagnostic> {
    let size = serde_json::to_string(td).map_or(0, |s| s.len());
    if size <= MAX_TASK_DEFINITION_BYTES {
        return None;
    }
    let kib = |b: usize| b.div_ceil(1024);
    let d = Diagnostic::error(
        "too-large",
        format!(
            "the task definition would be {} KiB; ECS takes at most {} KiB",
            kib(size),
            kib(MAX_TASK_DEFINITION_BYTES)
        ),
    );
    Some(match largest_value(svc) {
        Some(at) => d.at(&svc.file, at.pos).field(at.path.clone()).help(format!(
            "its largest value is {} KiB: keep big configuration in a file, an SSM parameter or S3",
            kib(at.value.len())
        )),
        None => d.in_file(&svc.file),
    })
}

/// The longest string value a container receives.
fn largest_value(svc: &Service) -> Option<&At<String>> {
    let mut values: Vec<&At<String>> = svc.variables.values().collect();
    values.extend(svc.image.labels.values());
    for sc in svc.sidecars.values() {
        values.extend(sc.variables.values());
        values.extend(sc.labels.values());
    }
    if let Some(l) = &svc.logging {
        values.extend(l.variables.values());
        values.extend(l.destination.values());
    }
    values.into_iter().max_by_key(|v| v.value.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Facts, render_task_definition};
    use crate::validate::testing::service_in;

    #[test]
    fn a_task_definition_over_64_kib_is_refused_at_its_largest_value() {
        let big = "x".repeat(70_000);
        let svc = service_in(
            &format!(
                "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\nvariables:\n  SMALL: a\n  BIG: {big}\n"
            ),
            Some("test"),
        );
        let td = render_task_definition(
            &svc,
            &Facts::offline(&svc, "demo", "test", None, None, None),
        );
        let d = check_size(&svc, &td).expect("too large");
        assert_eq!(d.field.as_deref(), Some("variables.BIG"));
        assert!(
            d.message.contains("ECS takes at most 64 KiB"),
            "{}",
            d.message
        );
        let small = service_in(
            "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\n",
            Some("test"),
        );
        let td = render_task_definition(
            &small,
            &Facts::offline(&small, "demo", "test", None, None, None),
        );
        assert!(check_size(&small, &td).is_none());
    }
}
