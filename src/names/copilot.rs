//! The names Copilot gives what a service owns, so that sidecarctl finds and
//! creates the same things.

/// The task definition family: `{app}-{env}-{svc}`.
pub fn family(app: &str, env: &str, svc: &str) -> String {
    format!("{app}-{env}-{svc}")
}

/// The service's log group: `/copilot/{app}-{env}-{svc}`.
pub fn log_group(app: &str, env: &str, svc: &str) -> String {
    format!("/copilot/{}", family(app, env, svc))
}

/// The prefix of every container's log stream: `copilot/{container}/{task}`.
pub const LOG_STREAM_PREFIX: &str = "copilot";

/// The ECR repository `image.build` deploys from: `{app}/{svc}`.
pub fn build_repository(app: &str, svc: &str) -> String {
    format!("{app}/{svc}")
}

/// `COPILOT_SERVICE_DISCOVERY_ENDPOINT`: `{env}.{app}.local`.
pub fn service_discovery_endpoint(app: &str, env: &str) -> String {
    format!("{env}.{app}.local")
}

/// The two roles of a service's tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleNames {
    pub execution: String,
    pub task: String,
}

/// Role names for a service; IAM allows 64 characters, so long names are cut
/// and made unique with a short hash.
pub fn role_names(app: &str, env: &str, svc: &str) -> RoleNames {
    let fam = family(app, env, svc);
    let name = |suffix: &str| role_name(&fam, suffix);
    RoleNames {
        execution: name("ExecutionRole"),
        task: name("TaskRole"),
    }
}

/// `{family}-{suffix}`, at most 64 characters as IAM allows: a longer one
/// keeps the suffix, and a hash of the whole stands for what is cut.
pub fn role_name(fam: &str, suffix: &str) -> String {
    let full = format!("{fam}-{suffix}");
    if full.len() <= 64 {
        return full;
    }
    let hash = fnv1a(&full);
    let keep = fam.floor_char_boundary(64 - suffix.len() - 1 - 9);
    format!("{}-{hash:08x}-{suffix}", &fam[..keep])
}

fn fnv1a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The environment's CloudFormation stack: `{app}-{env}`.
/// A topic a service publishes: `{app}-{env}-{svc}-{name}` (`name` with
/// `.fifo` for a FIFO topic), as Copilot's stack names it.
pub fn topic_name(app: &str, env: &str, svc: &str, full_name: &str) -> String {
    format!("{app}-{env}-{svc}-{full_name}")
}

/// Copilot's `logicalIDSafe`: letters and digits only.
pub fn logical_id_safe(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The logical id of the queue a subscription has of its own (`queue:` on
/// the topic), and of its dead-letter queue: `{svc}{topic}EventsQueue`,
/// `{svc}{topic}DeadLetterQueue`.
pub fn topic_queue_id(svc: &str, topic_full_name: &str, dead_letter: bool) -> String {
    format!(
        "{}{}{}",
        logical_id_safe(svc),
        logical_id_safe(topic_full_name),
        if dead_letter {
            "DeadLetterQueue"
        } else {
            "EventsQueue"
        }
    )
}

/// The key of a topic's own queue in `COPILOT_TOPIC_QUEUE_URIS`:
/// `{svc}{Topic}EventsQueue`, the topic's name title-cased as Go's
/// `cases.Title` does it (first letter upper, the rest lower).
pub fn topic_queue_uri_key(svc: &str, topic_full_name: &str) -> String {
    let topic = logical_id_safe(topic_full_name);
    let mut chars = topic.chars();
    let titled: String = chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    format!("{}{titled}EventsQueue", logical_id_safe(svc))
}

/// Whether `queue` is the queue of logical id `id` of the service stack
/// `{app}-{env}-{svc}`: CloudFormation names it `{stack}-{id}-{RANDOM}`
/// (`.fifo` added for a FIFO queue), sidecarctl `{stack}-{id}`.
pub fn is_service_queue(stack: &str, id: &str, queue: &str) -> bool {
    let Some(rest) = queue.strip_prefix(stack).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let rest = rest.strip_suffix(".fifo").unwrap_or(rest);
    match rest.strip_prefix(id) {
        Some("") => true,
        Some(r) => r
            .strip_prefix('-')
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())),
        None => false,
    }
}

/// Copilot's `TruncateAlarmName`: `{app}-{env}-{svc}-{kind}`, each of the
/// first three cut to fit CloudWatch's 255 characters.
pub fn alarm_name(app: &str, env: &str, svc: &str, kind: &str) -> String {
    if app.len() + env.len() + svc.len() + kind.len() <= 255 {
        return format!("{app}-{env}-{svc}-{kind}");
    }
    let max = (255 - kind.len() - 3) / 3;
    let cut = |s: &str| s.chars().take(max).collect::<String>();
    format!("{}-{}-{}-{kind}", cut(app), cut(env), cut(svc))
}

/// An env file's object key, as Copilot's `artifactpath.EnvFiles` names it:
/// `manual/env-files/{file name}/{sha256 of the content}.env`.
pub fn env_file_key(path: &str, sha256_hex: &str) -> String {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    format!("manual/env-files/{base}/{sha256_hex}.env")
}

/// The export of the application's KMS key, from Copilot's regional
/// application stack (`StackSet-{app}-infrastructure-…`), whose output
/// `PipelineBucket` is the bucket Copilot keeps env files in.
pub fn artifact_key_export(app: &str) -> String {
    format!("{app}-ArtifactKey")
}

pub fn env_stack(app: &str, env: &str) -> String {
    format!("{app}-{env}")
}

