//! What a deploy lays before it plans: what does not exist yet and whose
//! identifier the task definition or its role holds — an `efs: true`
//! volume's access point, a Worker Service's queues (their URLs). Each is
//! created, and the facts are taken again with what was made; a dry run says
//! what would be laid and shows placeholders in its place.

use std::time::Instant;

use super::{Deploy, Resolved};
use crate::aws;
use crate::model::messaging::WantedQueue;
use crate::plan::Desired;
use crate::plan::messaging::queues_to_create;
use crate::state::messaging::Queue;

/// An add-ons refusal, said as the error that stops the deploy.
fn refusal(r: super::addons::Refused) -> aws::AwsError {
    use super::addons::Refused;
    match r {
        Refused::Aws(e) => e,
        Refused::Loses(l) => aws::AwsError::new(
            "cloudformation:ExecuteChangeSet",
            aws::ErrorKind::Invalid,
            format!(
                "not run: the add-ons change set would lose what is stored: {}; it was deleted (deploy with --allow-addons-replacement to carry such a change out)",
                l.join(", ")
            ),
        ),
        Refused::Failed(why) => aws::AwsError::new(
            "cloudformation:ExecuteChangeSet",
            aws::ErrorKind::Other,
            why,
        ),
    }
}

/// What this deploy lays first, described for people.
pub fn described(resolved: &Resolved, desired: &Desired) -> Vec<String> {
    let access_point = resolved.create_access_point.as_ref().map(|(fs, want)| {
        format!(
            "create EFS access point {} on {fs} (uid {}, gid {})",
            want.root, want.uid, want.gid
        )
    });
    let addons = resolved.addons.as_ref().and_then(super::addons::describe);
    addons
        .into_iter()
        .chain(access_point)
        .chain(
            queues(desired)
                .into_iter()
                .map(|q| format!("create queue {}", q.name)),
        )
        .collect()
}

fn queues(desired: &Desired) -> Vec<&WantedQueue> {
    desired
        .messaging
        .as_ref()
        .map(|m| queues_to_create(&m.wanted))
        .unwrap_or_default()
}

/// Lays what [`described`] lists, in order; the facts with what was made, and
/// a line per thing done. An error stops it: what was laid before stays (a
/// queue or access point that exists is found, not made again, next time).
pub async fn lay(
    d: &mut Deploy<'_>,
    resolved: &Resolved,
    desired: &Desired,
) -> Result<(Resolved, Vec<String>), (Vec<String>, aws::AwsError)> {
    let mut done = Vec::new();
    let mut now = resolved.clone();
    if let Some(m) = resolved.addons.as_ref().filter(|m| !m.up_to_date()) {
        let text = super::addons::describe(m).unwrap_or_default();
        let stack = super::addons::lay(d, m)
            .await
            .map_err(|r| (done.clone(), refusal(r)))?;
        now = now.with_addons(stack).map_err(|p| {
            (
                done.clone(),
                aws::AwsError::new(
                    "cloudformation:DescribeStacks",
                    aws::ErrorKind::Invalid,
                    p.join("; "),
                ),
            )
        })?;
        done.push(text);
    }
    if let Some((fs, want)) = &resolved.create_access_point {
        let started = Instant::now();
        let tags = crate::plan::desired::tags(d.target.app, d.target.env, &d.target.svc.name);
        match aws::efs::create_managed_access_point(&d.aws.efs, fs, want, &tags).await {
            Ok(id) => {
                let text = format!("create EFS access point {id} ({} on {fs})", want.root);
                d.progress.step_done(&text, started.elapsed());
                done.push(text);
                now = now.with_access_point(&id);
            }
            Err(e) => return Err((done, e)),
        }
    }
    let wanted = queues(desired);
    if wanted.is_empty() {
        return Ok((now, done));
    }
    let tags = desired
        .messaging
        .as_ref()
        .map(|m| m.tags.clone())
        .unwrap_or_default();
    let mut made = Vec::new();
    for q in wanted {
        let started = Instant::now();
        let mut attributes = q.attributes.clone();
        attributes.insert("SqsManagedSseEnabled".into(), "true".into());
        match aws::sqs::create_queue(&d.aws.sqs, &q.name, &attributes, &tags).await {
            Ok(url) => {
                let text = format!("create queue {}", q.name);
                d.progress.step_done(&text, started.elapsed());
                done.push(text);
                made.push(Queue {
                    name: q.name.clone(),
                    url,
                    arn: q.arn.clone(),
                    attributes,
                });
            }
            Err(e) => return Err((done, e)),
        }
    }
    Ok((
        now.with_queues(d.target.svc, d.target.app, d.target.env, made),
        done,
    ))
}
