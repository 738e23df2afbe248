//! The steps of `adopt`, against AWS.
//!
//! 1. Read: the service stack, its resources and template; every nested
//!    stack (Copilot's `AddonsStack`), recursively, with theirs; the ECS
//!    service (ACTIVE), or a Scheduled Job's rule; which stacks import the
//!    service stack's exports.
//! 2. Refuse before any write: an export another stack imports (exit 3), a
//!    template that cannot be edited safely, a stack CloudFormation is busy
//!    with or that failed.
//! 3. Retain, stack by stack (the service stack first, then the nested ones,
//!    which its update must not revert): the stack is read again and must be
//!    as first read; a change set sets `DeletionPolicy` and
//!    `UpdateReplacePolicy: Retain` on every resource; its changes must be
//!    those and nothing else (an empty change set is an error); the stack is
//!    read again; the change set runs.
//! 4. Prove: every template, read back from CloudFormation, retains every
//!    resource; nothing imports the exports. Only then is the record written
//!    and the service stack deleted. The nested stacks stay, named in the
//!    report with what they hold.
//!
//! A job's rule, retained, runs the job on after the stack is gone; the
//! next `deploy` moves it to EventBridge Scheduler between two runs and
//! disables the rule (see `deploy/apply/job.rs`).
//!
//! A rerun finishes what an earlier run left (a stack whose deletion failed
//! is deleted again once everything in it is retained); an adopted service
//! (record there, stack gone) is reported as such.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::check::{check_rule, check_service, short};
use super::template::{retain_all, unretained};
use super::wait::{wait_change_set, wait_stack};
use super::{in_progress, stable, unexpected_changes};
use crate::aws::{self, Aws, AwsError, cfn};
use crate::exit::Exit;
use crate::model::Who;
use crate::names::copilot;
use crate::names::sidecarctl::adopted_record;
use crate::state::stack::{Stack, StackResource};
use crate::state::{AdoptRecord, ServiceState};

/// How to adopt.
#[derive(Clone, Debug)]
pub struct Options {
    pub dry_run: bool,
    /// How long to wait for CloudFormation, per stack operation.
    pub timeout: Duration,
    pub poll: Duration,
}

/// A stack `adopt` handled.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackReport {
    pub name: String,
    pub id: String,
    /// `service` (deleted once retained) or `nested` (left standing).
    pub role: &'static str,
    pub resources: usize,
}

/// A resource that stays behind, unmanaged by CloudFormation, and why it matters.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftBehind {
    pub stack: String,
    pub logical_id: String,
    pub kind: String,
    pub physical_id: Option<String>,
    pub note: &'static str,
}

/// What `adopt` did, for people and for `-o json`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub service: String,
    pub stack: String,
    /// `adopted`, `dryRun`, `alreadyAdopted`, `missing`, `refused`, `busy`,
    /// `failed`, `interrupted`.
    pub outcome: &'static str,
    pub service_arn: Option<String>,
    pub task_definition: Option<String>,
    /// A Scheduled Job's rule (Copilot's), which runs it on until a deploy
    /// switches it to EventBridge Scheduler.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_rule: Option<String>,
    /// Resources of the service stack.
    pub resources: usize,
    /// The service stack and its nested stacks.
    pub stacks: Vec<StackReport>,
    /// What was done (or, for a dry run, would be), in order.
    pub steps: Vec<String>,
    /// Exports of the service stack that other stacks import, and those stacks.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub imported_by: BTreeMap<String, Vec<String>>,
    /// Resources that stay behind and need a word.
    pub left_behind: Vec<LeftBehind>,
    pub error: Option<String>,
    #[serde(skip)]
    pub exit: Exit,
}

impl Report {
    pub(super) fn end(
        mut self,
        outcome: &'static str,
        exit: Exit,
        error: Option<String>,
    ) -> Report {
        self.outcome = outcome;
        self.exit = exit;
        self.error = error;
        self
    }
}

/// A report that ends early (boxed: reports are large, and returned often).
pub(super) struct Stop(Box<Report>);

pub(super) fn stop(r: Report) -> Stop {
    Stop(Box::new(r))
}

