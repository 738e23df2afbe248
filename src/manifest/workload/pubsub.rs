//! `publish` and `subscribe`, read as Copilot reads them: a queue or FIFO
//! setting given as `true` or as its settings; durations as Go durations.
//! What SQS would refuse (a retention outside a minute to 14 days, a delay
//! over 15 minutes, a visibility timeout over 12 hours, more than 1,000
//! tries) is an error here, at its place.

use crate::manifest::decode::{Decoder, index, join};
use crate::manifest::types::*;
use crate::yaml::{Node, Value, to_json};

pub(super) fn decode_publish(d: &mut Decoder, n: &Node) -> Publish {
    let mut out = Publish::default();
    let Some(mut f) = d.fields(n, "publish") else {
        return out;
    };
    if let Some(topics) = f.take("topics") {
        let Value::Seq(items) = &topics.value else {
            d.wrong_type(topics, "publish.topics", "a list of topics");
            f.finish(d, &[]);
            return out;
        };
        for (i, item) in items.iter().enumerate() {
            let path = index("publish.topics", i);
            let Some(mut tf) = d.fields(item, &path) else {
                continue;
            };
            let name = topic_name(d, tf.take("name"), item, &path);
            let fifo = tf
                .take("fifo")
                .and_then(|n| fifo_topic(d, n, &join(&path, "fifo")));
            tf.finish(d, &[]);
            if let Some(name) = name {
                out.topics.push(PublishedTopic { name, fifo });
            }
        }
    }
    f.finish(d, &[]);
    out
}

/// A topic's name: required, letters, digits, `_` and `-` (SNS's rule).
fn topic_name(
    d: &mut Decoder,
    n: Option<&Node>,
    item: &Node,
    path: &str,
) -> Option<crate::manifest::At<String>> {
    let Some(n) = n else {
        d.error(
            "missing-field",
            "\"name\" must be specified",
            item.pos,
            &join(path, "name"),
        );
        return None;
    };
    let name = d.string(n, &join(path, "name"))?;
    let ok = !name.value.is_empty()
        && name
            .value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        d.error(
            "bad-topic-name",
            "\"name\" can only contain letters, numbers, underscores, and hyphens",
            n.pos,
            &join(path, "name"),
        );
        return None;
    }
    Some(name)
}

fn fifo_topic(d: &mut Decoder, n: &Node, path: &str) -> Option<FifoTopic> {
    if let Value::Bool(b) = n.value {
        return b.then(FifoTopic::default);
    }
    let mut f = d.fields(n, path)?;
    let cbd = f
        .take("content_based_deduplication")
        .and_then(|n| d.boolean(n, &join(path, "content_based_deduplication")));
    f.finish(d, &[]);
    Some(FifoTopic {
        content_based_deduplication: cbd.map(|b| b.value),
    })
}

pub(super) fn decode_subscribe(d: &mut Decoder, n: &Node) -> Subscribe {
    let mut out = Subscribe::default();
    let Some(mut f) = d.fields(n, "subscribe") else {
        return out;
    };
    if let Some(q) = f.take("queue") {
        out.queue = queue_settings(d, q, "subscribe.queue").unwrap_or_default();
    }
    if let Some(topics) = f.take("topics") {
        match &topics.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(t) = subscription(d, item, &index("subscribe.topics", i)) {
                        out.topics.push(t);
                    }
                }
            }
            _ => d.wrong_type(topics, "subscribe.topics", "a list of topics"),
        }
    }
    f.finish(d, &[]);
    out
}

fn subscription(d: &mut Decoder, item: &Node, path: &str) -> Option<TopicSubscription> {
    let mut f = d.fields(item, path)?;
    let name = topic_name(d, f.take("name"), item, path);
    let service = match f.take("service") {
        Some(n) => d.string(n, &join(path, "service")),
        None => {
            d.error(
                "missing-field",
                "\"service\" must be specified",
                item.pos,
                &join(path, "service"),
            );
            None
        }
    };
    if let Some(s) = &service
        && !service_name_ok(&s.value)
    {
        d.error(
            "bad-service-name",
            "service name must start with a letter, contain only lower-case letters, numbers, and hyphens, and have no consecutive or trailing hyphen",
            s.pos,
            &s.path,
        );
    }
    let filter_policy = f.take("filter_policy").and_then(|n| match &n.value {
        Value::Map(m) if !m.is_empty() => {
            Some(d.at(to_json(n), n.pos, &join(path, "filter_policy")))
        }
        Value::Map(_) | Value::Null => None,
        _ => {
            d.wrong_type(n, &join(path, "filter_policy"), "a map");
            None
        }
    });
    let queue = f.take("queue").and_then(|n| match n.value {
        Value::Bool(true) => Some(QueueSettings::default()),
        Value::Bool(false) => None,
        _ => queue_settings(d, n, &join(path, "queue")),
    });
    f.finish(d, &[]);
    Some(TopicSubscription {
        pos: item.pos,
        name: name?,
        service: service?,
        filter_policy,
        queue,
    })
}

