//! SNS: the topics a service publishes, and the subscriptions of the topics
//! it subscribes to.

use std::collections::BTreeMap;

use super::{AwsError, Found, aws_err};
use crate::state::messaging::{Subscription, Topic};

/// GetTopicAttributes; `None` when there is no such topic.
pub async fn topic(client: &aws_sdk_sns::Client, arn: &str) -> Result<Option<Topic>, AwsError> {
    let out = client
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .map_err(aws_err("sns:GetTopicAttributes"))
        .found()?;
    Ok(out.map(|o| Topic {
        arn: arn.to_string(),
        attributes: o
            .attributes()
            .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }))
}

/// CreateTopic with its attributes and tags (idempotent for the same ones).
pub async fn create_topic(
    client: &aws_sdk_sns::Client,
    name: &str,
    attributes: &BTreeMap<String, String>,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    let mut req = client.create_topic().name(name);
    for (k, v) in attributes {
        req = req.attributes(k, v);
    }
    for (k, v) in tags {
        req = req.tags(
            aws_sdk_sns::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(super::build_err("sns:CreateTopic"))?,
        );
    }
    let out = req.send().await.map_err(aws_err("sns:CreateTopic"))?;
    Ok(out.topic_arn().unwrap_or_default().to_string())
}

pub async fn set_topic_attribute(
    client: &aws_sdk_sns::Client,
    arn: &str,
    name: &str,
    value: &str,
) -> Result<(), AwsError> {
    client
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name(name)
        .attribute_value(value)
        .send()
        .await
        .map_err(aws_err("sns:SetTopicAttributes"))?;
    Ok(())
}

/// The topic's SQS subscriptions whose endpoint is one of `queue_arns`, with
/// their filter policies.
pub async fn subscriptions_to(
    client: &aws_sdk_sns::Client,
    topic_arn: &str,
    queue_arns: &[String],
) -> Result<Vec<Subscription>, AwsError> {
    let mut found = Vec::new();
    let mut pages = client
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("sns:ListSubscriptionsByTopic"))?;
        for s in page.subscriptions() {
            let endpoint = s.endpoint().unwrap_or_default();
            if s.protocol() == Some("sqs") && queue_arns.iter().any(|q| q == endpoint) {
                found.push((
                    s.subscription_arn().unwrap_or_default().to_string(),
                    endpoint.to_string(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    for (arn, endpoint) in found {
        // A pending confirmation has no ARN yet (not for SQS in one account).
        let filter_policy = if arn.starts_with("arn:") {
            client
                .get_subscription_attributes()
                .subscription_arn(&arn)
                .send()
                .await
                .map_err(aws_err("sns:GetSubscriptionAttributes"))?
                .attributes()
                .and_then(|a| a.get("FilterPolicy").cloned())
                .filter(|p| !p.is_empty())
        } else {
            None
        };
        out.push(Subscription {
            arn,
            topic_arn: topic_arn.to_string(),
            endpoint,
            filter_policy,
        });
    }
    Ok(out)
}

/// Subscribe a queue (SQS protocol), with a filter policy; the answer names
/// the subscription (an existing one with the same attributes is returned).
pub async fn subscribe(
    client: &aws_sdk_sns::Client,
    topic_arn: &str,
    queue_arn: &str,
    filter_policy: Option<&str>,
) -> Result<String, AwsError> {
    let mut req = client
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .return_subscription_arn(true);
    if let Some(p) = filter_policy {
        req = req.attributes("FilterPolicy", p);
    }
    let out = req.send().await.map_err(aws_err("sns:Subscribe"))?;
    Ok(out.subscription_arn().unwrap_or_default().to_string())
}

pub async fn set_filter_policy(
    client: &aws_sdk_sns::Client,
    subscription_arn: &str,
    policy: &str,
) -> Result<(), AwsError> {
    client
        .set_subscription_attributes()
        .subscription_arn(subscription_arn)
        .attribute_name("FilterPolicy")
        .attribute_value(policy)
        .send()
        .await
        .map_err(aws_err("sns:SetSubscriptionAttributes"))?;
    Ok(())
}
