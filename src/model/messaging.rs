//! What `publish` and `subscribe` want, named as Copilot's stack names them:
//! the topics `{app}-{env}-{svc}-{name}`, a Worker Service's `EventsQueue`
//! (always, subscriptions or not) with its `DeadLetterQueue`, a
//! subscription's own `{svc}{topic}EventsQueue`, and the subscriptions that
//! join them. Queues Copilot created are found by its names (its stack's
//! `{stack}-{logical id}-{random}`); those sidecarctl creates are named
//! `{stack}-{logical id}`. Pure: a function of the manifest, the account and
//! what AWS holds.

use std::collections::BTreeMap;

use serde_json::json;

use crate::manifest::{QueueSettings, Service, ServiceType};
use crate::names::copilot;
use crate::state::messaging::{Messaging, Queue};
use crate::yaml::Pos;

/// SQS's defaults, which a queue gets back when the manifest stops setting
/// them (as CloudFormation reverts a property removed from a template).
const RETENTION_S: u32 = 345_600;
const DELAY_S: u32 = 0;
const VISIBILITY_S: u32 = 30;
/// A dead-letter queue keeps its messages 14 days (Copilot's).
const DEAD_LETTER_RETENTION_S: u32 = 1_209_600;

/// Stands for the URL of a queue a deploy is about to create.
pub const QUEUE_TO_CREATE: &str = "(the queue this deploy creates)";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedTopic {
    /// As `COPILOT_SNS_TOPIC_ARNS` keys it (`.fifo` for a FIFO topic).
    pub full_name: String,
    /// Its SNS name.
    pub name: String,
    pub arn: String,
    /// What CreateTopic sets; `Policy` and `ContentBasedDeduplication` are
    /// kept as wanted afterwards.
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedQueue {
    /// Copilot's logical id (`EventsQueue`, `DeadLetterQueue`,
    /// `{svc}{topic}EventsQueue`, ...).
    pub id: String,
    pub fifo: bool,
    /// Found in AWS (by Copilot's name or sidecarctl's), if it is there.
    pub found: Option<Queue>,
    /// Its name when it is created.
    pub name: String,
    pub arn: String,
    /// What it should hold, `Policy` and `RedrivePolicy` as JSON text.
    pub attributes: BTreeMap<String, String>,
    /// `COPILOT_TOPIC_QUEUE_URIS`'s key, for a subscription's own queue.
    pub uri_key: Option<String>,
}

impl WantedQueue {
    /// Its URL: the one found, or [`QUEUE_TO_CREATE`].
    pub fn url(&self) -> &str {
        self.found
            .as_ref()
            .map_or(QUEUE_TO_CREATE, |q| q.url.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedSubscription {
    pub topic_arn: String,
    /// The queue it delivers to (a [`WantedQueue::id`]).
    pub queue: String,
    pub filter_policy: Option<String>,
    /// Where the manifest asks for it.
    pub pos: Pos,
    pub path: String,
    /// The service and topic, as written.
    pub service: String,
    pub topic: String,
}

/// Everything `publish` and `subscribe` want of one service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub topics: Vec<WantedTopic>,
    pub queues: Vec<WantedQueue>,
    pub subscriptions: Vec<WantedSubscription>,
}

/// Where the service's resources are.
pub struct Place<'a> {
    pub app: &'a str,
    pub env: &'a str,
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
}

impl Place<'_> {
    fn topic_arn(&self, svc: &str, full_name: &str) -> String {
        let name = copilot::topic_name(self.app, self.env, svc, full_name);
        format!(
            "arn:{}:sns:{}:{}:{name}",
            self.partition, self.region, self.account
        )
    }

    fn queue_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:sqs:{}:{}:{name}",
            self.partition, self.region, self.account
        )
    }
}

