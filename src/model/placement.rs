//! Where a workload runs, found the way Copilot finds it: from the
//! environment stack `{app}-{env}` (see [`Environment`]) and the service
//! stack `{app}-{env}-{svc}` (its `Service` resource is the ECS service,
//! whose name CloudFormation generated), `adopt`'s record, or sidecarctl's
//! defaults. Pure: the reads live in `resolve::lookup`.
//!
//! Flags always win; then what Copilot's stacks say; then sidecarctl's own
//! defaults (a cluster named `{app}-{env}`, a service named `{svc}`), so a
//! workspace Copilot never deployed works as before.

use std::collections::BTreeMap;
use std::fmt;

use super::{Environment, Who};
use crate::names::arn::service_parts;
use crate::names::copilot;

/// What CloudFormation said about Copilot's stacks for one service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopilotStacks {
    /// The environment stack's outputs, when the stack exists.
    pub env_outputs: Option<BTreeMap<String, String>>,
    /// The ARN of the ECS service in the service stack, when it exists.
    pub service_arn: Option<String>,
    /// The ECS service `sidecarctl adopt` took over, once the service stack
    /// is gone.
    pub adopted_arn: Option<String>,
    /// The service stack's nested add-ons stack (`AddonsStack`), when it has one.
    pub addons_stack: Option<String>,
    /// The add-ons stacks `adopt` left standing, from its record.
    pub adopted_addons: Vec<String>,
}

/// Where a fact came from, for `-v` and the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    /// An output of this stack.
    EnvironmentStack(String),
    /// The `Service` resource of this stack.
    ServiceStack(String),
    /// `sidecarctl adopt`'s record (this SSM parameter).
    Adopted(String),
    /// The only ACTIVE service of the cluster tagged with Copilot's tags for
    /// this application, environment and service.
    Tagged,
    /// sidecarctl's default name.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("the command line"),
            Source::EnvironmentStack(s) => write!(f, "the outputs of the stack {s}"),
            Source::ServiceStack(s) => write!(f, "the Service resource of the stack {s}"),
            Source::Adopted(p) => write!(f, "sidecarctl adopt's record {p}"),
            Source::Tagged => {
                f.write_str("Copilot's tags (the cluster's only ACTIVE service tagged for it)")
            }
            Source::Default => f.write_str("sidecarctl's default name"),
        }
    }
}

/// Where the service runs (or will run): the cluster, the ECS service's name,
/// and the environment's facts for a new service and for the containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub cluster: String,
    pub cluster_from: Source,
    pub service: String,
    pub service_from: Source,
    /// The environment stack's facts, when it exists.
    pub environment: Option<Environment>,
    /// The add-ons stacks Copilot deployed for the service placed: its
    /// service stack's `AddonsStack`, or those `adopt` recorded.
    pub addons_stacks: Vec<String>,
}

impl Placement {
    /// Each fact and where it came from, for `-v`.
    pub fn sources(&self) -> Vec<String> {
        let mut out = vec![
            format!("cluster {}: from {}", self.cluster, self.cluster_from),
            format!("ECS service {}: from {}", self.service, self.service_from),
        ];
        if let (Some(e), Source::EnvironmentStack(stack)) = (&self.environment, &self.cluster_from)
        {
            let facts = [
                ("public subnets", e.public_subnets.join(",")),
                ("private subnets", e.private_subnets.join(",")),
                (
                    "environment security group",
                    e.security_group.clone().unwrap_or_default(),
                ),
                (
                    "public load balancer",
                    e.public_lb_dns.clone().unwrap_or_default(),
                ),
                (
                    "internal load balancer",
                    e.internal_lb_dns.clone().unwrap_or_default(),
                ),
                (
                    "managed file system",
                    e.managed_file_system.clone().unwrap_or_default(),
                ),
            ];
            out.extend(
                facts
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(what, v)| format!("{what} {v}: from the outputs of the stack {stack}")),
            );
        }
        out
    }
}

/// Places the service: `--cluster` wins, then the environment stack's
/// `ClusterId`, then `{app}-{env}`; the service stack's service when it is in
/// that cluster, then `{svc}`.
pub fn place(who: Who<'_>, cluster_flag: Option<&str>, stacks: &CopilotStacks) -> Placement {
    let env_stack = copilot::env_stack(who.app, who.env);
    let environment = stacks.env_outputs.as_ref().map(Environment::from_outputs);
    let (cluster, cluster_from) = match (
        cluster_flag,
        environment.as_ref().and_then(|e| e.cluster.clone()),
    ) {
        (Some(c), _) => (c.to_string(), Source::Flag),
        (None, Some(c)) => (c, Source::EnvironmentStack(env_stack)),
        (None, None) => (env_stack, Source::Default),
    };
    let in_cluster = |arn: Option<&str>| {
        arn.and_then(service_parts)
            .filter(|(c, _)| c.is_none_or(|c| c == cluster))
            .map(|(_, name)| name.to_string())
    };
    let ((service, service_from), addons_stacks) = match (
        in_cluster(stacks.service_arn.as_deref()),
        in_cluster(stacks.adopted_arn.as_deref()),
    ) {
        (Some(name), _) => (
            (
                name,
                Source::ServiceStack(copilot::service_stack(who.app, who.env, who.svc)),
            ),
            stacks.addons_stack.iter().cloned().collect(),
        ),
        (None, Some(name)) => (
            (
                name,
                Source::Adopted(crate::names::sidecarctl::adopted_record(
                    who.app, who.env, who.svc,
                )),
            ),
            stacks.adopted_addons.clone(),
        ),
        (None, None) => ((who.svc.to_string(), Source::Default), Vec::new()),
    };
    Placement {
        cluster,
        cluster_from,
        service,
        service_from,
        environment,
        addons_stacks,
    }
}

