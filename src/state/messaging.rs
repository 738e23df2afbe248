//! SNS topics, SQS queues and the subscriptions between them, as AWS holds
//! them.

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topic {
    pub arn: String,
    /// GetTopicAttributes' answer (`Policy`, `FifoTopic`, `KmsMasterKeyId`, ...).
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    pub name: String,
    pub url: String,
    pub arn: String,
    /// GetQueueAttributes' answer (`All`).
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscription {
    pub arn: String,
    pub topic_arn: String,
    /// The queue's ARN.
    pub endpoint: String,
    /// `FilterPolicy`, when it has one.
    pub filter_policy: Option<String>,
}

/// What a service's topics, queues and subscriptions are now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Messaging {
    /// By ARN: the topics the service publishes and those it subscribes to
    /// (`None`: not there).
    pub topics: BTreeMap<String, Option<Topic>>,
    /// The service's queues (by Copilot's names or sidecarctl's).
    pub queues: Vec<Queue>,
    /// The subscriptions of the subscribed topics that deliver to the
    /// service's queues.
    pub subscriptions: Vec<Subscription>,
}
