//! Route 53: the A records that alias a service's host names (`alias` with a
//! `hosted_zone`) to its load balancer, as Copilot's listener templates make them.

use aws_sdk_route53::types as r53;

use super::{AwsError, aws_err, build_err};
use crate::state::lb::AliasRecord;

type Client = aws_sdk_route53::Client;

/// The A alias record of `name` in `zone`, if there is one.
pub async fn a_record(
    client: &Client,
    zone: &str,
    name: &str,
) -> Result<Option<AliasRecord>, AwsError> {
    let out = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .start_record_type(r53::RrType::A)
        .max_items(1)
        .send()
        .await
        .map_err(aws_err("route53:ListResourceRecordSets"))?;
    let wanted = |n: &str| {
        n.trim_end_matches('.')
            .eq_ignore_ascii_case(name.trim_end_matches('.'))
    };
    Ok(out
        .resource_record_sets()
        .iter()
        .find(|r| wanted(r.name()) && r.r#type() == &r53::RrType::A)
        .and_then(|r| {
            let target = r.alias_target()?;
            Some(AliasRecord {
                zone: zone.to_string(),
                name: name.to_string(),
                target_dns: target.dns_name().to_string(),
                target_zone: target.hosted_zone_id().to_string(),
            })
        }))
}

/// UPSERTs the records of one hosted zone in one change.
pub async fn upsert(client: &Client, zone: &str, records: &[AliasRecord]) -> Result<(), AwsError> {
    const OP: &str = "route53:ChangeResourceRecordSets";
    let changes = records
        .iter()
        .map(|rec| {
            let target = r53::AliasTarget::builder()
                .hosted_zone_id(&rec.target_zone)
                .dns_name(&rec.target_dns)
                .evaluate_target_health(false)
                .build()
                .map_err(build_err(OP))?;
            let set = r53::ResourceRecordSet::builder()
                .name(&rec.name)
                .r#type(r53::RrType::A)
                .alias_target(target)
                .build()
                .map_err(build_err(OP))?;
            r53::Change::builder()
                .action(r53::ChangeAction::Upsert)
                .resource_record_set(set)
                .build()
                .map_err(build_err(OP))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let batch = r53::ChangeBatch::builder()
        .comment("sidecarctl: load balancer aliases")
        .set_changes(Some(changes))
        .build()
        .map_err(build_err(OP))?;
    client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map_err(aws_err(OP))?;
    Ok(())
}
