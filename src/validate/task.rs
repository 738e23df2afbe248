//! Rules about the task as a whole: Fargate sizes, the platform, FireLens,
//! registry credentials, secrets and networking.

use super::Check;
use crate::manifest::from_cfn::export_of;
use crate::manifest::{Placement, SecretRef, Service, ServiceType};

/// Memory sizes (MiB) Fargate accepts for a CPU size (units), on Linux.
fn fargate_memory(cpu: i64) -> Option<Vec<i64>> {
    let r = |lo: i64, hi: i64, step: i64| (lo..=hi).step_by(step as usize).collect::<Vec<_>>();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => r(1024, 4096, 1024),
        1024 => r(2048, 8192, 1024),
        2048 => r(4096, 16384, 1024),
        4096 => r(8192, 30720, 1024),
        8192 => r(16384, 61440, 4096),
        16384 => r(32768, 122880, 8192),
        _ => return None,
    })
}

fn describe_sizes(sizes: &[i64]) -> String {
    match sizes {
        [a, b, c] if *c - *b != *b - *a => format!("{a}, {b} or {c}"),
        [first, .., last] => format!("{first} to {last} in steps of {}", sizes[1] - sizes[0]),
        _ => String::new(),
    }
}

pub fn fargate_size(svc: &Service, v: &mut Check) {
    let cpu = svc.cpu.as_ref().map_or(256, |c| c.value);
    let memory = svc.memory.as_ref().map_or(512, |m| m.value);
    let Some(sizes) = fargate_memory(cpu) else {
        let at = svc.cpu.as_ref().expect("the default cpu is valid");
        v.error_at(
            "fargate-size",
            format!("Fargate does not offer {cpu} CPU units"),
            at,
        )
        .help = Some("one of 256, 512, 1024, 2048, 4096, 8192, 16384".into());
        return;
    };
    if !sizes.contains(&memory) {
        let (pos, path) = match (&svc.memory, &svc.cpu) {
            (Some(m), _) => (m.pos, m.path.clone()),
            (None, Some(c)) => (c.pos, c.path.clone()),
            (None, None) => unreachable!("256/512 is valid"),
        };
        v.error(
            "fargate-size",
            format!("Fargate does not pair {cpu} CPU units with {memory} MiB of memory"),
            pos,
            &path,
        )
        .help = Some(format!(
            "with cpu {cpu}, memory can be {}",
            describe_sizes(&sizes)
        ));
    }
    if svc.is_windows() && (cpu < 1024 || memory < 2048) {
        let at = svc.platform.as_ref().expect("windows comes from platform");
        v.error_at(
            "fargate-size",
            format!("Windows tasks need at least 1024 CPU units and 2048 MiB, not {cpu}/{memory}"),
            at,
        );
    }
}

pub fn platform(svc: &Service, v: &mut Check) {
    let Some(p) = &svc.platform else { return };
    if !p.windows {
        return;
    }
    if p.arch == "ARM64" {
        v.error_at(
            "bad-platform",
            "Windows containers on Fargate run on x86_64 only",
            p,
        );
    }
    if svc.uses_firelens() {
        let l = svc.logging.as_ref().expect("firelens comes from logging");
        v.error("windows-firelens", "FireLens is not supported with a Windows main container", l.pos, "logging")
            .help = Some("Copilot's documentation: FireLens, X-Ray and App Mesh do not support Windows; remove \"logging\" (keep only \"retention\")".into());
    }
    if let Some((name, sc)) = svc.sidecars.iter().next() {
        v.warning("windows-sidecars", format!("the main container runs Windows: check that sidecar \"{name}\" and the others have Windows images"), sc.name.pos, &sc.name.path);
    }
}

const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub fn logging(svc: &Service, v: &mut Check) {
    let Some(l) = &svc.logging else { return };
    if let Some(r) = &l.retention
        && !RETENTION_DAYS.contains(&r.value)
    {
        v.error_at("bad-retention", format!("CloudWatch Logs does not keep logs for {} days", r.value), r)
            .help = Some("one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653".into());
    }
    if let Some(img) = &l.image
        && img.value.trim().is_empty()
    {
        v.error_at("missing-field", "\"logging.image\" is empty", img);
    }
    if !l.destination.is_empty()
        && !l.destination.contains_key("Name")
        && l.config_file_path.is_none()
    {
        v.warning("firelens-no-output", "\"logging.destination\" has no \"Name\": Fluent Bit will not know which output plugin to use", l.pos, "logging.destination")
            .help = Some("for example Name: cloudwatch, or give configFilePath".into());
    }
    if let Some(c) = &l.config_file_path
        && !c.value.starts_with('/')
    {
        v.error_at(
            "bad-path",
            "configFilePath is a full path inside the Fluent Bit image",
            c,
        );
    }
    routed_sidecars(svc, l, v);
}

