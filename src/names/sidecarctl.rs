//! The names sidecarctl gives what it adds beside Copilot's.

/// The execution role's inline policy.
pub const EXECUTION_POLICY: &str = "sidecarctl-execution";
/// The task role's inline policy.
pub const TASK_POLICY: &str = "sidecarctl-task";

/// The inline policy of a Scheduled Job's scheduler role.
pub const SCHEDULER_POLICY: &str = "sidecarctl-scheduler";

/// The role EventBridge Scheduler assumes to run a Scheduled Job's task:
/// `{app}-{env}-{job}-SchedulerRole` (at most 64 characters).
pub fn scheduler_role(app: &str, env: &str, job: &str) -> String {
    super::copilot::role_name(&super::copilot::family(app, env, job), "SchedulerRole")
}

/// A Scheduled Job's schedule in EventBridge Scheduler's default group:
/// `{app}-{env}-{job}`, the job's family (at most 64 characters).
pub fn schedule_name(app: &str, env: &str, job: &str) -> String {
    let fam = super::copilot::family(app, env, job);
    if fam.len() <= 64 {
        return fam;
    }
    hashed(&fam, "", &fam)
}

/// The tag every resource sidecarctl creates carries, beside Copilot's.
pub const MANAGED_BY: (&str, &str) = ("managed-by", "sidecarctl");

/// A target group's name: at most 32 letters, digits and hyphens, unique to
/// the application, environment, service and routing rule (`http` is 0), and
/// to its protocol and version when they are not HTTP/HTTP1 (a rule whose
/// version changes gets a new target group beside the old one).
pub fn target_group_name(
    app: &str,
    env: &str,
    svc: &str,
    rule: usize,
    (protocol, version): (&str, &str),
) -> String {
    if protocol == "HTTP" && version == "HTTP1" {
        hashed(svc, "", &format!("{app}/{env}/{svc}/{rule}"))
    } else {
        hashed(
            svc,
            "",
            &format!("{app}/{env}/{svc}/{rule}/{protocol}/{version}"),
        )
    }
}

/// A network load balancer listener's target group: as
/// [`target_group_name`], unique to the listener (`nlb` is 0) and its
/// target protocol (a listener that changes protocol gets a new one).
pub fn nlb_target_group_name(
    app: &str,
    env: &str,
    svc: &str,
    listener: usize,
    protocol: &str,
) -> String {
    hashed(
        svc,
        "",
        &format!("{app}/{env}/{svc}/nlb/{listener}/{protocol}"),
    )
}

/// The network load balancer sidecarctl creates for a service:
/// `{svc}-nlb-{hash}`, at most 32 letters, digits and hyphens.
pub fn nlb_name(app: &str, env: &str, svc: &str) -> String {
    hashed(svc, "-nlb", &format!("{app}/{env}/{svc}/nlb"))
}

/// Its security group (Copilot's has a generated name; this one's is found
/// again by name).
pub fn nlb_security_group_name(app: &str, env: &str, svc: &str) -> String {
    format!("sidecarctl-{app}-{env}-{svc}-nlb")
}

/// `{stem}{infix}-{8 hex digits of sha256(key)}`, at most 32 characters.
fn hashed(svc: &str, infix: &str, key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let stem: String = svc.chars().take(23 - infix.len()).collect();
    format!("{}{infix}-{hash}", stem.trim_end_matches('-'))
}

/// The bucket that holds an application's env files in a region when
/// Copilot's own bucket is not there: `sidecarctl-{account}-{region}-{app}`,
/// cut to S3's 63 characters with a hash of the whole when it is longer.
/// Application names are lower-case letters, digits and hyphens, as bucket
/// names must be.
pub fn artifact_bucket(app: &str, region: &str, account: &str) -> String {
    let full = format!("sidecarctl-{account}-{region}-{app}");
    if full.len() <= 63 {
        return full;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(full.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let stem: String = full.chars().take(63 - 9).collect();
    format!("{}-{hash}", stem.trim_end_matches('-'))
}

/// The add-ons stack sidecarctl deploys for a service Copilot never
/// deployed: `{app}-{env}-{svc}-AddonsStack`, after Copilot's logical id.
pub fn addons_stack(app: &str, env: &str, svc: &str) -> String {
    format!("{app}-{env}-{svc}-AddonsStack")
}

/// Where `adopt` records the ECS service it took over from a deleted Copilot
/// service stack, so that later deploys find it: an SSM parameter holding the
/// service's ARN.
pub fn adopted_record(app: &str, env: &str, svc: &str) -> String {
    format!("/sidecarctl/services/{app}/{env}/{svc}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_artifact_bucket_fits_s3() {
        assert_eq!(
            artifact_bucket("demo", "eu-west-1", "123456789012"),
            "sidecarctl-123456789012-eu-west-1-demo"
        );
        let long = artifact_bucket(&"a".repeat(40), "ap-southeast-2", "123456789012");
        assert_eq!(long.len(), 63);
        assert!(long.starts_with("sidecarctl-123456789012-ap-southeast-2-aaa"));
        assert_ne!(
            long,
            artifact_bucket(&"a".repeat(41), "ap-southeast-2", "123456789012")
        );
    }

    #[test]
    fn generated_names_fit_elastic_load_balancing() {
        let long = "a-service-with-a-very-long-name-indeed";
        for name in [
            target_group_name("app", "test", long, 0, ("HTTP", "HTTP1")),
            target_group_name("app", "test", long, 0, ("HTTPS", "GRPC")),
            nlb_target_group_name("app", "test", long, 3, "TCP"),
            nlb_name("app", "test", long),
        ] {
            assert!(name.len() <= 32, "{name}");
            assert!(!name.starts_with('-') && !name.ends_with('-'), "{name}");
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{name}"
            );
        }
        assert_ne!(
            target_group_name("app", "test", "api", 0, ("HTTP", "HTTP1")),
            nlb_target_group_name("app", "test", "api", 0, "TCP")
        );
        // A rule whose version changes gets a target group of another name.
        assert_ne!(
            target_group_name("app", "test", "api", 0, ("HTTP", "HTTP1")),
            target_group_name("app", "test", "api", 0, ("HTTP", "GRPC"))
        );
        assert!(nlb_name("app", "test", "api").starts_with("api-nlb-"));
    }
}
