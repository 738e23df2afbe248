//! `publish` and `subscribe` against the emulator's SNS and SQS: topics and
//! queues named as Copilot names them, the variables Copilot sets, the
//! subscriptions made once, a published message delivered (and one the
//! filter policy refuses not), and publishers deployed before subscribers.

use serde_json::Value;

use crate::support::{Stage, run};

const PUBLISH: &str = "
publish:
  topics:
    - name: orders
    - name: audit
      fifo: true
";

const SUBSCRIBE: &str = "
subscribe:
  queue:
    timeout: 45s
    dead_letter:
      tries: 3
  topics:
    - name: orders
      service: api
      filter_policy:
        kind: [paid]
    - name: orders
      service: billing
      queue: true
";

fn workspace(s: &Stage) {
    s.write_manifest(&format!("{}{PUBLISH}", s.manifest()));
    let worker = std::fs::read_to_string(s.ws.path().join("copilot/worker/manifest.yml")).unwrap();
    s.ws.write(
        "copilot/worker/manifest.yml",
        &format!("{worker}{SUBSCRIBE}"),
    );
    // A second publisher, with the topic the worker's own queue takes.
    let billing = worker
        .replace("name: worker", "name: billing")
        .replace("type: Worker Service", "type: Backend Service");
    s.ws.write(
        "copilot/billing/manifest.yml",
        &format!("{billing}\npublish:\n  topics:\n    - name: orders\n"),
    );
}

fn deploy_all(s: &Stage) -> (crate::support::Run, Value) {
    let r = run(s.cmd().args([
        "deploy",
        "--all",
        "--env",
        "test",
        "--image-tag",
        "v1",
        "--poll-interval",
        "50ms",
        "-o",
        "json",
    ]));
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: one JSON document\n{}\n{}", r.stdout, r.stderr));
    (r, v)
}

async fn variables(s: &Stage, svc: &str) -> serde_json::Map<String, Value> {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td = sidecarctl::aws::ecs::describe_task_definition(&ecs, &format!("{}-test-{svc}", s.app))
        .await
        .unwrap()
        .unwrap();
    td.document["containerDefinitions"][0]["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e["value"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_receives_what_the_topics_it_subscribes_to_publish() {
    let s = Stage::new("pubsub");
    workspace(&s);

    // The worker alone: the topics it subscribes to do not exist yet.
    let (r, report) = s.deploy_in_env("worker", &["--image-tag", "v1"]);
    r.assert_code(3);
    let text = report.to_string();
    assert!(
        text.contains("the topic orders of service api does not exist"),
        "{report:#}"
    );
    assert!(text.contains("subscribe.topics[0]"), "{report:#}");
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());

    // The load-balanced api first (it needs its target group when it is
    // created); then all of them: billing's topic before the worker subscribes.
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    let (r, v) = deploy_all(&s);
    r.assert_code(0);
    let outcomes: Vec<(&str, &str)> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["service"].as_str().unwrap(),
                x["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("api", "unchanged"),
            ("billing", "deployed"),
            ("worker", "deployed")
        ]
    );
    let log = s.proxy.stats()["log"].as_array().unwrap().clone();
    let at = |op: &str| {
        log.iter()
            .position(|e| e["op"] == op)
            .unwrap_or_else(|| panic!("no {op}"))
    };
    assert!(
        at("sns:CreateTopic") < at("sns:Subscribe"),
        "topics before subscriptions"
    );

    let (account, region) = ("123456789012", "us-east-1");
    let orders = format!("arn:aws:sns:{region}:{account}:{}-test-api-orders", s.app);
    let api = variables(&s, "api").await;
    let topics: Value =
        serde_json::from_str(api["COPILOT_SNS_TOPIC_ARNS"].as_str().unwrap()).unwrap();
    assert_eq!(topics["orders"], orders.as_str());
    assert_eq!(
        topics["audit.fifo"],
        format!(
            "arn:aws:sns:{region}:{account}:{}-test-api-audit.fifo",
            s.app
        )
    );
    let worker = variables(&s, "worker").await;
    let queue_url = worker["COPILOT_QUEUE_URI"].as_str().unwrap().to_string();
    assert!(
        queue_url.ends_with(&format!("{}-test-worker-EventsQueue", s.app)),
        "{queue_url}"
    );
    let own: Value =
        serde_json::from_str(worker["COPILOT_TOPIC_QUEUE_URIS"].as_str().unwrap()).unwrap();
    let billing_queue = own["billingOrdersEventsQueue"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        billing_queue.ends_with("-test-worker-billingordersEventsQueue"),
        "{own}"
    );

    // A message the filter policy takes arrives; one it refuses does not.
    let conf = s.sdk().await;
    let sns = aws_sdk_sns::Client::new(&conf);
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let attr = |v: &str| {
        aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    for (body, kind) in [("order 1 paid", "paid"), ("order 2 cancelled", "cancelled")] {
        sns.publish()
            .topic_arn(&orders)
            .message(body)
            .message_attributes("kind", attr(kind))
            .send()
            .await
            .unwrap();
    }
    let got = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let bodies: Vec<String> = got
        .messages()
        .iter()
        .map(|m| {
            let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            envelope["Message"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(bodies, ["order 1 paid"]);
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(
        attrs[&aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout],
        "45"
    );
    let redrive: Value =
        serde_json::from_str(&attrs[&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy])
            .unwrap();
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "3"
    );

    // Again: nothing to change, no subscription made twice.
    s.proxy.reset();
    let (r, v) = deploy_all(&s);
    r.assert_code(0);
    assert!(
        v["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["outcome"] == "unchanged"),
        "{v:#}"
    );
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&orders)
        .send()
        .await
        .unwrap();
    assert_eq!(subs.subscriptions().len(), 1);
}

#[test]
fn subscriptions_in_a_circle_are_refused_before_any_request() {
    let s = Stage::new("pubcircle");
    let worker = std::fs::read_to_string(s.ws.path().join("copilot/worker/manifest.yml")).unwrap();
    for (name, other) in [("worker", "other"), ("other", "worker")] {
        s.ws.write(
            &format!("copilot/{name}/manifest.yml"),
            &format!(
                "{}\npublish:\n  topics:\n    - name: t\nsubscribe:\n  topics:\n    - name: t\n      service: {other}\n",
                worker.replace("name: worker", &format!("name: {name}"))
            ),
        );
    }
    let (r, _) = deploy_all(&s);
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("subscribe to each other's topics in a circle"),
        "{}",
        r.stderr
    );
    assert!(s.proxy.counts().is_empty(), "{:?}", s.proxy.counts());
}