pub(super) fn aws_failed(r: &Report, e: AwsError) -> Stop {
    let exit = if e.is(aws::ErrorKind::Invalid) {
        Exit::Invalid
    } else {
        Exit::Failure
    };
    stop(r.clone().end("failed", exit, Some(e.to_string())))
}

/// A stack as read: itself, its resources, its template.
#[derive(Clone, Debug)]
struct Read {
    stack: Stack,
    resources: Vec<StackResource>,
    template: String,
}

/// What the stack runs.
enum Workload {
    /// A service: its ECS service, ACTIVE.
    Service(Box<ServiceState>),
    /// A Scheduled Job: Copilot's rule, by name, which starts its state
    /// machine (retained, it runs the job on until a deploy switches it to
    /// EventBridge Scheduler).
    Job { rule: String },
}

/// Everything `adopt` reads before it decides.
struct Found {
    root: Read,
    nested: Vec<Read>,
    workload: Workload,
}

/// How deep nested stacks are followed, and how many.
const MAX_NESTED: usize = 50;

/// Hands the service stack of `who` over; `say` hears each step as it starts.
pub async fn adopt(
    aws: &Aws,
    who: Who<'_>,
    opts: &Options,
    cancel: &CancellationToken,
    say: &mut dyn FnMut(&str),
) -> Report {
    let report = Report {
        service: who.svc.to_string(),
        stack: copilot::service_stack(who.app, who.env, who.svc),
        outcome: "",
        service_arn: None,
        task_definition: None,
        job_rule: None,
        resources: 0,
        stacks: Vec::new(),
        steps: Vec::new(),
        imported_by: BTreeMap::new(),
        left_behind: Vec::new(),
        error: None,
        exit: Exit::Ok,
    };
    match steps(aws, who, opts, cancel, report, say).await {
        Ok(r) => r,
        Err(Stop(r)) => *r,
    }
}

async fn steps(
    aws: &Aws,
    who: Who<'_>,
    opts: &Options,
    cancel: &CancellationToken,
    mut r: Report,
    say: &mut dyn FnMut(&str),
) -> Result<Report, Stop> {
    say(&format!("reading the stack {}", r.stack));
    let found = read_all(aws, who, &mut r).await?;
    describe(&found, &mut r);
    let imports = importers(aws, &found.root.stack, &r).await?;
    if !imports.is_empty() {
        r.imported_by = imports;
        let msg = imported_message(&r);
        return Err(stop(r.end("refused", Exit::Missing, Some(msg))));
    }
    let edits = plan_edits(&found, &r)?;
    let deleting_failed = found.root.stack.status == "DELETE_FAILED";
    if deleting_failed && !edits.is_empty() {
        let msg = format!(
            "the stack {} is DELETE_FAILED ({}) and {} of its stacks do not retain every resource: CloudFormation cannot update a stack in that state, and deleting it would delete them; nothing was changed",
            r.stack,
            found
                .root
                .stack
                .reason
                .as_deref()
                .unwrap_or("no reason given"),
            edits.len()
        );
        return Err(stop(r.end("refused", Exit::Failure, Some(msg))));
    }
    let record_name = adopted_record(who.app, who.env, who.svc);
    r.steps = planned_steps(&found, &edits, &r, &record_name);
    if opts.dry_run {
        return Ok(r.end("dryRun", Exit::Ok, None));
    }
    for (i, edited) in &edits {
        let read = if *i == 0 {
            &found.root
        } else {
            &found.nested[i - 1]
        };
        interrupted(
            cancel,
            &r,
            "before retaining the next stack; nothing was deleted",
        )?;
        say(&format!("retaining the resources of {}", read.stack.name));
        retain(aws, read, edited, opts, cancel, &r).await?;
    }
    interrupted(
        cancel,
        &r,
        "every resource is retained; nothing was deleted",
    )?;
    prove_retained(aws, &found, &r).await?;
    // The job's rule as the stack names it now (what was retained).
    let found = match found.workload {
        Workload::Job { .. } => {
            let resources = cfn::resources(&aws.cfn, &found.root.stack.id)
                .await
                .map_err(|e| aws_failed(&r, e))?;
            let Some(rule) = job_rule_of(&resources) else {
                let msg = format!(
                    "the stack {} no longer names the job's rule: nothing was deleted",
                    r.stack
                );
                return Err(stop(r.end("failed", Exit::Failure, Some(msg))));
            };
            r.job_rule = Some(rule.clone());
            Found {
                workload: Workload::Job { rule },
                ..found
            }
        }
        Workload::Service(_) => found,
    };
    let imports = importers(aws, &found.root.stack, &r).await?;
    if !imports.is_empty() {
        r.imported_by = imports;
        let msg = imported_message(&r);
        return Err(stop(r.end("refused", Exit::Missing, Some(msg))));
    }
    let record = AdoptRecord {
        service: match &found.workload {
            Workload::Service(s) => s.arn.clone(),
            Workload::Job { .. } => String::new(),
        },
        addons_stacks: found.nested.iter().map(|n| n.stack.id.clone()).collect(),
        job_rule: match &found.workload {
            Workload::Job { rule } => Some(rule.clone()),
            Workload::Service(_) => None,
        },
    };
    aws::record::write(&aws.ssm, &record_name, &record)
        .await
        .map_err(|e| aws_failed(&r, e))?;
    interrupted(
        cancel,
        &r,
        "every resource is retained and the record written; the stack was not deleted",
    )?;
    say(&format!("deleting the stack {}", r.stack));
    delete(aws, &found.root.stack, opts, cancel, &r).await?;
    match &found.workload {
        Workload::Service(service) => {
            say(&format!("checking {}", service.name));
            check_service(aws, service, &r).await?;
        }
        Workload::Job { rule } => {
            say(&format!("checking the rule {rule}"));
            check_rule(aws, rule, &r).await?;
        }
    }
    Ok(r.end("adopted", Exit::Ok, None))
}