/// A service's CloudFormation stack: `{app}-{env}-{svc}`.
pub fn service_stack(app: &str, env: &str, svc: &str) -> String {
    family(app, env, svc)
}

/// The logical id of the ECS service in a Copilot service stack.
pub const SERVICE_LOGICAL_ID: &str = "Service";

/// The metric Copilot's `BacklogPerTaskCalculator` publishes for
/// `count.queue_delay`, and the name part of its scaling policies.
pub const BACKLOG_PER_TASK: &str = "BacklogPerTask";

/// The logical id of the nested stack Copilot deploys from `copilot/{svc}/addons/`.
/// A job stack's CloudWatch Events rule, which starts its state machine.
pub const JOB_RULE_LOGICAL_ID: &str = "Rule";
/// Its Step Functions state machine, which runs the task.
pub const JOB_STATE_MACHINE_LOGICAL_ID: &str = "StateMachine";

pub const ADDONS_LOGICAL_ID: &str = "AddonsStack";

/// The tags Copilot puts on what it creates.
pub const TAG_APP: &str = "copilot-application";
pub const TAG_ENV: &str = "copilot-environment";
pub const TAG_SVC: &str = "copilot-service";

/// The access point Copilot creates for a service's managed EFS volume
/// (`workloads/partials/cf/efs-access-point.yml`): its client token, its
/// root directory `/{svc}` and the POSIX user that owns it, by default the
/// CRC-32 of the service's name as both uid and gid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedAccessPoint {
    pub client_token: String,
    pub root: String,
    pub uid: i64,
    pub gid: i64,
    pub permissions: &'static str,
}

pub fn managed_access_point(
    app: &str,
    env: &str,
    svc: &str,
    uid: Option<i64>,
    gid: Option<i64>,
) -> ManagedAccessPoint {
    let crc = i64::from(crc32fast::hash(svc.as_bytes()));
    ManagedAccessPoint {
        client_token: format!("{app}-{env}-{svc}"),
        root: format!("/{svc}"),
        uid: uid.unwrap_or(crc),
        gid: gid.unwrap_or(crc),
        permissions: "0755",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_copilot_gives_them() {
        assert_eq!(family("demo", "test", "api"), "demo-test-api");
        assert_eq!(log_group("demo", "test", "api"), "/copilot/demo-test-api");
        assert_eq!(build_repository("demo", "api"), "demo/api");
        assert_eq!(
            service_discovery_endpoint("demo", "test"),
            "test.demo.local"
        );
    }

    #[test]
    fn role_names_fit_iam_limits() {
        let r = role_names("demo", "test", "api");
        assert_eq!(r.execution, "demo-test-api-ExecutionRole");
        let long = role_names(&"a".repeat(40), "production", "frontend-service");
        assert!(long.execution.len() <= 64 && long.task.len() <= 64);
        assert_ne!(
            long.execution,
            role_names(&"a".repeat(40), "production", "frontend-servicf").execution
        );
        // The cut falls on a character's boundary (a fuzzed environment name).
        let wide = role_names("fuzzy", &"\u{e9}".repeat(30), "api");
        assert!(wide.execution.len() <= 64 && wide.task.len() <= 64);
        assert!(wide.execution.starts_with("fuzzy-\u{e9}"));
    }

    #[test]
    fn the_managed_access_point_is_copilots() {
        let ap = managed_access_point("shop", "prod", "api", None, None);
        assert_eq!(ap.client_token, "shop-prod-api");
        assert_eq!(ap.root, "/api");
        // crc32.ChecksumIEEE([]byte("api")) in Go (zlib.crc32(b"api") in Python).
        assert_eq!(ap.uid, 2_902_841_359);
        assert_eq!(ap.uid, ap.gid);
        let given = managed_access_point("shop", "prod", "api", Some(1000), Some(2000));
        assert_eq!((given.uid, given.gid), (1000, 2000));
    }

    #[test]
    fn queue_names_and_keys_follow_copilots_stack() {
        assert_eq!(
            topic_queue_id("dogsvc", "giveshuskies", false),
            "dogsvcgiveshuskiesEventsQueue"
        );
        assert_eq!(
            topic_queue_id("mytopic", "mytopic.fifo", true),
            "mytopicmytopicfifoDeadLetterQueue"
        );
        // Copilot's worker fixture (worker-test.stack.yml).
        assert_eq!(
            topic_queue_uri_key("mytopic", "mytopic.fifo"),
            "mytopicMytopicfifoEventsQueue"
        );
        assert_eq!(
            topic_queue_uri_key("dogsvc", "giveshuskies"),
            "dogsvcGiveshuskiesEventsQueue"
        );
        let stack = "app-test-worker";
        assert!(is_service_queue(
            stack,
            "EventsQueue",
            "app-test-worker-EventsQueue-1AB2C3D4E5F6"
        ));
        assert!(is_service_queue(
            stack,
            "EventsQueue",
            "app-test-worker-EventsQueue-1AB2C3D4E5F6.fifo"
        ));
        assert!(is_service_queue(
            stack,
            "EventsQueue",
            "app-test-worker-EventsQueue"
        ));
        assert!(!is_service_queue(
            stack,
            "EventsQueue",
            "app-test-worker-2-EventsQueue-X"
        ));
        assert!(!is_service_queue(
            stack,
            "EventsQueue",
            "app-test-worker-dogsvcgivesEventsQueue-X"
        ));
        assert!(!is_service_queue(
            stack,
            "EventsQueue",
            "app-test-worker-EventsQueue-"
        ));
    }
}
