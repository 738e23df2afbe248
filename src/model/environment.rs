//! The environment as Copilot's environment stack `{app}-{env}` describes it
//! (its outputs name the cluster, subnets, security group, load balancers,
//! listeners, namespace and file system).

use std::collections::BTreeMap;

use crate::manifest::Service;

/// The environment as Copilot's environment stack describes it. Many outputs
/// are conditional (no load balancer, no file system): any may be absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub cluster: Option<String>,
    pub public_subnets: Vec<String>,
    pub private_subnets: Vec<String>,
    pub security_group: Option<String>,
    pub public_lb_dns: Option<String>,
    pub internal_lb_dns: Option<String>,
    pub managed_file_system: Option<String>,
    pub vpc: Option<String>,
    /// The public load balancer's listeners.
    pub http_listener: Option<String>,
    pub https_listener: Option<String>,
    /// The internal load balancer's listeners.
    pub internal_http_listener: Option<String>,
    pub internal_https_listener: Option<String>,
    /// `{env}.{app}.{domain}`, with a domain.
    pub subdomain: Option<String>,
    /// The hosted zone of that subdomain (Copilot's `EnvironmentHostedZone`).
    pub hosted_zone: Option<String>,
    /// `{env}.{app}.internal`, with an internal load balancer.
    pub internal_zone_name: Option<String>,
    /// The Cloud Map namespace `{env}.{app}.local`.
    pub namespace_id: Option<String>,
    /// The load balancers' canonical hosted zones, for alias records.
    pub public_lb_zone: Option<String>,
    pub internal_lb_zone: Option<String>,
}

impl Environment {
    /// Reads the outputs Copilot's `environment/cf.yml` declares.
    pub fn from_outputs(outputs: &BTreeMap<String, String>) -> Environment {
        let one = |k: &str| {
            outputs
                .get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let list = |k: &str| {
            outputs
                .get(k)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        Environment {
            cluster: one("ClusterId"),
            public_subnets: list("PublicSubnets"),
            private_subnets: list("PrivateSubnets"),
            security_group: one("EnvironmentSecurityGroup"),
            public_lb_dns: one("PublicLoadBalancerDNSName"),
            internal_lb_dns: one("InternalLoadBalancerDNSName"),
            managed_file_system: one("ManagedFileSystemID"),
            vpc: one("VpcId"),
            http_listener: one("HTTPListenerArn"),
            https_listener: one("HTTPSListenerArn"),
            internal_http_listener: one("InternalHTTPListenerArn"),
            internal_https_listener: one("InternalHTTPSListenerArn"),
            subdomain: one("EnvironmentSubdomain"),
            hosted_zone: one("EnvironmentHostedZone"),
            internal_zone_name: one("InternalWorkloadsHostedZoneName"),
            namespace_id: one("ServiceDiscoveryNamespaceID"),
            public_lb_zone: one("PublicLoadBalancerHostedZone"),
            internal_lb_zone: one("InternalLoadBalancerHostedZone"),
        }
    }
}

impl Environment {
    /// The listeners a service's `http` rules go on: the internal load
    /// balancer's for a Backend Service, the public one's otherwise; HTTP
    /// first. Empty when the stack has no HTTP listener for it.
    pub fn listeners(&self, backend: bool) -> Vec<String> {
        let (http, https) = if backend {
            (&self.internal_http_listener, &self.internal_https_listener)
        } else {
            (&self.http_listener, &self.https_listener)
        };
        match http {
            Some(h) => std::iter::once(h.clone()).chain(https.clone()).collect(),
            None => Vec::new(),
        }
    }
}

/// `COPILOT_LB_DNS` as Copilot sets it: the public load balancer's DNS name
/// for a Load Balanced Web Service, the internal one for a Backend Service
/// with `http`.
pub fn lb_dns(env: &Environment, load_balanced: bool, backend_with_http: bool) -> Option<String> {
    if load_balanced {
        env.public_lb_dns.clone()
    } else if backend_with_http {
        env.internal_lb_dns.clone()
    } else {
        None
    }
}

/// The host names the environment's hosted zone gets for the network load
/// balancer (`(zone, names)`), and the aliases it cannot hold.
#[allow(clippy::type_complexity)]
pub fn nlb_alias_records(
    svc: &Service,
    environment: Option<&Environment>,
) -> (Option<(String, Vec<String>)>, Vec<String>) {
    let aliases: Vec<String> = svc
        .nlb
        .iter()
        .flat_map(|n| &n.alias)
        .map(|a| a.value.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let (Some(zone), Some(sub)) = (
        environment.and_then(|e| e.hosted_zone.clone()),
        environment.and_then(|e| e.subdomain.clone()),
    ) else {
        return (None, aliases);
    };
    if aliases.is_empty() {
        return (
            Some((zone, vec![format!("{}-nlb.{sub}", svc.name.value)])),
            Vec::new(),
        );
    }
    let (mut inside, outside): (Vec<String>, Vec<String>) = aliases
        .into_iter()
        .partition(|a| a == &sub || a.ends_with(&format!(".{sub}")));
    inside.sort();
    inside.dedup();
    ((!inside.is_empty()).then_some((zone, inside)), outside)
}