/// What the manifest wants, with what AWS holds (`now`) for the queues.
pub fn wanted(svc: &Service, place: &Place, now: &Messaging) -> Wanted {
    let name = svc.name.value.as_str();
    let stack = copilot::service_stack(place.app, place.env, name);
    let topics = svc
        .publish
        .topics
        .iter()
        .map(|t| {
            let full_name = t.full_name();
            let arn = place.topic_arn(name, &full_name);
            let mut attributes = BTreeMap::from([
                ("KmsMasterKeyId".to_string(), "alias/aws/sns".to_string()),
                ("Policy".to_string(), topic_policy(place, &arn)),
            ]);
            if let Some(f) = &t.fifo {
                attributes.insert("FifoTopic".into(), "true".into());
                attributes.insert(
                    "ContentBasedDeduplication".into(),
                    f.content_based_deduplication.unwrap_or(false).to_string(),
                );
            }
            WantedTopic {
                name: copilot::topic_name(place.app, place.env, name, &full_name),
                full_name,
                arn,
                attributes,
            }
        })
        .collect();
    let mut out = Wanted {
        topics,
        ..Wanted::default()
    };
    if svc.kind.value != ServiceType::WorkerService {
        return out;
    }
    let sub = svc.subscribe.clone().unwrap_or_default();
    let events_fifo = sub.queue.fifo.is_some();
    let queue = |id: String, settings: &QueueSettings, uri_key: Option<String>| {
        queues_of(place, &stack, now, id, settings, uri_key)
    };
    out.queues
        .extend(queue("EventsQueue".into(), &sub.queue, None));
    for t in &sub.topics {
        let fifo = match &t.queue {
            None => events_fifo,
            Some(q) => q.fifo.is_some(),
        };
        let topic = if fifo {
            format!("{}.fifo", t.name.value)
        } else {
            t.name.value.clone()
        };
        let queue_id = match &t.queue {
            None => "EventsQueue".to_string(),
            Some(settings) => {
                let id = copilot::topic_queue_id(&t.service.value, &topic, false);
                let key = copilot::topic_queue_uri_key(&t.service.value, &topic);
                out.queues.extend(queue(id.clone(), settings, Some(key)));
                id
            }
        };
        out.subscriptions.push(WantedSubscription {
            topic_arn: place.topic_arn(&t.service.value, &topic),
            queue: queue_id,
            filter_policy: t.filter_policy.as_ref().map(|p| p.value.to_string()),
            pos: t.pos,
            path: t.name.path.trim_end_matches(".name").to_string(),
            service: t.service.value.clone(),
            topic,
        });
    }
    // Each queue lets SNS send from exactly the topics that deliver to it.
    for q in &mut out.queues {
        let sources: Vec<&str> = out
            .subscriptions
            .iter()
            .filter(|s| s.queue == q.id)
            .map(|s| s.topic_arn.as_str())
            .collect();
        if !sources.is_empty() {
            q.attributes
                .insert("Policy".into(), queue_policy(&q.arn, &sources));
        }
    }
    out
}

