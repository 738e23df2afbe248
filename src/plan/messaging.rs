//! The plan's part for `publish` and `subscribe`: topics created or set as
//! wanted, queues' attributes brought to what the manifest says, and the
//! subscriptions that are missing made (none twice). Queues themselves are
//! created before planning (their URLs go into the task definition: see
//! [`queues_to_create`]). Nothing is deleted: a topic or queue the manifest
//! no longer names stays, as do its messages.

use std::collections::BTreeMap;

use super::{Groups, Step};
use crate::model::messaging::{Wanted, WantedQueue};
use crate::state::messaging::Messaging;

/// The messaging part of the desired state.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredMessaging {
    pub wanted: Wanted,
    pub now: Messaging,
    /// Copilot's tags, for new topics and queues.
    pub tags: Vec<(String, String)>,
}

/// The queue attributes a deploy keeps as the manifest says (the others,
/// such as encryption, are set when the queue is created and left alone).
const KEPT: [&str; 8] = [
    "MessageRetentionPeriod",
    "DelaySeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "Policy",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// Whether two attribute values say the same: JSON compared as data.
fn same_value(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The queues not there yet, dead-letter queues before those that send to them.
pub fn queues_to_create(w: &Wanted) -> Vec<&WantedQueue> {
    w.queues.iter().filter(|q| q.found.is_none()).collect()
}

pub fn plan_messaging(m: &DesiredMessaging, g: &mut Groups) {
    for t in &m.wanted.topics {
        match m.now.topics.get(&t.arn).and_then(Option::as_ref) {
            None => g.first.push(Step::CreateTopic {
                name: t.name.clone(),
                attributes: t.attributes.clone(),
            }),
            Some(have) => {
                for key in ["Policy", "ContentBasedDeduplication"] {
                    let Some(want) = t.attributes.get(key) else {
                        continue;
                    };
                    if !have
                        .attributes
                        .get(key)
                        .is_some_and(|h| same_value(h, want))
                    {
                        g.first.push(Step::SetTopicAttribute {
                            arn: t.arn.clone(),
                            name: key.to_string(),
                            value: want.clone(),
                        });
                    }
                }
            }
        }
    }
    for q in &m.wanted.queues {
        let Some(found) = &q.found else { continue };
        let changed: BTreeMap<String, String> = q
            .attributes
            .iter()
            .filter(|(k, _)| KEPT.contains(&k.as_str()))
            .filter(|(k, v)| !found.attributes.get(*k).is_some_and(|h| same_value(h, v)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changed.is_empty() {
            g.first.push(Step::SetQueueAttributes {
                url: found.url.clone(),
                attributes: changed,
            });
        }
    }
    for s in &m.wanted.subscriptions {
        let Some(queue) = m.wanted.queues.iter().find(|q| q.id == s.queue) else {
            continue;
        };
        let existing = m
            .now
            .subscriptions
            .iter()
            .find(|e| e.topic_arn == s.topic_arn && e.endpoint == queue.arn);
        match existing {
            None => g.second.push(Step::Subscribe {
                topic_arn: s.topic_arn.clone(),
                queue_arn: queue.arn.clone(),
                filter_policy: s.filter_policy.clone(),
            }),
            Some(e) => {
                let same = match (&e.filter_policy, &s.filter_policy) {
                    (None, None) => true,
                    (Some(a), Some(b)) => same_value(a, b),
                    _ => false,
                };
                if !same {
                    g.second.push(Step::SetFilterPolicy {
                        subscription_arn: e.arn.clone(),
                        policy: s.filter_policy.clone().unwrap_or_else(|| "{}".into()),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::messaging::{Place, wanted};
    use crate::state::messaging::{Queue, Subscription, Topic};
    use crate::validate::testing::service_in;

    const WORKER: &str = "name: worker\ntype: Worker Service\nimage:\n  location: app:1\npublish:\n  topics:\n    - name: done\nsubscribe:\n  queue:\n    timeout: 45s\n  topics:\n    - name: orders\n      service: api\n      filter_policy:\n        kind: [paid]\n";

    fn place() -> Place<'static> {
        Place {
            app: "demo",
            env: "test",
            partition: "aws",
            region: "us-east-1",
            account: "123456789012",
        }
    }

    fn planned(now: &Messaging) -> Vec<Step> {
        let svc = service_in(WORKER, None);
        let m = DesiredMessaging {
            wanted: wanted(&svc, &place(), now),
            now: now.clone(),
            tags: Vec::new(),
        };
        let mut g = Groups::default();
        plan_messaging(&m, &mut g);
        g.first.into_iter().chain(g.second).collect()
    }

    const ORDERS: &str = "arn:aws:sns:us-east-1:123456789012:demo-test-api-orders";
    const DONE: &str = "arn:aws:sns:us-east-1:123456789012:demo-test-worker-done";
    const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:demo-test-worker-EventsQueue";

    /// What a first deploy leaves: the topic, the queue as wanted, the subscription.
    fn deployed() -> Messaging {
        let svc = service_in(WORKER, None);
        let first = wanted(&svc, &place(), &Messaging::default());
        let q = &first.queues[0];
        let mut attributes = q.attributes.clone();
        attributes.insert("SqsManagedSseEnabled".into(), "true".into());
        let topic = |arn: &str, attrs: BTreeMap<String, String>| {
            (
                arn.to_string(),
                Some(Topic {
                    arn: arn.to_string(),
                    attributes: attrs,
                }),
            )
        };
        Messaging {
            topics: BTreeMap::from([
                topic(ORDERS, BTreeMap::new()),
                topic(DONE, first.topics[0].attributes.clone()),
            ]),
            queues: vec![Queue {
                name: q.name.clone(),
                url: "http://sqs/123456789012/demo-test-worker-EventsQueue".into(),
                arn: QUEUE.into(),
                attributes,
            }],
            subscriptions: vec![Subscription {
                arn: format!("{ORDERS}:1"),
                topic_arn: ORDERS.into(),
                endpoint: QUEUE.into(),
                filter_policy: Some("{\"kind\": [\"paid\"]}".into()),
            }],
        }
    }

    #[test]
    fn a_first_deploy_creates_the_topic_and_subscribes() {
        let mut now = Messaging::default();
        now.topics.insert(ORDERS.into(), Some(Topic::default()));
        let steps = planned(&now);
        assert!(
            matches!(&steps[0], Step::CreateTopic { name, .. } if name == "demo-test-worker-done")
        );
        assert!(
            matches!(&steps[1], Step::Subscribe { topic_arn, queue_arn, filter_policy }
            if topic_arn == ORDERS && queue_arn == QUEUE && filter_policy.as_deref() == Some("{\"kind\":[\"paid\"]}"))
        );
        assert_eq!(steps.len(), 2);
    }

    #[test]
    fn what_is_as_wanted_plans_nothing_and_a_change_only_itself() {
        assert!(
            planned(&deployed()).is_empty(),
            "{:?}",
            planned(&deployed())
        );
        let mut now = deployed();
        now.queues[0]
            .attributes
            .insert("VisibilityTimeout".into(), "30".into());
        now.subscriptions[0].filter_policy = None;
        let steps = planned(&now);
        assert_eq!(
            steps,
            [
                Step::SetQueueAttributes {
                    url: now.queues[0].url.clone(),
                    attributes: BTreeMap::from([("VisibilityTimeout".into(), "45".into())]),
                },
                Step::SetFilterPolicy {
                    subscription_arn: format!("{ORDERS}:1"),
                    policy: "{\"kind\":[\"paid\"]}".into(),
                }
            ]
        );
    }
}
