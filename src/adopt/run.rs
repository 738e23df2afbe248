//! The steps of `adopt`, against AWS.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::template::retain_all;
use super::{in_progress, stable};
use crate::aws::{self, Aws, AwsError, cfn};
use crate::discover::Who;
use crate::exit::Exit;
use crate::names::copilot;
use crate::names::sidecarctl::adopted_record;
use crate::state::ServiceState;

/// How to adopt.
#[derive(Clone, Debug)]
pub struct Options {
    pub dry_run: bool,
    /// How long to wait for CloudFormation, per stack operation.
    pub timeout: Duration,
    pub poll: Duration,
}

/// What `adopt` did, for people and for `-o json`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub service: String,
    pub stack: String,
    /// `adopted`, `dryRun`, `missing`, `refused`, `busy`, `failed`.
    pub outcome: &'static str,
    pub service_arn: Option<String>,
    pub task_definition: Option<String>,
    /// Resources of the stack, all retained.
    pub resources: usize,
    /// What was done (or, for a dry run, would be), in order.
    pub steps: Vec<String>,
    pub error: Option<String>,
    #[serde(skip)]
    pub exit: Exit,
}

impl Report {
    fn end(mut self, outcome: &'static str, exit: Exit, error: Option<String>) -> Report {
        self.outcome = outcome;
        self.exit = exit;
        self.error = error;
        self
    }
}

/// Hands the service stack of `who` over; `say` hears each step as it starts.
pub async fn adopt(aws: &Aws, who: Who<'_>, opts: &Options, say: &mut dyn FnMut(&str)) -> Report {
    let stack_name = copilot::service_stack(who.app, who.env, who.svc);
    let report = Report {
        service: who.svc.to_string(),
        stack: stack_name.clone(),
        outcome: "",
        service_arn: None,
        task_definition: None,
        resources: 0,
        steps: Vec::new(),
        error: None,
        exit: Exit::Ok,
    };
    match steps(aws, who, &stack_name, opts, report.clone(), say).await {
        Ok(r) | Err(Stop(r)) => r,
    }
}

/// A report that ends early.
struct Stop(Report);

fn aws_failed(r: Report, e: AwsError) -> Stop {
    let exit = if e.is(aws::ErrorKind::Invalid) {
        Exit::Invalid
    } else {
        Exit::Failure
    };
    Stop(r.end("failed", exit, Some(e.to_string())))
}

