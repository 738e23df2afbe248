//! SQS: a service's queues, found by name, read and written by attributes.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;

use super::{AwsError, aws_err};

/// The queues whose names start with `prefix`: name and URL (ListQueues,
/// every page).
pub async fn queues_named(
    client: &aws_sdk_sqs::Client,
    prefix: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_queues()
        .queue_name_prefix(prefix)
        .into_paginator()
        .page_size(1000)
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("sqs:ListQueues"))?;
        for url in page.queue_urls() {
            let name = url.rsplit('/').next().unwrap_or_default().to_string();
            out.push((name, url.clone()));
        }
    }
    Ok(out)
}

/// GetQueueAttributes (`All`).
pub async fn attributes(
    client: &aws_sdk_sqs::Client,
    url: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let out = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(aws_err("sqs:GetQueueAttributes"))?;
    Ok(out
        .attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                .collect()
        })
        .unwrap_or_default())
}

/// CreateQueue with its attributes and tags; its URL.
pub async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: &BTreeMap<String, String>,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    let mut req = client.create_queue().queue_name(name);
    for (k, v) in attributes {
        req = req.attributes(QueueAttributeName::from(k.as_str()), v);
    }
    for (k, v) in tags {
        req = req.tags(k, v);
    }
    let out = req.send().await.map_err(aws_err("sqs:CreateQueue"))?;
    Ok(out.queue_url().unwrap_or_default().to_string())
}

pub async fn set_attributes(
    client: &aws_sdk_sqs::Client,
    url: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let mut req = client.set_queue_attributes().queue_url(url);
    for (k, v) in attributes {
        req = req.attributes(QueueAttributeName::from(k.as_str()), v);
    }
    req.send()
        .await
        .map_err(aws_err("sqs:SetQueueAttributes"))?;
    Ok(())
}
