//! `sidecarctl adopt`: hands a service Copilot deployed over from
//! CloudFormation without touching what runs, and fails closed: nothing is
//! deleted unless CloudFormation's own copy of every template involved (the
//! service stack's and each nested stack's, such as Copilot's `AddonsStack`)
//! proves, read back, that every resource is retained.
//!
//! The pure parts are here and in [`template`]; the steps that talk to AWS
//! are in `run`.

#[cfg(feature = "cli")]
mod check;
#[cfg(feature = "cli")]
pub mod run;
pub mod template;
#[cfg(feature = "cli")]
mod wait;

use crate::state::stack::Change;

/// The states a stack is handed over from: stable, complete, with its
/// resources in place.
pub fn stable(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE"
            | "UPDATE_COMPLETE"
            | "UPDATE_ROLLBACK_COMPLETE"
            | "IMPORT_COMPLETE"
            | "IMPORT_ROLLBACK_COMPLETE"
    )
}

/// Whether CloudFormation is still working on the stack.
pub fn in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS")
}

/// The attributes a retaining update may change.
const POLICY_SCOPES: [&str; 2] = ["DeletionPolicy", "UpdateReplacePolicy"];

/// The changes of a change set that are not the retaining update's own, in
/// words; empty when the change set only sets deletion policies. Accepted: the
/// marker's addition, and modifications that replace nothing and change no
/// attribute but the two policies (CloudFormation describes a nested stack
/// that it re-evaluates because its parent changes as an automatic change,
/// which updates nothing when its template and parameters are unchanged).
pub fn unexpected_changes(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter_map(|c| {
            let what = format!("{} {} ({})", c.action, c.logical_id, c.kind);
            match c.action.as_str() {
                "Add" if c.logical_id == template::MARKER => None,
                "Modify" => {
                    if matches!(c.replacement.as_deref(), Some("True" | "Conditional")) {
                        return Some(format!("{what}: would replace the resource"));
                    }
                    let nested = c.kind == "AWS::CloudFormation::Stack";
                    let scope: Vec<&str> = c
                        .scope
                        .iter()
                        .map(String::as_str)
                        .filter(|s| !POLICY_SCOPES.contains(s))
                        .collect();
                    let details: Vec<&str> = c
                        .details
                        .iter()
                        .filter(|(attr, source)| {
                            let policy =
                                attr.as_deref().is_some_and(|a| POLICY_SCOPES.contains(&a));
                            let automatic = nested && source.as_deref() == Some("Automatic");
                            !(policy || automatic)
                        })
                        .map(|(attr, _)| attr.as_deref().unwrap_or("?"))
                        .collect();
                    if details.is_empty() && (scope.is_empty() || nested) {
                        return None;
                    }
                    let mut changed: Vec<&str> = scope.into_iter().chain(details).collect();
                    changed.sort_unstable();
                    changed.dedup();
                    Some(format!("{what}: would change {}", changed.join(", ")))
                }
                _ => Some(what),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stable_complete_stacks_are_handed_over() {
        assert!(stable("UPDATE_COMPLETE") && stable("UPDATE_ROLLBACK_COMPLETE"));
        assert!(
            !stable("ROLLBACK_COMPLETE"),
            "a failed creation left nothing to adopt"
        );
        assert!(!stable("UPDATE_IN_PROGRESS") && in_progress("UPDATE_IN_PROGRESS"));
        assert!(!stable("DELETE_FAILED") && !in_progress("DELETE_FAILED"));
    }

    fn change(action: &str, id: &str, kind: &str) -> Change {
        Change {
            action: action.into(),
            logical_id: id.into(),
            kind: kind.into(),
            ..Change::default()
        }
    }

    #[test]
    fn a_change_set_that_only_retains_is_accepted() {
        let mut policy = change("Modify", "Service", "AWS::ECS::Service");
        policy.replacement = Some("False".into());
        policy.scope = vec!["DeletionPolicy".into(), "UpdateReplacePolicy".into()];
        policy.details = vec![(
            Some("DeletionPolicy".into()),
            Some("DirectModification".into()),
        )];
        let bare = change("Modify", "LogGroup", "AWS::Logs::LogGroup");
        let mut nested = change("Modify", "AddonsStack", "AWS::CloudFormation::Stack");
        nested.scope = vec!["DeletionPolicy".into()];
        nested.details = vec![(Some("Properties".into()), Some("Automatic".into()))];
        let marker = change(
            "Add",
            template::MARKER,
            "AWS::CloudFormation::WaitConditionHandle",
        );
        assert!(unexpected_changes(&[policy, bare, nested, marker]).is_empty());
    }

    #[test]
    fn anything_else_is_named() {
        let mut props = change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition");
        props.scope = vec!["Properties".into()];
        props.details = vec![(Some("Properties".into()), Some("DirectModification".into()))];
        let mut replaced = change("Modify", "Queue", "AWS::SQS::Queue");
        replaced.replacement = Some("True".into());
        let mut nested_edit = change("Modify", "AddonsStack", "AWS::CloudFormation::Stack");
        nested_edit.scope = vec!["Properties".into()];
        nested_edit.details = vec![(Some("Properties".into()), Some("DirectModification".into()))];
        let got = unexpected_changes(&[
            props,
            replaced,
            change(
                "Remove",
                "Rule",
                "AWS::ElasticLoadBalancingV2::ListenerRule",
            ),
            change("Add", "Other", "AWS::SQS::Queue"),
            nested_edit,
        ]);
        assert_eq!(
            got,
            [
                "Modify TaskDefinition (AWS::ECS::TaskDefinition): would change Properties",
                "Modify Queue (AWS::SQS::Queue): would replace the resource",
                "Remove Rule (AWS::ElasticLoadBalancingV2::ListenerRule)",
                "Add Other (AWS::SQS::Queue)",
                "Modify AddonsStack (AWS::CloudFormation::Stack): would change Properties",
            ]
        );
    }
}
