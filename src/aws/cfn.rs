//! CloudFormation reads: Copilot's stacks (their outputs and resources).

use std::collections::BTreeMap;

use super::{AwsError, Found, aws_err};

/// A stack's outputs; `None` when the stack does not exist (or was deleted).
pub async fn stack_outputs(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    let out = client
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(aws_err("cloudformation:DescribeStacks"))
        .found()?;
    Ok(out.and_then(|o| {
        o.stacks()
            .iter()
            .find(|s| {
                !matches!(
                    s.stack_status(),
                    Some(aws_sdk_cloudformation::types::StackStatus::DeleteComplete)
                )
            })
            .map(|s| {
                s.outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((o.output_key()?.to_string(), o.output_value()?.to_string()))
                    })
                    .collect()
            })
    }))
}

/// The names of the queues a Copilot Worker Service's stack holds for its
/// events (`EventsQueue`, and `{Service}{Topic}EventsQueue` per topic), not
/// its dead-letter queues; none when the stack does not exist.
pub async fn event_queues(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<Vec<String>, AwsError> {
    let out = client
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(aws_err("cloudformation:DescribeStackResources"))
        .found()?;
    let mut names: Vec<String> = out
        .iter()
        .flat_map(|o| o.stack_resources())
        .filter(|r| {
            r.resource_type() == Some("AWS::SQS::Queue")
                && r.logical_resource_id()
                    .is_some_and(|l| l.ends_with("EventsQueue"))
        })
        .filter_map(|r| r.physical_resource_id())
        // The physical id of a queue is its URL; its name ends it.
        .filter_map(|url| url.rsplit('/').next())
        .map(str::to_string)
        .collect();
    names.sort();
    Ok(names)
}

/// The physical id of a stack's resource; `None` when the stack or the
/// resource does not exist.
pub async fn stack_resource(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
    logical_id: &str,
) -> Result<Option<String>, AwsError> {
    let out = client
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(logical_id)
        .send()
        .await
        .map_err(aws_err("cloudformation:DescribeStackResource"))
        .found()?;
    Ok(out.and_then(|o| {
        o.stack_resource_detail()
            .and_then(|d| d.physical_resource_id())
            .map(str::to_string)
    }))
}

/// Every export of the account and region, by name (ListExports, every page).
pub async fn exports(
    client: &aws_sdk_cloudformation::Client,
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    let mut pages = client.list_exports().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("cloudformation:ListExports"))?;
        for e in page.exports() {
            if let (Some(n), Some(v)) = (e.name(), e.value()) {
                out.insert(n.to_string(), v.to_string());
            }
        }
    }
    Ok(out)
}

/// A stack as `adopt` needs it.
#[derive(Clone, Debug)]
pub struct Stack {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    pub parameters: Vec<String>,
    pub capabilities: Vec<String>,
}

/// A stack by name or id; `None` when it does not exist (or was deleted).
pub async fn stack(
    client: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Result<Option<Stack>, AwsError> {
    let out = client
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(aws_err("cloudformation:DescribeStacks"))
        .found()?;
    Ok(out
        .and_then(|o| o.stacks().first().cloned())
        .map(|s| Stack {
            id: s.stack_id().unwrap_or_default().to_string(),
            status: s
                .stack_status()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
            reason: s.stack_status_reason().map(str::to_string),
            parameters: s
                .parameters()
                .iter()
                .filter_map(|p| p.parameter_key().map(str::to_string))
                .collect(),
            capabilities: s
                .capabilities()
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
        }))
}

/// The template the stack was last deployed with, as written.
pub async fn template(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<String, AwsError> {
    let out = client
        .get_template()
        .stack_name(stack)
        .template_stage(aws_sdk_cloudformation::types::TemplateStage::Original)
        .send()
        .await
        .map_err(aws_err("cloudformation:GetTemplate"))?;
    Ok(out.template_body().unwrap_or_default().to_string())
}

/// Updates the stack to `body`, every parameter at its previous value and
/// the capabilities an IAM-creating template needs. `Ok(false)` when
/// CloudFormation has nothing to update.
pub async fn update_template(
    client: &aws_sdk_cloudformation::Client,
    stack: &Stack,
    body: &str,
) -> Result<bool, AwsError> {
    use aws_sdk_cloudformation::types::{Capability, Parameter};
    let mut req = client
        .update_stack()
        .stack_name(&stack.id)
        .template_body(body)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand);
    for key in &stack.parameters {
        req = req.parameters(
            Parameter::builder()
                .parameter_key(key)
                .use_previous_value(true)
                .build(),
        );
    }
    match req.send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = AwsError::from_sdk("cloudformation:UpdateStack", e);
            if e.message.contains("No updates are to be performed") {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

pub async fn delete_stack(
    client: &aws_sdk_cloudformation::Client,
    stack_id: &str,
) -> Result<(), AwsError> {
    client
        .delete_stack()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(aws_err("cloudformation:DeleteStack"))?;
    Ok(())
}