/// Whether a service's tags say Copilot deployed it for this application,
/// environment and service.
pub fn tagged_for(tags: &BTreeMap<String, String>, who: Who<'_>) -> bool {
    who.copilot_tags()
        .iter()
        .all(|(k, v)| tags.get(*k).map(String::as_str) == Some(*v))
}

/// Where a workload's tasks run: subnets, security groups, a public IP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub public_ip: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lb_dns;
    use crate::names::copilot::{TAG_APP, TAG_ENV, TAG_SVC};

    const WHO: Who<'static> = Who {
        app: "shop",
        env: "prod",
        svc: "api",
    };

    fn outputs() -> BTreeMap<String, String> {
        [
            ("ClusterId", "shop-prod-Cluster-AbC123"),
            ("PublicSubnets", "subnet-1,subnet-2"),
            ("PrivateSubnets", "subnet-3, subnet-4,"),
            ("EnvironmentSecurityGroup", "sg-9"),
            ("PublicLoadBalancerDNSName", "shop-Publi-1.elb.example"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn the_environment_stack_names_the_cluster_and_the_service_stack_the_service() {
        let stacks = CopilotStacks {
            env_outputs: Some(outputs()),
            service_arn: Some(
                "arn:aws:ecs:us-east-1:1:service/shop-prod-Cluster-AbC123/shop-prod-api-Service-XyZ"
                    .into(),
            ),
            adopted_arn: None,
            ..CopilotStacks::default()
        };
        let p = place(WHO, None, &stacks);
        assert_eq!(p.cluster, "shop-prod-Cluster-AbC123");
        assert_eq!(p.cluster_from, Source::EnvironmentStack("shop-prod".into()));
        assert_eq!(p.service, "shop-prod-api-Service-XyZ");
        assert_eq!(p.service_from, Source::ServiceStack("shop-prod-api".into()));
        let env = p.environment.unwrap();
        assert_eq!(env.private_subnets, ["subnet-3", "subnet-4"]);
        assert_eq!(env.security_group.as_deref(), Some("sg-9"));
        assert_eq!(env.internal_lb_dns, None, "absent outputs are tolerated");
    }

    #[test]
    fn flags_win_and_a_service_in_another_cluster_is_not_taken() {
        let stacks = CopilotStacks {
            env_outputs: Some(outputs()),
            service_arn: Some("arn:aws:ecs:us-east-1:1:service/shop-prod-Cluster-AbC123/x".into()),
            adopted_arn: None,
            ..CopilotStacks::default()
        };
        let p = place(WHO, Some("mine"), &stacks);
        assert_eq!((p.cluster.as_str(), p.cluster_from), ("mine", Source::Flag));
        assert_eq!(
            (p.service.as_str(), p.service_from),
            ("api", Source::Default)
        );
    }

    #[test]
    fn once_the_service_stack_is_gone_adopts_record_finds_the_service() {
        let stacks = CopilotStacks {
            env_outputs: Some(outputs()),
            service_arn: None,
            adopted_arn: Some(
                "arn:aws:ecs:us-east-1:1:service/shop-prod-Cluster-AbC123/shop-prod-api-Service-XyZ"
                    .into(),
            ),
            ..CopilotStacks::default()
        };
        let p = place(WHO, None, &stacks);
        assert_eq!(p.service, "shop-prod-api-Service-XyZ");
        assert_eq!(
            p.service_from,
            Source::Adopted("/sidecarctl/services/shop/prod/api".into())
        );
    }

    #[test]
    fn without_copilot_stacks_the_defaults_stay() {
        let p = place(WHO, None, &CopilotStacks::default());
        assert_eq!(p.cluster, "shop-prod");
        assert_eq!(p.service, "api");
        assert_eq!(
            (p.cluster_from, p.service_from),
            (Source::Default, Source::Default)
        );
        assert!(p.environment.is_none());
    }

    #[test]
    fn old_format_service_arns_name_no_cluster() {
        assert_eq!(
            service_parts("arn:aws:ecs:us-east-1:1:service/old-name"),
            Some((None, "old-name"))
        );
        assert_eq!(service_parts("not an arn"), None);
    }

    #[test]
    fn copilot_lb_dns_follows_the_service_type() {
        let env = Environment {
            public_lb_dns: Some("public".into()),
            internal_lb_dns: Some("internal".into()),
            ..Environment::default()
        };
        assert_eq!(lb_dns(&env, true, false).as_deref(), Some("public"));
        assert_eq!(lb_dns(&env, false, true).as_deref(), Some("internal"));
        assert_eq!(lb_dns(&env, false, false), None);
    }

    #[test]
    fn tags_must_name_app_env_and_service() {
        let tags: BTreeMap<String, String> =
            [(TAG_APP, "shop"), (TAG_ENV, "prod"), (TAG_SVC, "api")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert!(tagged_for(&tags, WHO));
        assert!(!tagged_for(&tags, Who { svc: "web", ..WHO }));
    }
}