/// A queue (its dead-letter queue first, when it has one).
fn queues_of(
    place: &Place,
    stack: &str,
    now: &Messaging,
    id: String,
    s: &QueueSettings,
    uri_key: Option<String>,
) -> Vec<WantedQueue> {
    let fifo = s.fifo.is_some();
    let make = |id: String, attributes: BTreeMap<String, String>, uri_key: Option<String>| {
        let found = now
            .queues
            .iter()
            .find(|q| {
                copilot::is_service_queue(stack, &id, &q.name) && q.name.ends_with(".fifo") == fifo
            })
            .cloned();
        let name = sidecarctl_queue_name(stack, &id, fifo);
        let arn = found
            .as_ref()
            .map_or_else(|| place.queue_arn(&name), |q| q.arn.clone());
        WantedQueue {
            id,
            fifo,
            found,
            name,
            arn,
            attributes,
            uri_key,
        }
    };
    let mut out = Vec::new();
    let mut attributes = BTreeMap::from([
        (
            "MessageRetentionPeriod".to_string(),
            s.retention
                .as_ref()
                .map_or(RETENTION_S, |r| r.value)
                .to_string(),
        ),
        (
            "DelaySeconds".to_string(),
            s.delay.as_ref().map_or(DELAY_S, |d| d.value).to_string(),
        ),
        (
            "VisibilityTimeout".to_string(),
            s.timeout
                .as_ref()
                .map_or(VISIBILITY_S, |t| t.value)
                .to_string(),
        ),
    ]);
    if let Some(f) = &s.fifo {
        attributes.insert("FifoQueue".into(), "true".into());
        let high = f.high_throughput == Some(true);
        attributes.insert(
            "ContentBasedDeduplication".into(),
            f.content_based_deduplication.unwrap_or(false).to_string(),
        );
        attributes.insert(
            "DeduplicationScope".into(),
            match (high, &f.deduplication_scope) {
                (true, _) => "messageGroup".into(),
                (false, Some(s)) => s.clone(),
                (false, None) => "queue".into(),
            },
        );
        attributes.insert(
            "FifoThroughputLimit".into(),
            match (high, &f.throughput_limit) {
                (true, _) => "perMessageGroupId".into(),
                (false, Some(l)) => l.clone(),
                (false, None) => "perQueue".into(),
            },
        );
    }
    if let Some(tries) = &s.dead_letter_tries {
        let dead_id = id.replace("EventsQueue", "DeadLetterQueue");
        let mut dead_attrs = BTreeMap::from([(
            "MessageRetentionPeriod".to_string(),
            DEAD_LETTER_RETENTION_S.to_string(),
        )]);
        if fifo {
            dead_attrs.insert("FifoQueue".into(), "true".into());
        }
        let dead = make(dead_id, dead_attrs, None);
        attributes.insert(
            "RedrivePolicy".into(),
            json!({"deadLetterTargetArn": dead.arn, "maxReceiveCount": tries.value}).to_string(),
        );
        out.push(dead);
    }
    out.push(make(id, attributes, uri_key));
    out
}

/// sidecarctl's name for a queue of the service stack `stack`: Copilot's
/// without CloudFormation's random suffix, cut with a hash to SQS's 80
/// characters.
pub fn sidecarctl_queue_name(stack: &str, id: &str, fifo: bool) -> String {
    let suffix = if fifo { ".fifo" } else { "" };
    let full = format!("{stack}-{id}");
    if full.len() + suffix.len() <= 80 {
        return format!("{full}{suffix}");
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(full.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let keep = 80 - suffix.len() - 9;
    format!("{}-{hash}{suffix}", &full[..keep])
}

/// Copilot's topic policy: the account may subscribe SQS queues, nothing else.
fn topic_policy(place: &Place, topic_arn: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{}:iam::{}:root", place.partition, place.account)},
            "Action": ["sns:Subscribe"],
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"sns:Protocol": "sqs"}},
        }],
    })
    .to_string()
}

