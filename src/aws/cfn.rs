//! CloudFormation reads: Copilot's stacks (their outputs and resources).

use std::collections::BTreeMap;

use super::{AwsError, ErrorKind, Found, aws_err};
use crate::state::stack::{Change, ChangeSet, Stack, StackResource};

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

/// An export's value and the id of the stack that exports it; `None` when
/// there is no such export (ListExports, page by page until it is found).
pub async fn find_export(
    client: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let mut pages = client.list_exports().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("cloudformation:ListExports"))?;
        if let Some(e) = page.exports().iter().find(|e| e.name() == Some(name)) {
            return Ok(Some((
                e.value().unwrap_or_default().to_string(),
                e.exporting_stack_id().unwrap_or_default().to_string(),
            )));
        }
    }
    Ok(None)
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
        .filter(|s| {
            !matches!(
                s.stack_status(),
                Some(aws_sdk_cloudformation::types::StackStatus::DeleteComplete)
            )
        })
        .map(|s| Stack {
            id: s.stack_id().unwrap_or_default().to_string(),
            name: s.stack_name().unwrap_or_default().to_string(),
            status: s
                .stack_status()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
            reason: s.stack_status_reason().map(str::to_string),
            last_updated: s.last_updated_time().map(|t| t.to_string()),
            parameters: s
                .parameters()
                .iter()
                .filter_map(|p| p.parameter_key().map(str::to_string))
                .collect(),
            outputs: s
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
                .collect(),
            exports: s
                .outputs()
                .iter()
                .filter_map(|o| o.export_name().map(str::to_string))
                .collect(),
            tags: s
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect(),
        }))
}

/// Every resource of a stack (DescribeStackResources); none when the stack
/// does not exist.
pub async fn resources(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<Vec<StackResource>, AwsError> {
    let out = client
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(aws_err("cloudformation:DescribeStackResources"))
        .found()?;
    Ok(out
        .iter()
        .flat_map(|o| o.stack_resources())
        .map(|r| StackResource {
            logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
            physical_id: r.physical_resource_id().map(str::to_string),
            kind: r.resource_type().unwrap_or_default().to_string(),
        })
        .collect())
}

/// The stacks that import `export` (ListImports, every page); none when
/// nothing imports it.
pub async fn importers(
    client: &aws_sdk_cloudformation::Client,
    export: &str,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match client
            .list_imports()
            .export_name(export)
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) => {
                let e = AwsError::from_sdk("cloudformation:ListImports", e);
                // CloudFormation's answer for an export nothing imports.
                if e.message.contains("is not imported by any stack") {
                    return Ok(out);
                }
                return Err(e);
            }
        };
        out.extend(page.imports().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
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

/// Creates the change set `name` that updates the stack to `body`, every
/// parameter at its previous value, with the capabilities a Copilot template
/// needs; its id.
pub async fn create_change_set(
    client: &aws_sdk_cloudformation::Client,
    stack: &Stack,
    name: &str,
    body: &str,
) -> Result<String, AwsError> {
    use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter};
    // By name: AWS takes a name or an id, some emulators a name only.
    let mut req = client
        .create_change_set()
        .stack_name(&stack.name)
        .change_set_name(name)
        .change_set_type(ChangeSetType::Update)
        .description(
            "sidecarctl adopt: DeletionPolicy and UpdateReplacePolicy Retain on every resource",
        )
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
    let out = req
        .send()
        .await
        .map_err(aws_err("cloudformation:CreateChangeSet"))?;
    Ok(out.id().unwrap_or(name).to_string())
}

/// A change set of the add-ons stack: what it is made of.
pub struct StackChange<'a> {
    pub stack: &'a str,
    pub name: &'a str,
    /// The stack does not exist yet.
    pub create: bool,
    pub template: &'a str,
    /// Values by key; a key the stack has that is not here keeps its value.
    pub parameters: &'a [(String, String)],
    pub previous: &'a [String],
    pub tags: &'a [(String, String)],
}