/// Stops with `interrupted` once a signal came; `state` says where.
pub(super) fn interrupted(cancel: &CancellationToken, r: &Report, state: &str) -> Result<(), Stop> {
    if !cancel.is_cancelled() {
        return Ok(());
    }
    let msg = format!("interrupted: {state}; run the same adopt again to finish");
    Err(stop(r.clone().end(
        "interrupted",
        Exit::Interrupted,
        Some(msg),
    )))
}

/// Reads the service stack, its nested stacks and the service.
async fn read_all(aws: &Aws, who: Who<'_>, r: &mut Report) -> Result<Found, Stop> {
    let root = match cfn::stack(&aws.cfn, &r.stack).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(no_stack(aws, who, r).await),
        Err(e) => return Err(aws_failed(r, e)),
    };
    if !stable(&root.status) && root.status != "DELETE_FAILED" {
        let why = root
            .reason
            .as_deref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default();
        let msg = format!(
            "the stack {} is {}{why}: only a stack in a stable *_COMPLETE state is handed over",
            r.stack, root.status
        );
        let (outcome, exit) = if in_progress(&root.status) {
            ("busy", Exit::Busy)
        } else {
            ("refused", Exit::Failure)
        };
        return Err(stop(r.clone().end(outcome, exit, Some(msg))));
    }
    let root = read_stack(aws, root).await.map_err(|e| aws_failed(r, e))?;
    let nested = read_nested(aws, &root)
        .await
        .map_err(|e| aws_failed(r, e))?;
    let service = service_of(aws, &root.resources)
        .await
        .map_err(|e| aws_failed(r, e))?;
    let workload = match (service, job_rule_of(&root.resources)) {
        (Some(service), _) => {
            r.service_arn = Some(service.arn.clone());
            r.task_definition = Some(service.task_definition.clone());
            Workload::Service(Box::new(service))
        }
        (None, Some(rule)) => {
            r.job_rule = Some(rule.clone());
            Workload::Job { rule }
        }
        (None, None) => {
            let msg = format!(
                "the stack {} has no ACTIVE ECS service (logical id {}) and no job rule (logical id {})",
                r.stack,
                copilot::SERVICE_LOGICAL_ID,
                copilot::JOB_RULE_LOGICAL_ID
            );
            return Err(stop(r.clone().end("missing", Exit::Missing, Some(msg))));
        }
    };
    Ok(Found {
        root,
        nested,
        workload,
    })
}