/// A queue's policy: SNS may send from exactly these topics.
fn queue_policy(queue_arn: &str, topics: &[&str]) -> String {
    let statements: Vec<serde_json::Value> = topics
        .iter()
        .map(|t| {
            json!({
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": t}},
            })
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The variables Copilot's `envvars-common.yml` gives every container:
/// `COPILOT_SNS_TOPIC_ARNS` (topic name → ARN), a Worker Service's
/// `COPILOT_QUEUE_URI`, and `COPILOT_TOPIC_QUEUE_URIS` when a subscription
/// has a queue of its own. JSON as Go's `json.Marshal` writes a map: compact,
/// keys sorted.
pub fn variables(svc: &Service, w: &Wanted) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !w.topics.is_empty() {
        let topics: BTreeMap<&str, &str> = w
            .topics
            .iter()
            .map(|t| (t.full_name.as_str(), t.arn.as_str()))
            .collect();
        out.push((
            "COPILOT_SNS_TOPIC_ARNS".to_string(),
            serde_json::to_string(&topics).unwrap_or_default(),
        ));
    }
    if svc.kind.value == ServiceType::WorkerService
        && let Some(q) = w.queues.iter().find(|q| q.id == "EventsQueue")
    {
        out.push(("COPILOT_QUEUE_URI".to_string(), q.url().to_string()));
    }
    let uris: BTreeMap<&str, &str> = w
        .queues
        .iter()
        .filter_map(|q| Some((q.uri_key.as_deref()?, q.url())))
        .collect();
    if !uris.is_empty() {
        out.push((
            "COPILOT_TOPIC_QUEUE_URIS".to_string(),
            serde_json::to_string(&uris).unwrap_or_default(),
        ));
    }
    out
}

/// What the task gets from the service's topics and queues as they are.
pub fn facts(svc: &Service, place: &Place, now: &Messaging) -> crate::render::MessagingFacts {
    let w = wanted(svc, place, now);
    crate::render::MessagingFacts {
        variables: variables(svc, &w),
        publish: w.topics.iter().map(|t| t.arn.clone()).collect(),
        receive: w.queues.iter().map(|q| q.arn.clone()).collect(),
        keys: queue_keys(&w, place),
    }
}

/// The KMS keys of the queues found that are encrypted with a key of their
/// own (Copilot's `EventsKMSKey`), as ARNs: the task role decrypts with them.
pub fn queue_keys(w: &Wanted, place: &Place) -> Vec<String> {
    let mut keys: Vec<String> = w
        .queues
        .iter()
        .filter_map(|q| q.found.as_ref()?.attributes.get("KmsMasterKeyId"))
        .filter(|k| !k.starts_with("alias/aws/"))
        .map(|k| {
            if k.starts_with("arn:") {
                k.clone()
            } else {
                format!(
                    "arn:{}:kms:{}:{}:key/{k}",
                    place.partition, place.region, place.account
                )
            }
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::service_in;

    /// Copilot's `worker-manifest.yml` (testdata), its pub/sub part.
    const WORKER: &str = r#"name: dogworker
type: Worker Service
image:
  location: amazon/ecs-example
publish:
  topics:
    - name: givesOtherdogs
    - name: mytopic
      fifo: true
    - name: mytopic
    - name: yourtopic
      fifo:
        content_based_deduplication: true
    - name: nonfifotopic
      fifo: false
subscribe:
  queue:
    delay: 1s
    dead_letter:
      tries: 5
  topics:
    - name: givesdogs
      service: dogsvc
      filter_policy:
        store:
          - example_corp
        price_usd:
          - numeric:
              - ">="
              - 100
    - name: giveshuskies
      service: dogsvc
      queue:
        timeout: 1s
    - name: mytopic
      service: mytopic
      queue:
        fifo: true
    - name: yourtopic
      service: yourtopic
      queue:
        fifo:
          content_based_deduplication: true
          high_throughput: true
    - name: nonfifotopic
      service: nonfifotopic
      queue:
        fifo: false
"#;

    fn place() -> Place<'static> {
        Place {
            app: "my-app",
            env: "test",
            partition: "aws",
            region: "us-west-2",
            account: "123456789123",
        }
    }

    #[test]
    fn the_variables_are_copilots_for_its_worker_fixture() {
        let svc = service_in(WORKER, None);
        let w = wanted(&svc, &place(), &Messaging::default());
        let vars: BTreeMap<String, String> = variables(&svc, &w).into_iter().collect();
        // worker-test.stack.yml, verbatim.
        assert_eq!(
            vars["COPILOT_SNS_TOPIC_ARNS"],
            r#"{"givesOtherdogs":"arn:aws:sns:us-west-2:123456789123:my-app-test-dogworker-givesOtherdogs","mytopic":"arn:aws:sns:us-west-2:123456789123:my-app-test-dogworker-mytopic","mytopic.fifo":"arn:aws:sns:us-west-2:123456789123:my-app-test-dogworker-mytopic.fifo","nonfifotopic":"arn:aws:sns:us-west-2:123456789123:my-app-test-dogworker-nonfifotopic","yourtopic.fifo":"arn:aws:sns:us-west-2:123456789123:my-app-test-dogworker-yourtopic.fifo"}"#
        );
        let uris: serde_json::Value =
            serde_json::from_str(&vars["COPILOT_TOPIC_QUEUE_URIS"]).unwrap();
        let keys: Vec<&str> = uris
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "dogsvcGiveshuskiesEventsQueue",
                "mytopicMytopicfifoEventsQueue",
                "nonfifotopicNonfifotopicEventsQueue",
                "yourtopicYourtopicfifoEventsQueue"
            ]
        );
        assert_eq!(vars["COPILOT_QUEUE_URI"], QUEUE_TO_CREATE);
    }

    #[test]
    fn queues_and_subscriptions_are_named_and_set_as_copilots_stack_sets_them() {
        let svc = service_in(WORKER, None);
        let w = wanted(&svc, &place(), &Messaging::default());
        let ids: Vec<&str> = w.queues.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "DeadLetterQueue",
                "EventsQueue",
                "dogsvcgiveshuskiesEventsQueue",
                "mytopicmytopicfifoEventsQueue",
                "yourtopicyourtopicfifoEventsQueue",
                "nonfifotopicnonfifotopicEventsQueue"
            ]
        );
        let events = &w.queues[1];
        assert_eq!(events.name, "my-app-test-dogworker-EventsQueue");
        assert_eq!(events.attributes["DelaySeconds"], "1");
        let redrive: serde_json::Value =
            serde_json::from_str(&events.attributes["RedrivePolicy"]).unwrap();
        assert_eq!(redrive["maxReceiveCount"], 5);
        assert_eq!(
            redrive["deadLetterTargetArn"],
            "arn:aws:sqs:us-west-2:123456789123:my-app-test-dogworker-DeadLetterQueue"
        );
        let husky = &w.queues[2];
        assert_eq!(husky.attributes["VisibilityTimeout"], "1");
        let yours = &w.queues[4];
        assert!(yours.name.ends_with(".fifo"));
        assert_eq!(yours.attributes["FifoThroughputLimit"], "perMessageGroupId");
        assert_eq!(yours.attributes["DeduplicationScope"], "messageGroup");
        // A FIFO queue subscribes to the FIFO topic of that name.
        let arns: Vec<&str> = w
            .subscriptions
            .iter()
            .map(|s| s.topic_arn.as_str())
            .collect();
        assert_eq!(
            arns[2],
            "arn:aws:sns:us-west-2:123456789123:my-app-test-mytopic-mytopic.fifo"
        );
        assert_eq!(
            w.subscriptions[0].filter_policy.as_deref(),
            Some(r#"{"price_usd":[{"numeric":[">=",100]}],"store":["example_corp"]}"#)
        );
        // The events queue lets SNS send from the topics that deliver to it.
        let policy: serde_json::Value = serde_json::from_str(&events.attributes["Policy"]).unwrap();
        assert_eq!(
            policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
            "arn:aws:sns:us-west-2:123456789123:my-app-test-dogsvc-givesdogs"
        );
    }

    #[test]
    fn copilots_queues_are_found_by_their_names() {
        let svc = service_in(WORKER, None);
        let now = Messaging {
            queues: vec![Queue {
                name: "my-app-test-dogworker-EventsQueue-1ABCDEF23456".into(),
                url: "https://sqs.us-west-2.amazonaws.com/123456789123/my-app-test-dogworker-EventsQueue-1ABCDEF23456".into(),
                arn: "arn:aws:sqs:us-west-2:123456789123:my-app-test-dogworker-EventsQueue-1ABCDEF23456".into(),
                attributes: BTreeMap::from([("KmsMasterKeyId".into(), "0a1b2c3d-1111-2222-3333-444455556666".into())]),
            }],
            ..Messaging::default()
        };
        let w = wanted(&svc, &place(), &now);
        let events = w.queues.iter().find(|q| q.id == "EventsQueue").unwrap();
        assert!(events.url().ends_with("-EventsQueue-1ABCDEF23456"));
        assert_eq!(
            queue_keys(&w, &place()),
            ["arn:aws:kms:us-west-2:123456789123:key/0a1b2c3d-1111-2222-3333-444455556666"]
        );
    }

    #[test]
    fn long_queue_names_fit_sqs() {
        let n = sidecarctl_queue_name(&"a".repeat(70), "dogsvcgiveshuskiesEventsQueue", true);
        assert_eq!(n.len(), 80);
        assert!(n.ends_with(".fifo"));
    }
}