/// Creates a change set that creates or updates a stack; its id.
pub async fn create_stack_change_set(
    client: &aws_sdk_cloudformation::Client,
    c: &StackChange<'_>,
) -> Result<String, AwsError> {
    use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, Tag};
    const OP: &str = "cloudformation:CreateChangeSet";
    let mut req = client
        .create_change_set()
        .stack_name(c.stack)
        .change_set_name(c.name)
        .change_set_type(if c.create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        })
        .description("sidecarctl deploy: the service's add-ons")
        .template_body(c.template)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand);
    for (k, v) in c.parameters {
        req = req.parameters(
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build(),
        );
    }
    for k in c
        .previous
        .iter()
        .filter(|k| !c.parameters.iter().any(|(p, _)| p == *k))
    {
        req = req.parameters(
            Parameter::builder()
                .parameter_key(k)
                .use_previous_value(true)
                .build(),
        );
    }
    for (k, v) in c.tags {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    match req.send().await.map_err(aws_err(OP)) {
        Ok(out) => Ok(out.id().unwrap_or(c.name).to_string()),
        // A retried request whose first attempt went through: that one.
        Err(e) if e.is(ErrorKind::AlreadyExists) => {
            let out = client
                .describe_change_set()
                .stack_name(c.stack)
                .change_set_name(c.name)
                .send()
                .await
                .map_err(aws_err("cloudformation:DescribeChangeSet"))?;
            Ok(out.change_set_id().unwrap_or(c.name).to_string())
        }
        Err(e) => Err(e),
    }
}

/// UpdateStack with the template and parameters as they are and new tags
/// (what records that the stack is as wanted when nothing else changes).
pub async fn retag_stack(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
    parameters: &[String],
    tags: &[(String, String)],
) -> Result<(), AwsError> {
    use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};
    let mut req = client
        .update_stack()
        .stack_name(stack)
        .use_previous_template(true)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand);
    for k in parameters {
        req = req.parameters(
            Parameter::builder()
                .parameter_key(k)
                .use_previous_value(true)
                .build(),
        );
    }
    for (k, v) in tags {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    req.send()
        .await
        .map_err(aws_err("cloudformation:UpdateStack"))?;
    Ok(())
}

/// A change set and every change it would make (every page).
pub async fn change_set(
    client: &aws_sdk_cloudformation::Client,
    id: &str,
) -> Result<ChangeSet, AwsError> {
    let mut set = ChangeSet {
        id: id.to_string(),
        ..ChangeSet::default()
    };
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_change_set()
            .change_set_name(id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(aws_err("cloudformation:DescribeChangeSet"))?;
        set.status = page
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        set.reason = page.status_reason().map(str::to_string);
        set.changes.extend(
            page.changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(|r| Change {
                    action: r
                        .action()
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                    kind: r.resource_type().unwrap_or_default().to_string(),
                    replacement: r.replacement().map(|x| x.as_str().to_string()),
                    scope: r.scope().iter().map(|x| x.as_str().to_string()).collect(),
                    details: r
                        .details()
                        .iter()
                        .map(|d| {
                            (
                                d.target()
                                    .and_then(|t| t.attribute())
                                    .map(|a| a.as_str().to_string()),
                                d.change_source().map(|c| c.as_str().to_string()),
                            )
                        })
                        .collect(),
                }),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(set);
        }
    }
}

pub async fn execute_change_set(
    client: &aws_sdk_cloudformation::Client,
    id: &str,
) -> Result<(), AwsError> {
    client
        .execute_change_set()
        .change_set_name(id)
        .send()
        .await
        .map_err(aws_err("cloudformation:ExecuteChangeSet"))?;
    Ok(())
}

pub async fn delete_change_set(
    client: &aws_sdk_cloudformation::Client,
    id: &str,
) -> Result<(), AwsError> {
    client
        .delete_change_set()
        .change_set_name(id)
        .send()
        .await
        .map_err(aws_err("cloudformation:DeleteChangeSet"))?;
    Ok(())
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
