//! Cloud Map: the service a Copilot service's tasks are registered under in
//! the environment's namespace, `{svc}.{env}.{app}.local`.

use aws_sdk_servicediscovery::types as sd;

use super::{AwsError, ErrorKind, aws_err};
use crate::state::DiscoveryService;

type Client = aws_sdk_servicediscovery::Client;

/// The Cloud Map service named `name` in the namespace, if there is one.
pub async fn find_service(
    client: &Client,
    namespace_id: &str,
    name: &str,
) -> Result<Option<DiscoveryService>, AwsError> {
    let filter = sd::ServiceFilter::builder()
        .name(sd::ServiceFilterName::NamespaceId)
        .values(namespace_id)
        .condition(sd::FilterCondition::Eq)
        .build()
        .map_err(super::build_err("servicediscovery:ListServices"))?;
    let mut pages = client
        .list_services()
        .filters(filter)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("servicediscovery:ListServices"))?;
        if let Some(s) = page.services().iter().find(|s| s.name() == Some(name)) {
            return Ok(Some(DiscoveryService {
                id: s.id().unwrap_or_default().to_string(),
                arn: s.arn().unwrap_or_default().to_string(),
            }));
        }
    }
    Ok(None)
}

/// CreateService as Copilot's `servicediscovery.yml` declares it: A and SRV
/// records with a TTL of 10 s, multivalue answers, health from ECS.
/// `request_id` makes a retried create idempotent.
pub async fn create_service(
    client: &Client,
    namespace_id: &str,
    name: &str,
    request_id: &str,
    tags: &[(String, String)],
) -> Result<DiscoveryService, AwsError> {
    const OP: &str = "servicediscovery:CreateService";
    let record = |t: sd::RecordType| {
        sd::DnsRecord::builder()
            .r#type(t)
            .ttl(10)
            .build()
            .map_err(super::build_err(OP))
    };
    let dns = sd::DnsConfig::builder()
        .routing_policy(sd::RoutingPolicy::Multivalue)
        .dns_records(record(sd::RecordType::A)?)
        .dns_records(record(sd::RecordType::Srv)?)
        .build()
        .map_err(super::build_err(OP))?;
    let tags = tags
        .iter()
        .map(|(k, v)| {
            sd::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(super::build_err(OP))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = client
        .create_service()
        .name(name)
        .namespace_id(namespace_id)
        .description("Discovery Service for the Copilot services")
        .creator_request_id(request_id)
        .dns_config(dns)
        // Copilot's FailureThreshold of 1 is now the only one Cloud Map has.
        .health_check_custom_config(sd::HealthCheckCustomConfig::builder().build())
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(aws_err(OP))?;
    out.service()
        .map(|s| DiscoveryService {
            id: s.id().unwrap_or_default().to_string(),
            arn: s.arn().unwrap_or_default().to_string(),
        })
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no service"))
}
