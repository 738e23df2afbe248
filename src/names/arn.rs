//! ARNs: reading them, and building the ones sidecarctl needs.

/// An ARN's parts: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the account, colons included.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty()).then_some(arn)
    }
}

/// Whether `s` is an ARN of `service`.
pub fn is_arn_of(s: &str, service: &str) -> bool {
    Arn::parse(s).is_some_and(|a| a.service == service)
}

pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The DNS suffix of a partition's service endpoints.
pub fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    }
}

pub fn role(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

pub fn s3_bucket(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

pub fn s3_object(partition: &str, bucket: &str, key: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/{key}")
}

pub fn managed_policy(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:policy/{name}")
}

pub fn ssm_parameter(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{partition}:ssm:{region}:{account}:parameter/{}",
        name.trim_start_matches('/')
    )
}

/// A Secrets Manager secret by name, as Copilot builds `{secretsmanager: NAME}`.
pub fn secret_by_name(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{name}")
}

pub fn log_group(partition: &str, region: &str, account: &str, group: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{group}")
}

/// Every log stream of a group.
pub fn log_streams(partition: &str, region: &str, account: &str, group: &str) -> String {
    format!(
        "{}:log-stream:*",
        log_group(partition, region, account, group)
    )
}

pub fn efs_file_system(partition: &str, region: &str, account: &str, id: &str) -> String {
    format!("arn:{partition}:elasticfilesystem:{region}:{account}:file-system/{id}")
}

/// The cluster (long ARN format only) and the name in an ECS service ARN.
pub fn service_parts(arn: &str) -> Option<(Option<&str>, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.strip_prefix("service/")?.split('/');
    match (parts.next(), parts.next()) {
        (Some(cluster), Some(name)) => Some((Some(cluster), name)),
        (Some(name), None) => Some((None, name)),
        _ => None,
    }
}

/// The cluster of an ECS service ARN (`default` for the old format, which
/// names none).
pub fn service_cluster(arn: &str) -> Option<String> {
    service_parts(arn).map(|(c, _)| c.unwrap_or("default").to_string())
}

pub fn efs_access_point(partition: &str, region: &str, account: &str, id: &str) -> String {
    format!("arn:{partition}:elasticfilesystem:{region}:{account}:access-point/{id}")
}

/// `family:revision` from a task definition ARN.
pub fn short_task_definition(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A target group's name from its ARN (`…:targetgroup/NAME/ID`).
pub fn target_group_name(arn: &str) -> &str {
    arn.split('/').nth(1).unwrap_or(arn)
}

/// The last part of a resource path (`policy/NAME` → `NAME`).
/// What follows an ARN's last `:` (a topic's or queue's name).
pub fn last_colon_segment(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

pub fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// `NAME[:json-key:version-stage:version-id]` → (the name, the suffix with its colon).
pub fn split_secret_suffix(s: &str) -> (&str, &str) {
    match s.find(':') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// A Secrets Manager `valueFrom` ARN → (the secret's own ARN, a JSON-key suffix).
pub fn split_secret_arn(arn: &str) -> (String, String) {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() > 7 {
        (parts[..7].join(":"), format!(":{}", parts[7..].join(":")))
    } else {
        (arn.to_string(), String::new())
    }
}

/// The parameter name in an SSM parameter ARN (`/app/db` or `TOKEN`).
pub fn ssm_parameter_name(arn: &str) -> Option<String> {
    let rest = arn.split_once(":parameter/")?.1;
    Some(if rest.contains('/') {
        format!("/{rest}")
    } else {
        rest.to_string()
    })
}

/// The IAM resource that lets a role read a secret given as a `valueFrom`:
/// the secret's own ARN without a JSON key or version; a Secrets Manager ARN
/// without its random suffix matches any suffix.
pub fn secret_policy_resource(value_from: &str) -> String {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() >= 7 && parts[2] == "secretsmanager" {
        let arn = parts[..7].join(":");
        let name = parts[6];
        // Secrets Manager adds "-" and six characters to the name in full ARNs.
        let has_suffix = name.len() > 7 && name.as_bytes()[name.len() - 7] == b'-';
        return if has_suffix {
            arn
        } else {
            format!("{arn}-??????")
        };
    }
    value_from.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_arns() {
        let a = Arn::parse("arn:aws:ssm:us-east-1:123456789012:parameter/app/db").unwrap();
        assert_eq!(
            (a.partition, a.service, a.region, a.account, a.resource),
            (
                "aws",
                "ssm",
                "us-east-1",
                "123456789012",
                "parameter/app/db"
            )
        );
        let s = Arn::parse("arn:aws:secretsmanager:r:1:secret:db-AbCdEf:password::").unwrap();
        assert_eq!(s.resource, "secret:db-AbCdEf:password::");
        assert!(Arn::parse("/app/db").is_none());
        assert!(is_arn_of("arn:aws:iam::1:role/x", "iam"));
        assert_eq!(
            short_task_definition("arn:aws:ecs:r:1:task-definition/f:3"),
            "f:3"
        );
        assert_eq!(
            target_group_name("arn:aws:elasticloadbalancing:r:1:targetgroup/api-1a2b/0123abcd"),
            "api-1a2b"
        );
    }

    #[test]
    fn splits_secret_references() {
        assert_eq!(split_secret_suffix("db:password::"), ("db", ":password::"));
        assert_eq!(split_secret_suffix("db"), ("db", ""));
        let (arn, suffix) = split_secret_arn(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
        );
        assert_eq!(
            arn,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        );
        assert_eq!(suffix, ":password::");
        assert_eq!(
            ssm_parameter_name("arn:aws:ssm:us-east-1:1:parameter/app/db").as_deref(),
            Some("/app/db")
        );
        assert_eq!(
            ssm_parameter_name("arn:aws:ssm:us-east-1:1:parameter/TOKEN").as_deref(),
            Some("TOKEN")
        );
    }

    #[test]
    fn secret_resources_drop_json_keys_and_match_suffixes() {
        assert_eq!(
            secret_policy_resource(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password::"
            ),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-??????"
        );
        assert_eq!(
            secret_policy_resource(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
            ),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        );
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(
            ssm_parameter("aws", "us-east-1", "1", "/a/b"),
            "arn:aws:ssm:us-east-1:1:parameter/a/b"
        );
    }
}
