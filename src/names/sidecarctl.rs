//! The names sidecarctl gives what it adds beside Copilot's.

/// The execution role's inline policy.
pub const EXECUTION_POLICY: &str = "sidecarctl-execution";
/// The task role's inline policy.
pub const TASK_POLICY: &str = "sidecarctl-task";

/// The tag every resource sidecarctl creates carries, beside Copilot's.
pub const MANAGED_BY: (&str, &str) = ("managed-by", "sidecarctl");

/// A target group's name: at most 32 letters, digits and hyphens, unique to
/// the application, environment, service and routing rule (`http` is 0).
pub fn target_group_name(app: &str, env: &str, svc: &str, rule: usize) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{app}/{env}/{svc}/{rule}").as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let stem: String = svc.chars().take(20).collect();
    format!("{}-{hash}", stem.trim_end_matches('-'))
}

/// Where `adopt` records the ECS service it took over from a deleted Copilot
/// service stack, so that later deploys find it: an SSM parameter holding the
/// service's ARN.
pub fn adopted_record(app: &str, env: &str, svc: &str) -> String {
    format!("/sidecarctl/services/{app}/{env}/{svc}")
}
