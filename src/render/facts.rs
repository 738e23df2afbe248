//! What rendering needs to know about the AWS account, given as data: resolved
//! by `deploy`, or taken from flags and marked placeholders by `render`.

use std::collections::BTreeMap;

use crate::manifest::{SecretRef, Service};

#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    pub app: String,
    pub env: String,
    pub account: String,
    pub region: String,
    pub partition: String,
    pub execution_role_arn: String,
    pub task_role_arn: String,
    /// The image each container runs (pinned to a digest where resolved).
    pub images: BTreeMap<String, String>,
    /// Full `valueFrom` ARNs for secrets given by name.
    pub secret_arns: BTreeMap<SecretRef, String>,
    /// Full ARNs of registry credentials given as partial ARNs.
    pub credential_arns: BTreeMap<String, String>,
}

/// The account used when none is given to `render`.
pub const PLACEHOLDER_ACCOUNT: &str = "000000000000";
pub const PLACEHOLDER_REGION: &str = "us-east-1";

impl Facts {
    pub fn family(&self, svc: &str) -> String {
        family(&self.app, &self.env, svc)
    }

    pub fn log_group(&self, svc: &str) -> String {
        format!("/copilot/{}", self.family(svc))
    }

    /// The DNS suffix of the partition's service endpoints.
    pub fn dns_suffix(&self) -> &'static str {
        dns_suffix(&self.partition)
    }

    /// The `valueFrom` of a secret: resolved, or built as Copilot builds it.
    pub fn secret_value_from(&self, r: &SecretRef) -> String {
        if let Some(arn) = self.secret_arns.get(r) {
            return arn.clone();
        }
        match r {
            SecretRef::Arn(a) => a.clone(),
            SecretRef::SsmName(n) => {
                ssm_parameter_arn(&self.partition, &self.region, &self.account, n)
            }
            SecretRef::SecretsManagerName(n) => format!(
                "arn:{}:secretsmanager:{}:{}:secret:{n}",
                self.partition, self.region, self.account
            ),
        }
    }

    /// The ARN of a registry credentials secret: resolved, or as written.
    pub fn credentials(&self, declared: &str) -> String {
        self.credential_arns
            .get(declared)
            .cloned()
            .unwrap_or_else(|| declared.to_string())
    }

    /// Facts for rendering without AWS: the given values, or placeholders.
    /// Images are the ones written in the manifest; `image.build` becomes the
    /// service's ECR repository at `image_tag`.
    pub fn offline(
        svc: &Service,
        app: &str,
        env: &str,
        account: Option<&str>,
        region: Option<&str>,
        image_tag: Option<&str>,
    ) -> Facts {
        let account = account.unwrap_or(PLACEHOLDER_ACCOUNT).to_string();
        let region = region.unwrap_or(PLACEHOLDER_REGION).to_string();
        let partition = partition_of(&region).to_string();
        let names = role_names(app, env, &svc.name);
        let mut facts = Facts {
            app: app.to_string(),
            env: env.to_string(),
            execution_role_arn: role_arn(&partition, &account, &names.execution),
            task_role_arn: role_arn(&partition, &account, &names.task),
            account,
            region,
            partition,
            images: BTreeMap::new(),
            secret_arns: BTreeMap::new(),
            credential_arns: BTreeMap::new(),
        };
        facts.images = declared_images(svc, &facts, image_tag.unwrap_or("latest"));
        facts
    }
}

pub fn family(app: &str, env: &str, svc: &str) -> String {
    format!("{app}-{env}-{svc}")
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

pub fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    }
}

pub fn ssm_parameter_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{partition}:ssm:{region}:{account}:parameter/{}",
        name.trim_start_matches('/')
    )
}

pub fn role_arn(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

/// The ECR repository `image.build` deploys from: `{app}/{svc}`, as Copilot names it.
pub fn build_repository(app: &str, svc: &str) -> String {
    format!("{app}/{svc}")
}

/// The images as the manifest writes them, before any pinning.
pub fn declared_images(svc: &Service, facts: &Facts, image_tag: &str) -> BTreeMap<String, String> {
    let mut images = BTreeMap::new();
    let main = match &svc.image.location {
        Some(l) => l.value.clone(),
        None => format!(
            "{}.dkr.ecr.{}.{}/{}:{image_tag}",
            facts.account,
            facts.region,
            facts.dns_suffix(),
            build_repository(&facts.app, &svc.name)
        ),
    };
    images.insert(svc.name.value.clone(), main);
    if let Some(l) = &svc.logging
        && l.wants_router
    {
        let img = l
            .image
            .as_ref()
            .map_or(super::DEFAULT_FLUENT_BIT_IMAGE.to_string(), |i| {
                i.value.clone()
            });
        images.insert(super::FIRELENS_CONTAINER.to_string(), img);
    }
    for (name, sc) in &svc.sidecars {
        if let Some(i) = &sc.image {
            images.insert(name.clone(), i.value.clone());
        }
    }
    images
}

pub struct RoleNames {
    pub execution: String,
    pub task: String,
}

/// Role names for a service; IAM allows 64 characters, so long names are cut
/// and made unique with a short hash.
pub fn role_names(app: &str, env: &str, svc: &str) -> RoleNames {
    let fam = family(app, env, svc);
    let name = |suffix: &str| {
        let full = format!("{fam}-{suffix}");
        if full.len() <= 64 {
            return full;
        }
        let hash = fnv1a(&full);
        let keep = 64 - suffix.len() - 1 - 9;
        format!("{}-{hash:08x}-{suffix}", &fam[..keep.min(fam.len())])
    };
    RoleNames {
        execution: name("ExecutionRole"),
        task: name("TaskRole"),
    }
}

fn fnv1a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(
            ssm_parameter_arn("aws", "us-east-1", "1", "/a/b"),
            "arn:aws:ssm:us-east-1:1:parameter/a/b"
        );
    }
}