/// The answer when the service stack is gone: adopted already (the record
/// is there), or never deployed.
async fn no_stack(aws: &Aws, who: Who<'_>, r: &Report) -> Stop {
    let record = adopted_record(who.app, who.env, who.svc);
    match aws::record::read(&aws.ssm, &record).await {
        Ok(Some(rec)) => {
            let mut r = r.clone();
            r.service_arn = Some(rec.service.clone()).filter(|a| !a.is_empty());
            r.job_rule = rec.job_rule.clone();
            r.steps = vec![format!(
                "nothing to do: {} was adopted already (recorded in {record})",
                r.service_arn
                    .as_deref()
                    .or(r.job_rule.as_deref())
                    .unwrap_or_default()
            )];
            stop(r.end("alreadyAdopted", Exit::Ok, None))
        }
        Ok(None) => {
            let msg = format!(
                "the stack {} does not exist: Copilot has not deployed {} to {}",
                r.stack, who.svc, who.env
            );
            stop(r.clone().end("missing", Exit::Missing, Some(msg)))
        }
        Err(e) => aws_failed(r, e),
    }
}

async fn read_stack(aws: &Aws, stack: Stack) -> Result<Read, AwsError> {
    let (resources, template) = tokio::join!(
        cfn::resources(&aws.cfn, &stack.id),
        cfn::template(&aws.cfn, &stack.id)
    );
    Ok(Read {
        stack,
        resources: resources?,
        template: template?,
    })
}

/// Every stack nested in `root`, however deep, parents before children.
async fn read_nested(aws: &Aws, root: &Read) -> Result<Vec<Read>, AwsError> {
    let mut out: Vec<Read> = Vec::new();
    let mut queue: Vec<String> = nested_ids(&root.resources);
    while let Some(id) = queue.first().cloned() {
        queue.remove(0);
        if out.len() >= MAX_NESTED {
            return Err(AwsError::new(
                "cloudformation:DescribeStacks",
                aws::ErrorKind::Invalid,
                format!("more than {MAX_NESTED} nested stacks: adopt them by hand"),
            ));
        }
        let Some(stack) = cfn::stack(&aws.cfn, &id).await? else {
            continue; // a nested stack that failed to create: nothing in it
        };
        let read = read_stack(aws, stack).await?;
        queue.extend(nested_ids(&read.resources));
        out.push(read);
    }
    Ok(out)
}

fn nested_ids(resources: &[StackResource]) -> Vec<String> {
    resources
        .iter()
        .filter(|r| r.kind == "AWS::CloudFormation::Stack")
        .filter_map(|r| r.physical_id.clone())
        .filter(|id| !id.is_empty())
        .collect()
}

/// The stack's ECS service, when it is ACTIVE.
async fn service_of(
    aws: &Aws,
    resources: &[StackResource],
) -> Result<Option<ServiceState>, AwsError> {
    let Some(arn) = resources
        .iter()
        .find(|r| r.logical_id == copilot::SERVICE_LOGICAL_ID && r.kind == "AWS::ECS::Service")
        .and_then(|r| r.physical_id.clone())
    else {
        return Ok(None);
    };
    let cluster = crate::names::arn::service_cluster(&arn).unwrap_or_default();
    Ok(aws::ecs::describe_service(&aws.ecs, &cluster, &arn)
        .await?
        .filter(|s| s.status == "ACTIVE"))
}

/// A job stack's rule: its name (the rule's physical id).
fn job_rule_of(resources: &[StackResource]) -> Option<String> {
    resources
        .iter()
        .find(|r| r.logical_id == copilot::JOB_RULE_LOGICAL_ID && r.kind == "AWS::Events::Rule")
        .and_then(|r| r.physical_id.clone())
        .filter(|id| !id.is_empty())
}

/// The stacks importing each export of `stack` that something imports.
async fn importers(
    aws: &Aws,
    stack: &Stack,
    r: &Report,
) -> Result<BTreeMap<String, Vec<String>>, Stop> {
    let reads = futures_util::future::join_all(
        stack
            .exports
            .iter()
            .map(|e| async move { (e.clone(), cfn::importers(&aws.cfn, e).await) }),
    )
    .await;
    let mut out = BTreeMap::new();
    for (export, found) in reads {
        let found = found.map_err(|e| aws_failed(r, e))?;
        if !found.is_empty() {
            out.insert(export, found);
        }
    }
    Ok(out)
}