/// `logging.sidecars` (a sidecarctl extension): the router must be there,
/// and each sidecar named must be one.
fn routed_sidecars(svc: &Service, l: &crate::manifest::Logging, v: &mut Check) {
    let Some(r) = &l.sidecars else { return };
    if !l.wants_router {
        v.error_at(
            "no-router",
            "logging.sidecars routes sidecars through the FireLens router, and this logging adds none",
            r,
        )
        .help = Some("give logging a destination (or an image, or configFilePath): the router is added for it".into());
    }
    if let crate::manifest::RoutedSidecars::Named(names) = &r.value {
        for n in names {
            if svc.sidecars.contains_key(&n.value) {
                continue;
            }
            let known: Vec<&str> = svc.sidecars.keys().map(String::as_str).collect();
            let d = v.error_at(
                "unknown-sidecar",
                format!(
                    "logging.sidecars names \"{}\", which is not a sidecar",
                    n.value
                ),
                n,
            );
            d.help = Some(
                match crate::diag::did_you_mean(&n.value, known.iter().copied()) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("the sidecars: {}", known.join(", ")),
                },
            );
        }
    }
}

/// `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`.
pub(crate) fn is_secretsmanager_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(7, ':').collect();
    parts.len() == 7
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "secretsmanager"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5] == "secret"
        && !parts[6].is_empty()
}

fn is_ssm_parameter_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "ssm"
        && parts[5].starts_with("parameter/")
}

pub fn credentials(svc: &Service, v: &mut Check) {
    for c in svc.credentials() {
        if !is_secretsmanager_arn(&c.value) {
            v.error_at("bad-credentials", format!("\"{}\" is not a Secrets Manager secret ARN", c.value), c)
                .help = Some("private registry credentials come from a secret: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME".into());
        }
    }
}

pub fn secrets(svc: &Service, v: &mut Check) {
    for s in svc.secret_refs() {
        match &s.value {
            SecretRef::Arn(a) if !is_secretsmanager_arn(a) && !is_ssm_parameter_arn(a) => {
                v.error_at(
                    "bad-secret",
                    format!(
                        "\"{a}\" is neither an SSM parameter ARN nor a Secrets Manager secret ARN"
                    ),
                    s,
                );
            }
            SecretRef::SsmName(n)
                if export_of(n).is_none() && n.is_empty()
                    || export_of(n).is_none()
                        && !n.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')
                        }) =>
            {
                v.error_at("bad-secret", format!("\"{n}\" is not an SSM parameter name"), s)
                    .help = Some("parameter names use a-zA-Z0-9_.-/; for Secrets Manager write {secretsmanager: NAME}".into());
            }
            SecretRef::SecretsManagerName(n) if n.is_empty() => {
                v.error_at("bad-secret", "the secret's name is empty", s);
            }
            _ => {}
        }
    }
    for (name, value) in &svc.variables {
        if svc.secrets.contains_key(name) {
            v.error_at(
                "duplicate-variable",
                format!("\"{name}\" is both a variable and a secret"),
                value,
            );
        }
    }
}

pub fn network(svc: &Service, v: &mut Check) {
    for sg in &svc.network.security_groups {
        if !sg.value.starts_with("sg-") && export_of(&sg.value).is_none() {
            v.error_at(
                "bad-network",
                format!("\"{}\" is not a security group id", sg.value),
                sg,
            )
            .help = Some("security group ids look like sg-0123456789abcdef0".into());
        }
    }
    if let Some(p) = &svc.network.placement
        && let Placement::Subnets(ids) = &p.value
    {
        for id in ids.iter().filter(|id| !id.starts_with("subnet-")) {
            v.error_at("bad-network", format!("\"{id}\" is not a subnet id"), p);
        }
        if ids.is_empty() {
            v.error_at("bad-network", "placement lists no subnets", p);
        }
    }
}