/// Copilot's rule for the service a subscription names.
fn service_name_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !s.contains("--")
        && !s.ends_with('-')
}

fn queue_settings(d: &mut Decoder, n: &Node, path: &str) -> Option<QueueSettings> {
    let mut f = d.fields(n, path)?;
    let mut q = QueueSettings::default();
    let mut seconds = |d: &mut Decoder, key: &str, min: u32, max: u32, what: &str| {
        let node = f.take(key)?;
        let v = d.duration_secs(node, &join(path, key))?;
        if v.value < min || v.value > max {
            d.error(
                "out-of-range",
                format!(
                    "SQS takes a {what} from {min}s to {max}s; this is {}s",
                    v.value
                ),
                node.pos,
                &join(path, key),
            );
            return None;
        }
        Some(v)
    };
    q.retention = seconds(d, "retention", 60, 1_209_600, "retention");
    q.delay = seconds(d, "delay", 0, 900, "delay");
    q.timeout = seconds(d, "timeout", 0, 43_200, "visibility timeout");
    if let Some(dl) = f.take("dead_letter") {
        let p = join(path, "dead_letter");
        if let Some(mut df) = d.fields(dl, &p) {
            q.dead_letter_tries = df
                .take("tries")
                .and_then(|t| d.int(t, &join(&p, "tries"), 1, 1000));
            df.finish(d, &[]);
        }
    }
    q.fifo = f
        .take("fifo")
        .and_then(|n| fifo_queue(d, n, &join(path, "fifo")));
    f.finish(d, &[]);
    Some(q)
}

fn fifo_queue(d: &mut Decoder, n: &Node, path: &str) -> Option<FifoQueue> {
    if let Value::Bool(b) = n.value {
        return b.then(FifoQueue::default);
    }
    let mut f = d.fields(n, path)?;
    let cbd = f
        .take("content_based_deduplication")
        .and_then(|n| d.boolean(n, &join(path, "content_based_deduplication")))
        .map(|b| b.value);
    let scope = f.take("deduplication_scope").and_then(|n| {
        one_of(
            d,
            n,
            &join(path, "deduplication_scope"),
            &["messageGroup", "queue"],
        )
    });
    let limit = f.take("throughput_limit").and_then(|n| {
        one_of(
            d,
            n,
            &join(path, "throughput_limit"),
            &["perMessageGroupId", "perQueue"],
        )
    });
    let high = f
        .take("high_throughput")
        .and_then(|n| d.boolean(n, &join(path, "high_throughput")));
    f.finish(d, &[]);
    if let Some(h) = &high {
        for (other, given) in [
            ("throughput_limit", limit.is_some()),
            ("deduplication_scope", scope.is_some()),
        ] {
            if given {
                d.error(
                    "mutually-exclusive",
                    format!("must specify one, not both, of \"high_throughput\" and \"{other}\""),
                    h.pos,
                    &h.path,
                );
            }
        }
    }
    if limit.as_deref() == Some("perMessageGroupId") && scope.as_deref() == Some("queue") {
        d.error(
            "fifo-throughput",
            "\"throughput_limit\" must be set to \"perQueue\" when \"deduplication_scope\" is set to \"queue\"",
            n.pos,
            path,
        );
    }
    Some(FifoQueue {
        content_based_deduplication: cbd,
        deduplication_scope: scope,
        throughput_limit: limit,
        high_throughput: high.map(|h| h.value),
    })
}

fn one_of(d: &mut Decoder, n: &Node, path: &str, values: &[&str]) -> Option<String> {
    let s = d.string(n, path)?;
    if values.contains(&s.value.as_str()) {
        return Some(s.value);
    }
    d.error(
        "bad-value",
        format!("{} must be one of {}", s.value, values.join(" or ")),
        n.pos,
        path,
    );
    None
}
