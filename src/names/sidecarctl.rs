//! The names sidecarctl gives what it adds beside Copilot's.

/// The execution role's inline policy.
pub const EXECUTION_POLICY: &str = "sidecarctl-execution";
/// The task role's inline policy.
pub const TASK_POLICY: &str = "sidecarctl-task";

/// The tag every resource sidecarctl creates carries, beside Copilot's.
pub const MANAGED_BY: (&str, &str) = ("managed-by", "sidecarctl");