/// `count.queue_delay` scales on a Worker Service's queues: Copilot has it
/// for Worker Services only.
pub fn scaling(svc: &Service, v: &mut Check) {
    if svc.kind.value == ServiceType::WorkerService {
        return;
    }
    if let Some(q) = svc
        .count
        .as_ref()
        .and_then(|c| c.value.queue_delay.as_ref())
    {
        v.error_at(
            "worker-only",
            format!(
                "\"count.queue_delay\" is for a Worker Service; this is a {}",
                svc.kind.value.as_str()
            ),
            q,
        )
        .help = Some(
            "scale a service with a load balancer on cpu_percentage, memory_percentage, requests or response_time".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{BASE, codes};

    #[test]
    fn queue_delay_is_for_worker_services() {
        let queue = "count:\n  range: 1-10\n  queue_delay:\n    acceptable_latency: 10m\n    msg_processing_time: 250ms\n";
        assert_eq!(with(queue), ["worker-only"]);
        let worker = format!("name: w\ntype: Worker Service\nimage:\n  location: nginx:1\n{queue}");
        assert!(codes(&worker).is_empty());
    }

    fn with(extra: &str) -> Vec<&'static str> {
        codes(&format!("{BASE}{extra}"))
    }

    #[test]
    fn fargate_cpu_memory_pairs() {
        assert!(with("cpu: 1024\nmemory: 3072\n").is_empty());
        assert!(with("cpu: 16384\nmemory: 122880\n").is_empty());
        assert_eq!(with("cpu: 256\nmemory: 4096\n"), ["fargate-size"]);
        assert_eq!(with("cpu: 300\n"), ["fargate-size"]);
        assert_eq!(with("memory: 1536\n"), ["fargate-size"]);
    }

    #[test]
    fn windows_sizes_arch_and_firelens() {
        assert!(with("platform: windows/x86_64\ncpu: 1024\nmemory: 2048\n").is_empty());
        assert_eq!(with("platform: windows/x86_64\n"), ["fargate-size"]);
        assert_eq!(
            with("platform: windows/arm64\ncpu: 1024\nmemory: 2048\n"),
            ["bad-platform"]
        );
        assert_eq!(
            with(
                "platform: windows/x86_64\ncpu: 1024\nmemory: 2048\nlogging:\n  destination: {Name: cloudwatch}\n"
            ),
            ["windows-firelens"]
        );
        // Only retention: no router, no FireLens.
        assert!(
            with("platform: windows/x86_64\ncpu: 1024\nmemory: 2048\nlogging:\n  retention: 7\n")
                .is_empty()
        );
    }

    #[test]
    fn windows_with_sidecars_is_a_warning() {
        assert_eq!(
            with(
                "platform: windows/x86_64\ncpu: 1024\nmemory: 2048\nsidecars:\n  s:\n    image: x\n"
            ),
            ["windows-sidecars"]
        );
    }

    #[test]
    fn log_retention_values() {
        assert!(with("logging:\n  retention: 14\n").is_empty());
        assert_eq!(with("logging:\n  retention: 10\n"), ["bad-retention"]);
    }

    #[test]
    fn firelens_destination_and_config_path() {
        assert_eq!(
            with("logging:\n  destination: {region: us-west-2}\n"),
            ["firelens-no-output"]
        );
        assert_eq!(
            with("logging:\n  configFilePath: extra.conf\n"),
            ["bad-path"]
        );
        assert!(with("logging:\n  configFilePath: /fluent-bit/etc/extra.conf\n").is_empty());
    }

    #[test]
    fn credentials_must_be_secrets_manager_arns() {
        assert!(with("sidecars:\n  s:\n    image: x\n    credentialsParameter: arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf\n").is_empty());
        assert_eq!(
            with("sidecars:\n  s:\n    image: x\n    credentialsParameter: /dockerhub/creds\n"),
            ["bad-credentials"]
        );
        assert_eq!(
            codes(
                "name: api\ntype: Backend Service\nimage:\n  location: x\n  credentials: arn:aws:ssm:us-east-1:123456789012:parameter/x\n"
            ),
            ["bad-credentials"]
        );
    }

    #[test]
    fn secret_references() {
        assert!(with("secrets:\n  A: /app/a\n  B: arn:aws:ssm:us-east-1:123456789012:parameter/b\n  C: {secretsmanager: db}\n").is_empty());
        assert_eq!(with("secrets:\n  A: arn:aws:s3:::bucket\n"), ["bad-secret"]);
        assert_eq!(with("secrets:\n  A: 'my secret'\n"), ["bad-secret"]);
        assert_eq!(
            with("variables:\n  A: x\nsecrets:\n  A: /a\n"),
            ["duplicate-variable"]
        );
    }

    #[test]
    fn network_ids() {
        assert!(with("network:\n  vpc:\n    security_groups: [sg-123]\n    placement: {subnets: [subnet-1]}\n").is_empty());
        assert_eq!(
            with("network:\n  vpc:\n    security_groups: [default]\n"),
            ["bad-network"]
        );
        assert_eq!(
            with("network:\n  vpc:\n    placement: {subnets: [net-1]}\n"),
            ["bad-network"]
        );
    }
}