fn imported_message(r: &Report) -> String {
    let list: Vec<String> = r
        .imported_by
        .iter()
        .map(|(export, stacks)| format!("{export} (imported by {})", stacks.join(", ")))
        .collect();
    format!(
        "the stack {} exports values other stacks import: {}. CloudFormation would refuse to delete it; nothing was changed. Remove those imports (update the importing stacks), then run adopt again",
        r.stack,
        list.join("; ")
    )
}

/// The stacks to update, by index (0: the service stack; then the nested
/// ones, in order), with their retained templates.
fn plan_edits(found: &Found, r: &Report) -> Result<Vec<(usize, String)>, Stop> {
    let mut edits = Vec::new();
    for (i, read) in std::iter::once(&found.root)
        .chain(&found.nested)
        .enumerate()
    {
        match retain_all(&read.template) {
            Ok(Some((edited, _))) => edits.push((i, edited)),
            Ok(None) => {}
            Err(why) => {
                let msg = format!(
                    "the template of {} cannot be edited safely: {why}; nothing was changed",
                    read.stack.name
                );
                return Err(stop(r.clone().end("refused", Exit::Invalid, Some(msg))));
            }
        }
    }
    Ok(edits)
}

/// The stacks and what stays behind, for the report.
fn describe(found: &Found, r: &mut Report) {
    r.resources = found.root.resources.len();
    r.stacks = std::iter::once((&found.root, "service"))
        .chain(found.nested.iter().map(|n| (n, "nested")))
        .map(|(read, role)| StackReport {
            name: read.stack.name.clone(),
            id: read.stack.id.clone(),
            role,
            resources: read.resources.len(),
        })
        .collect();
    r.left_behind = std::iter::once(&found.root)
        .chain(&found.nested)
        .flat_map(|read| {
            read.resources.iter().filter_map(|res| {
                let note = left_behind_note(&res.kind, &res.logical_id, &read.resources)?;
                Some(LeftBehind {
                    stack: read.stack.name.clone(),
                    logical_id: res.logical_id.clone(),
                    kind: res.kind.clone(),
                    physical_id: res.physical_id.clone(),
                    note,
                })
            })
        })
        .collect();
}

/// Why a retained resource needs a word once its stack is gone.
fn left_behind_note(kind: &str, logical_id: &str, all: &[StackResource]) -> Option<&'static str> {
    let scheduled = all.iter().any(|r| r.kind == "AWS::Events::Rule");
    Some(match kind {
        "AWS::CloudFormation::Stack" => {
            "stands on, every resource in it retained: its outputs stay wired into the containers; deleting it later deletes nothing"
        }
        "Custom::EnvControllerFunction" => {
            "its deletion was never sent: Copilot's environment controller still counts the service, so the environment keeps its load balancer, NAT gateways and file system"
        }
        k if k.starts_with("Custom::") || k == "AWS::CloudFormation::CustomResource" => {
            "its deletion was never sent to its function: what it made stays as it is"
        }
        "AWS::Lambda::Function" if logical_id.starts_with("BacklogPerTask") && scheduled => {
            "kept running every minute: it publishes the BacklogPerTask metric that count.queue_delay's scaling policies follow"
        }
        "AWS::Lambda::Function" => {
            "inert: only its custom resource invoked it, and nothing will again"
        }
        "AWS::Events::Rule" if logical_id == copilot::JOB_RULE_LOGICAL_ID => {
            "runs the job on, through its state machine, until `sidecarctl deploy` moves the schedule to EventBridge Scheduler between two runs and disables it"
        }
        "AWS::StepFunctions::StateMachine" => {
            "runs the job's task for the rule (its retries and timeout) until the rule is disabled; then idle"
        }
        _ => return None,
    })
}