async fn steps(
    aws: &Aws,
    who: Who<'_>,
    stack_name: &str,
    opts: &Options,
    mut r: Report,
    say: &mut dyn FnMut(&str),
) -> Result<Report, Stop> {
    say(&format!("reading the stack {stack_name}"));
    let stack = match cfn::stack(&aws.cfn, stack_name).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            let record = adopted_record(who.app, who.env, who.svc);
            let already = aws::record::read(&aws.ssm, &record).await.ok().flatten();
            let msg = match already {
                Some(arn) => format!(
                    "the stack {stack_name} does not exist: {arn} was adopted already (recorded in {record})"
                ),
                None => format!(
                    "the stack {stack_name} does not exist: Copilot has not deployed {} to {}",
                    who.svc, who.env
                ),
            };
            return Err(Stop(r.end("missing", Exit::Missing, Some(msg))));
        }
        Err(e) => return Err(aws_failed(r, e)),
    };
    if !stable(&stack.status) {
        let why = stack
            .reason
            .as_deref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default();
        let msg = format!(
            "the stack {stack_name} is {}{why}: only a stack in a stable *_COMPLETE state is handed over",
            stack.status
        );
        let (outcome, exit) = if in_progress(&stack.status) {
            ("busy", Exit::Busy)
        } else {
            ("refused", Exit::Failure)
        };
        return Err(Stop(r.end(outcome, exit, Some(msg))));
    }
    let before = service_of(aws, stack_name)
        .await
        .map_err(|e| aws_failed(r.clone(), e))?;
    let Some(before) = before else {
        let msg = format!("the stack {stack_name} has no ACTIVE ECS service (logical id Service)");
        return Err(Stop(r.end("missing", Exit::Missing, Some(msg))));
    };
    r.service_arn = Some(before.arn.clone());
    r.task_definition = Some(before.task_definition.clone());
    let template = cfn::template(&aws.cfn, &stack.id)
        .await
        .map_err(|e| aws_failed(r.clone(), e))?;
    let (retained, n) = match retain_all(&template) {
        Ok(x) => x,
        Err(why) => {
            let msg = format!("the template of {stack_name} cannot be edited safely: {why}");
            return Err(Stop(r.end("refused", Exit::Invalid, Some(msg))));
        }
    };
    r.resources = n;
    let needs_update = retained != template;
    let record = adopted_record(who.app, who.env, who.svc);
    r.steps = [
        needs_update.then(|| format!("set DeletionPolicy: Retain on the {n} resources of {stack_name} (update the stack with its own template and previous parameters)")),
        Some(format!("delete the stack {stack_name}; every resource stays")),
        Some(format!("record {} in {record} for later deploys", before.arn)),
        Some(format!("check that {} is still ACTIVE on {}", before.name, short(&before.task_definition))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if opts.dry_run {
        return Ok(r.end("dryRun", Exit::Ok, None));
    }

    // Recorded first: if anything below stops, deploys still find the service.
    aws::record::write(&aws.ssm, &record, &before.arn)
        .await
        .map_err(|e| aws_failed(r.clone(), e))?;
    if needs_update {
        say(&format!("retaining the {n} resources of {stack_name}"));
        let updated = cfn::update_template(&aws.cfn, &stack, &retained)
            .await
            .map_err(|e| aws_failed(r.clone(), e))?;
        if updated {
            let end = wait(aws, &stack.id, opts)
                .await
                .map_err(|e| aws_failed(r.clone(), e))?;
            if end != "UPDATE_COMPLETE" {
                let msg = format!(
                    "updating {stack_name} ended {end}: the stack was left in place; nothing was deleted"
                );
                return Err(Stop(r.end("failed", Exit::Failure, Some(msg))));
            }
        }
    }
    say(&format!("deleting the stack {stack_name}"));
    cfn::delete_stack(&aws.cfn, &stack.id)
        .await
        .map_err(|e| aws_failed(r.clone(), e))?;
    let end = wait(aws, &stack.id, opts)
        .await
        .map_err(|e| aws_failed(r.clone(), e))?;
    if end != "DELETE_COMPLETE" && !end.is_empty() {
        let msg = format!("deleting {stack_name} ended {end}");
        return Err(Stop(r.end("failed", Exit::Failure, Some(msg))));
    }
    say(&format!("checking {}", before.name));
    let cluster = crate::names::arn::service_cluster(&before.arn).unwrap_or_default();
    let after = aws::ecs::describe_service(&aws.ecs, &cluster, &before.arn)
        .await
        .map_err(|e| aws_failed(r.clone(), e))?;
    match after {
        Some(s) if s.status == "ACTIVE" && s.task_definition == before.task_definition => {
            Ok(r.end("adopted", Exit::Ok, None))
        }
        Some(s) => {
            let msg = format!(
                "{} is {} on {} after the stack was deleted (it was ACTIVE on {})",
                s.name,
                s.status,
                short(&s.task_definition),
                short(&before.task_definition)
            );
            Err(Stop(r.end("failed", Exit::Failure, Some(msg))))
        }
        None => {
            let msg = format!("{} is gone after the stack was deleted", before.name);
            Err(Stop(r.end("failed", Exit::Failure, Some(msg))))
        }
    }
}

fn short(td: &str) -> &str {
    crate::names::arn::short_task_definition(td)
}

/// The stack's ECS service, when it is ACTIVE.
async fn service_of(aws: &Aws, stack: &str) -> Result<Option<ServiceState>, AwsError> {
    let Some(arn) = cfn::stack_resource(&aws.cfn, stack, copilot::SERVICE_LOGICAL_ID).await? else {
        return Ok(None);
    };
    let cluster = crate::names::arn::service_cluster(&arn).unwrap_or_default();
    Ok(aws::ecs::describe_service(&aws.ecs, &cluster, &arn)
        .await?
        .filter(|s| s.status == "ACTIVE"))
}

/// Waits until CloudFormation is done with the stack; its final status
/// (empty when it is gone).
async fn wait(aws: &Aws, id: &str, opts: &Options) -> Result<String, AwsError> {
    let deadline = Instant::now() + opts.timeout;
    loop {
        let status = cfn::stack(&aws.cfn, id)
            .await?
            .map(|s| s.status)
            .unwrap_or_default();
        if !in_progress(&status) {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            return Err(AwsError::new(
                "cloudformation:DescribeStacks",
                aws::ErrorKind::Other,
                format!("the stack is still {status} after {:?}", opts.timeout),
            ));
        }
        tokio::time::sleep(opts.poll).await;
    }
}
