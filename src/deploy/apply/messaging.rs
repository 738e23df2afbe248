//! The executors of the messaging steps: topics, queue attributes and
//! subscriptions (queues are created before planning, in `foundation`).

use super::Output;
use crate::aws::{self, Aws, AwsError};
use crate::plan::{Desired, Step};

pub(super) async fn messaging_step(
    aws: &Aws,
    d: &Desired,
    step: &Step,
) -> Result<Output, AwsError> {
    let tags = d
        .messaging
        .as_ref()
        .map(|m| m.tags.as_slice())
        .unwrap_or_default();
    match step {
        Step::CreateTopic { name, attributes } => {
            aws::sns::create_topic(&aws.sns, name, attributes, tags).await?;
        }
        Step::SetTopicAttribute { arn, name, value } => {
            aws::sns::set_topic_attribute(&aws.sns, arn, name, value).await?;
        }
        Step::SetQueueAttributes { url, attributes } => {
            aws::sqs::set_attributes(&aws.sqs, url, attributes).await?;
        }
        Step::Subscribe {
            topic_arn,
            queue_arn,
            filter_policy,
        } => {
            aws::sns::subscribe(&aws.sns, topic_arn, queue_arn, filter_policy.as_deref()).await?;
        }
        Step::SetFilterPolicy {
            subscription_arn,
            policy,
        } => {
            aws::sns::set_filter_policy(&aws.sns, subscription_arn, policy).await?;
        }
        _ => unreachable!("not a messaging step"),
    }
    Ok(Output::None)
}