fn planned_steps(
    found: &Found,
    edits: &[(usize, String)],
    r: &Report,
    record: &str,
) -> Vec<String> {
    let mut steps: Vec<String> = edits
        .iter()
        .map(|(i, _)| {
            let read = if *i == 0 { &found.root } else { &found.nested[i - 1] };
            format!(
                "retain the {} resources of {} (DeletionPolicy and UpdateReplacePolicy: Retain, through a change set that may change nothing else)",
                read.resources.len(),
                read.stack.name
            )
        })
        .collect();
    steps.push(format!(
        "read every template back: each of the {} stacks must retain every resource",
        1 + found.nested.len()
    ));
    let what = match &found.workload {
        Workload::Service(s) => s.arn.clone(),
        Workload::Job { rule } => format!("the job's rule {rule}"),
    };
    steps.push(format!(
        "record {what} (and the nested stacks) in {record} for later deploys"
    ));
    steps.push(format!(
        "delete the stack {}; every resource stays",
        r.stack
    ));
    for n in &found.nested {
        steps.push(format!(
            "leave the nested stack {} standing ({} resources, all retained)",
            n.stack.name,
            n.resources.len()
        ));
    }
    steps.push(match &found.workload {
        Workload::Service(s) => format!(
            "check that {} is still ACTIVE on {}",
            s.name,
            short(&s.task_definition)
        ),
        Workload::Job { rule } => format!(
            "check that the rule {rule} still runs the job (the next deploy moves it to EventBridge Scheduler between two runs, then disables the rule)"
        ),
    });
    steps
}

/// Updates one stack to `edited` through a change set, refusing anything but
/// the policies and any change to the stack since it was read.
async fn retain(
    aws: &Aws,
    read: &Read,
    edited: &str,
    opts: &Options,
    cancel: &CancellationToken,
    r: &Report,
) -> Result<(), Stop> {
    unchanged_since_read(aws, read, r).await?;
    let name = format!("sidecarctl-adopt-{}", crate::clock::now_ms());
    let id = cfn::create_change_set(&aws.cfn, &read.stack, &name, edited)
        .await
        .map_err(|e| aws_failed(r, e))?;
    let set = wait_change_set(aws, &id, opts, cancel, r).await?;
    let refuse = |msg: String| stop(r.clone().end("refused", Exit::Failure, Some(msg)));
    let problem = if set.empty() {
        Some(format!(
            "CloudFormation found nothing to change in {}, yet {} of its resources are not retained: nothing was deleted",
            read.stack.name,
            unretained(&read.template).map(|u| u.len()).unwrap_or(0)
        ))
    } else if set.status != "CREATE_COMPLETE" {
        Some(format!(
            "the change set for {} is {}: {}; nothing was deleted",
            read.stack.name,
            set.status,
            set.reason.as_deref().unwrap_or("no reason given")
        ))
    } else {
        let unexpected = unexpected_changes(&set.changes);
        (!unexpected.is_empty()).then(|| {
            format!(
                "the change set for {} would do more than retain: {}; it was not executed, nothing was deleted",
                read.stack.name,
                unexpected.join("; ")
            )
        })
    };
    if let Some(msg) = problem {
        let _ = cfn::delete_change_set(&aws.cfn, &id).await;
        return Err(refuse(msg));
    }
    let checked = match interrupted(cancel, r, "the change set was deleted; nothing was changed") {
        Ok(()) => unchanged_since_read(aws, read, r).await,
        Err(stop) => Err(stop),
    };
    if let Err(stop) = checked {
        let _ = cfn::delete_change_set(&aws.cfn, &id).await;
        return Err(stop);
    }
    cfn::execute_change_set(&aws.cfn, &id)
        .await
        .map_err(|e| aws_failed(r, e))?;
    let end = wait_stack(aws, &read.stack.id, opts, cancel, r).await?;
    if end != "UPDATE_COMPLETE" {
        let msg = format!(
            "retaining the resources of {} ended {end}: nothing was deleted",
            read.stack.name
        );
        return Err(stop(r.clone().end("failed", Exit::Failure, Some(msg))));
    }
    Ok(())
}

