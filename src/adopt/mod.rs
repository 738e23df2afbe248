//! `sidecarctl adopt`: hands a service Copilot deployed over from
//! CloudFormation without touching what runs. Every resource of the service
//! stack `{app}-{env}-{svc}` gets `DeletionPolicy: Retain` (an update of the
//! stack with its own template and previous parameters), the stack is
//! deleted, and the ECS service is checked to be still ACTIVE with the same
//! task definition. The environment stack is left alone: other services
//! share it.
//!
//! The pure parts are here and in [`template`]; the steps that talk to AWS
//! are in `run`.

#[cfg(feature = "cli")]
pub mod run;
pub mod template;

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
}
