//! The add-ons stack, laid before planning (its outputs go into the task):
//! a change set, read before it runs — it must delete and replace nothing
//! unless `--allow-addons-replacement` says so —, executed and waited for.
//! A stack as wanted (its hash tag) is not touched: a deploy that changes
//! only the image never waits on CloudFormation.

use std::time::Instant;

use super::Deploy;
use crate::aws::{AwsError, ErrorKind, cfn};
use crate::model::{ADDONS_HASH_TAG, ManagedAddons};
use crate::state::stack::{ChangeSet, Stack};

/// Why the add-ons stack could not be brought to what is wanted.
pub enum Refused {
    Aws(AwsError),
    /// The change set would delete or replace these resources.
    Loses(Vec<String>),
    /// CloudFormation failed it: the stack's status and reason.
    Failed(String),
}

impl From<AwsError> for Refused {
    fn from(e: AwsError) -> Self {
        Refused::Aws(e)
    }
}

/// What laying the add-ons stack does, for people.
pub fn describe(m: &ManagedAddons) -> Option<String> {
    if m.up_to_date() {
        return None;
    }
    Some(match &m.now {
        Some(s) if !holds_nothing(s) => format!("update add-ons stack {}", s.name),
        _ => format!("create add-ons stack {}", m.stack),
    })
}

/// Brings the stack to what is wanted; the stack as it then is.
pub async fn lay(d: &mut Deploy<'_>, m: &ManagedAddons) -> Result<Stack, Refused> {
    let cf = &d.aws.cfn;
    let mut now = m.now.clone();
    // A first creation that failed and rolled back holds nothing (what it
    // made is deleted, or retained by its own policy): it goes, as
    // CloudFormation requires before the stack is created again.
    if let Some(s) = now.as_ref().filter(|s| s.status == "ROLLBACK_COMPLETE") {
        cfn::delete_stack(cf, &s.id).await?;
        let deadline = Instant::now() + d.opts.timeout;
        while cfn::stack(cf, &s.id).await?.is_some() {
            if Instant::now() >= deadline {
                return Err(Refused::Failed(format!(
                    "the rolled-back stack {} was still being deleted after {:?}",
                    s.name, d.opts.timeout
                )));
            }
            tokio::time::sleep(d.opts.poll).await;
        }
        now = None;
    }
    let tags = tags(d, m);
    let name = format!("sidecarctl-{}", &m.want.hash[..12]);
    let change = cfn::StackChange {
        stack: &m.stack,
        name: &name,
        create: now.as_ref().is_none_or(holds_nothing),
        template: &m.want.template,
        parameters: &m.want.parameters,
        previous: now
            .as_ref()
            .map(|s| s.parameters.as_slice())
            .unwrap_or_default(),
        tags: &tags,
    };
    let id = cfn::create_stack_change_set(cf, &change).await?;
    let set = wait_change_set(d, &id).await?;
    if set.empty() {
        // Nothing to change but the record that it is as wanted.
        cfn::delete_change_set(cf, &id).await?;
        let s = now.expect("an empty change set updates a stack");
        cfn::retag_stack(cf, &s.id, &s.parameters, &tags).await?;
        return wait(d, &s.id).await;
    }
    if set.status != "CREATE_COMPLETE" {
        let _ = cfn::delete_change_set(cf, &id).await;
        return Err(Refused::Failed(format!(
            "the change set {} is {}: {}",
            name,
            set.status,
            set.reason.unwrap_or_default()
        )));
    }
    let loses = set.losses();
    if !loses.is_empty() && !d.opts.allow_addons_replacement {
        let _ = cfn::delete_change_set(cf, &id).await;
        return Err(Refused::Loses(loses));
    }
    let started = Instant::now();
    match cfn::execute_change_set(cf, &id).await {
        Ok(()) => {}
        // A retried request whose first attempt went through: the change set
        // is executing or executed; the stack says how it went.
        Err(e)
            if e.code
                .as_deref()
                .is_some_and(|c| c.contains("InvalidChangeSetStatus")) => {}
        Err(e) => return Err(e.into()),
    }
    let stack = wait(d, &m.stack).await?;
    d.progress.step_done(
        &format!(
            "{} add-ons stack {}",
            if change.create { "create" } else { "update" },
            m.stack
        ),
        started.elapsed(),
    );
    Ok(stack)
}

/// A stack a change set created and nothing carried out yet: a change set of
/// type CREATE applies to it.
fn holds_nothing(s: &Stack) -> bool {
    matches!(
        s.status.as_str(),
        "REVIEW_IN_PROGRESS" | "ROLLBACK_COMPLETE"
    )
}

/// Copilot's tags, sidecarctl's, and the hash that says the stack is as wanted.
fn tags(d: &Deploy<'_>, m: &ManagedAddons) -> Vec<(String, String)> {
    let mut t = crate::plan::desired::tags(d.target.app, d.target.env, &d.target.svc.name);
    t.push((ADDONS_HASH_TAG.to_string(), m.want.hash.clone()));
    t
}

async fn wait_change_set(d: &Deploy<'_>, id: &str) -> Result<ChangeSet, Refused> {
    let deadline = Instant::now() + d.opts.timeout;
    loop {
        let set = cfn::change_set(&d.aws.cfn, id).await?;
        if !matches!(set.status.as_str(), "CREATE_PENDING" | "CREATE_IN_PROGRESS") {
            return Ok(set);
        }
        if Instant::now() >= deadline || d.cancel.is_cancelled() {
            let _ = cfn::delete_change_set(&d.aws.cfn, id).await;
            return Err(Refused::Failed(format!(
                "the change set was still {}; it was deleted",
                set.status
            )));
        }
        tokio::time::sleep(d.opts.poll.min(std::time::Duration::from_secs(2))).await;
    }
}

/// Waits until CloudFormation is done with the stack: complete, or why not.
async fn wait(d: &Deploy<'_>, stack: &str) -> Result<Stack, Refused> {
    let deadline = Instant::now() + d.opts.timeout;
    loop {
        let s = cfn::stack(&d.aws.cfn, stack).await?;
        let Some(s) = s else {
            // Deleted (a rolled-back first creation, removed).
            return Err(Refused::Aws(AwsError::new(
                "cloudformation:DescribeStacks",
                ErrorKind::NotFound,
                format!("the stack {stack} is gone"),
            )));
        };
        match s.status.as_str() {
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" => return Ok(s),
            st if st.ends_with("_IN_PROGRESS") => {}
            st => {
                return Err(Refused::Failed(format!(
                    "the add-ons stack {} is {st}: {}",
                    s.name,
                    s.reason.unwrap_or_default()
                )));
            }
        }
        if Instant::now() >= deadline {
            return Err(Refused::Failed(format!(
                "the add-ons stack {} is still {} after {:?}",
                s.name, s.status, d.opts.timeout
            )));
        }
        tokio::time::sleep(d.opts.poll).await;
    }
}