/// Refuses when the stack changed since it was read (a Copilot deploy in
/// between: an update from the template read would revert it).
async fn unchanged_since_read(aws: &Aws, read: &Read, r: &Report) -> Result<(), Stop> {
    let (now, template) = tokio::join!(
        cfn::stack(&aws.cfn, &read.stack.id),
        cfn::template(&aws.cfn, &read.stack.id)
    );
    let now = now.map_err(|e| aws_failed(r, e))?;
    let template = template.map_err(|e| aws_failed(r, e))?;
    let changed = match &now {
        None => Some("it is gone".to_string()),
        Some(s) if !stable(&s.status) => Some(format!("it is {}", s.status)),
        Some(s) if s.last_updated != read.stack.last_updated => Some(format!(
            "it was updated at {}",
            s.last_updated.as_deref().unwrap_or("?")
        )),
        Some(_) if template != read.template => Some("its template changed".to_string()),
        Some(_) => None,
    };
    match changed {
        None => Ok(()),
        Some(why) => {
            let msg = format!(
                "the stack {} changed since adopt read it ({why}): a deploy ran meanwhile? Nothing was deleted; run adopt again",
                read.stack.name
            );
            Err(stop(r.clone().end("refused", Exit::Busy, Some(msg))))
        }
    }
}

/// Every template, read back from CloudFormation, retains every resource.
async fn prove_retained(aws: &Aws, found: &Found, r: &Report) -> Result<(), Stop> {
    let stacks: Vec<&Stack> = std::iter::once(&found.root.stack)
        .chain(found.nested.iter().map(|n| &n.stack))
        .collect();
    let templates =
        futures_util::future::join_all(stacks.iter().map(|s| cfn::template(&aws.cfn, &s.id))).await;
    for (stack, template) in stacks.iter().zip(templates) {
        let template = template.map_err(|e| aws_failed(r, e))?;
        let left = unretained(&template).unwrap_or_else(|e| vec![e]);
        if !left.is_empty() {
            let msg = format!(
                "read back, the template of {} does not retain {}: nothing was deleted",
                stack.name,
                left.join(", ")
            );
            return Err(stop(r.clone().end("failed", Exit::Failure, Some(msg))));
        }
    }
    Ok(())
}

async fn delete(
    aws: &Aws,
    stack: &Stack,
    opts: &Options,
    cancel: &CancellationToken,
    r: &Report,
) -> Result<(), Stop> {
    cfn::delete_stack(&aws.cfn, &stack.id)
        .await
        .map_err(|e| aws_failed(r, e))?;
    let end = wait_stack(aws, &stack.id, opts, cancel, r).await?;
    if end.is_empty() || end == "DELETE_COMPLETE" {
        return Ok(());
    }
    let reason = cfn::stack(&aws.cfn, &stack.id)
        .await
        .ok()
        .flatten()
        .and_then(|s| s.reason)
        .unwrap_or_default();
    let msg = format!(
        "deleting {} ended {end} ({reason}); every resource is retained: once the cause is gone, run adopt again to finish",
        stack.name
    );
    Err(stop(r.clone().end("failed", Exit::Failure, Some(msg))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(id: &str, kind: &str) -> StackResource {
        StackResource {
            logical_id: id.into(),
            physical_id: Some(format!("{id}-1")),
            kind: kind.into(),
        }
    }

    #[test]
    fn what_stays_behind_is_said_with_why_it_matters() {
        let worker = [
            res("BacklogPerTaskCalculatorFunction", "AWS::Lambda::Function"),
            res("BacklogPerTaskScheduledRule", "AWS::Events::Rule"),
            res("EnvControllerAction", "Custom::EnvControllerFunction"),
            res("EnvControllerFunction", "AWS::Lambda::Function"),
            res("AddonsStack", "AWS::CloudFormation::Stack"),
            res("EventsQueue", "AWS::SQS::Queue"),
        ];
        let note = |i: usize| left_behind_note(&worker[i].kind, &worker[i].logical_id, &worker);
        assert!(note(0).unwrap().contains("count.queue_delay"));
        assert!(note(2).unwrap().contains("environment controller"));
        assert!(note(3).unwrap().starts_with("inert"));
        assert!(note(4).unwrap().contains("retained"));
        assert_eq!(note(5), None, "a queue needs no word: it is simply kept");
        assert_eq!(note(1), None);
    }
}
