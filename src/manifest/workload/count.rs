//! `count`: the service's task count, Fargate Spot, and autoscaling.

use crate::manifest::decode::{At, Decoder, Fields, join};
use crate::manifest::types::*;
use crate::yaml::{Node, Value};

pub(super) fn decode_count(d: &mut Decoder, n: &Node) -> Option<At<Count>> {
    if !matches!(n.value, Value::Int(_) | Value::Map(_)) {
        d.error_help(
            "wrong-type",
            format!(
                "expected a number of tasks or an autoscaling map, found {}",
                n.kind()
            ),
            "for example count: 2, or count: { range: 1-10 }",
            n.pos,
            "count",
        );
        return None;
    }
    if let Value::Int(_) = n.value {
        let c = d.int(n, "count", 0, 10_000)?;
        return Some(d.at(
            Count {
                desired: c.value,
                autoscaling: false,
                spot: None,
                spot_from: None,
                max: None,
                cpu: None,
                memory: None,
                requests: None,
                response_time: None,
                queue_delay: None,
            },
            n.pos,
            "count",
        ));
    }
    let mut f = d.fields(n, "count")?;
    let mut desired = None;
    let ranged = f.has("range") || f.has("spot");
    let autoscaling = f.has("range");
    let (mut spot_from, mut max) = (None, None);
    if let Some(r) = f.take("range") {
        (desired, max, spot_from) = match decode_range(d, r) {
            Some((min, most, from)) => (Some(min), Some(most), from),
            None => (None, None, None),
        };
    }
    let general = f
        .take("cooldown")
        .map(|c| decode_cooldown(d, c, "count.cooldown"))
        .unwrap_or_default();
    let cpu = f
        .take("cpu_percentage")
        .and_then(|n| decode_scale_on(d, n, "count.cpu_percentage", general));
    let memory = f
        .take("memory_percentage")
        .and_then(|n| decode_scale_on(d, n, "count.memory_percentage", general));
    let requests = f.take("requests").and_then(|n| {
        decode_scale_on_with(d, n, "count.requests", general, |d, v, p| {
            d.int(v, p, 1, 1_000_000).map(|v| v.value)
        })
    });
    let response_time = f
        .take("response_time")
        .and_then(|n| decode_scale_on_with(d, n, "count.response_time", general, duration_ms));
    let queue_delay = f
        .take("queue_delay")
        .and_then(|n| decode_queue_delay(d, n, general));
    let mut spot = None;
    if let Some(s) = f.take("spot")
        && let Some(v) = d.int(s, "count.spot", 0, 10_000)
    {
        spot = Some(v.value);
        desired = desired.or(Some(v.value));
    }
    f.finish(d, &[]);
    match desired {
        // As Copilot: `spot` alone is a fixed count on Fargate Spot; a
        // `range` is autoscaling.
        Some(desired) => Some(d.at(
            Count {
                desired,
                autoscaling,
                spot,
                spot_from,
                max,
                cpu,
                memory,
                requests,
                response_time,
                queue_delay,
            },
            n.pos,
            "count",
        )),
        None if ranged => None,
        None => {
            d.error_help(
                "missing-field",
                "autoscaling \"count\" needs a \"range\" (or \"spot\")",
                "for example: count: { range: 1-10, cpu_percentage: 70 }",
                n.pos,
                "count",
            );
            None
        }
    }
}

/// `queue_delay: {acceptable_latency, msg_processing_time, cooldown}`: the
/// acceptable backlog per task, as Copilot's `AcceptableBacklogPerTask`
/// computes it.
pub(super) fn decode_queue_delay(
    d: &mut Decoder,
    n: &Node,
    general: (Option<u32>, Option<u32>),
) -> Option<At<ScaleOn>> {
    const PATH: &str = "count.queue_delay";
    let mut f = d.fields(n, PATH)?;
    let required = |f: &mut Fields, d: &mut Decoder, key: &str| {
        let path = join(PATH, key);
        match f.take(key) {
            Some(v) => duration_ms(d, v, &path).map(|ms| (ms, v.pos, path)),
            None => {
                d.error(
                    "missing-field",
                    format!("\"{key}\" must be specified"),
                    n.pos,
                    &path,
                );
                None
            }
        }
    };
    let latency = required(&mut f, d, "acceptable_latency");
    let processing = required(&mut f, d, "msg_processing_time");
    let (scale_in_s, scale_out_s) = f
        .take("cooldown")
        .map(|c| decode_cooldown(d, c, &join(PATH, "cooldown")))
        .map_or(general, |(i, o)| (i.or(general.0), o.or(general.1)));
    f.finish(d, &[]);
    let ((latency, _, _), (processing, pos, path)) = (latency?, processing?);
    if latency < processing {
        d.error(
            "out-of-range",
            "\"acceptable_latency\" cannot be shorter than \"msg_processing_time\"",
            pos,
            &path,
        );
        return None;
    }
    let backlog = (latency + processing - 1) / processing;
    Some(d.at(
        ScaleOn {
            target: backlog,
            scale_in_s,
            scale_out_s,
        },
        n.pos,
        PATH,
    ))
}

/// `cooldown: {in: 30s, out: 10s}`: scale-in and scale-out seconds.
pub(super) fn decode_cooldown(d: &mut Decoder, n: &Node, path: &str) -> (Option<u32>, Option<u32>) {
    let Some(mut f) = d.fields(n, path) else {
        return (None, None);
    };
    let scale_in = f
        .take("in")
        .and_then(|v| d.duration_secs(v, &join(path, "in")))
        .map(|s| s.value);
    let scale_out = f
        .take("out")
        .and_then(|v| d.duration_secs(v, &join(path, "out")))
        .map(|s| s.value);
    f.finish(d, &[]);
    (scale_in, scale_out)
}

/// `cpu_percentage: 70`, or `{value: 70, cooldown: {in, out}}` (Copilot's
/// `ScalingConfigOrT`); its own cooldown wins over `count.cooldown`.
pub(super) fn decode_scale_on(
    d: &mut Decoder,
    n: &Node,
    path: &str,
    general: (Option<u32>, Option<u32>),
) -> Option<ScaleOn> {
    decode_scale_on_with(d, n, path, general, |d, v, p| {
        d.int(v, p, 1, 100).map(|v| v.value)
    })
}

/// A duration such as `500ms` or `2s`, in milliseconds.
pub(super) fn duration_ms(d: &mut Decoder, n: &Node, path: &str) -> Option<i64> {
    let text = d.string(n, path)?;
    match crate::clock::parse_go_duration(&text.value) {
        Some(ms) if ms > 0 => i64::try_from(ms).ok(),
        _ => {
            d.error_help(
                "bad-duration",
                format!("{:?} is not a duration", text.value),
                "write it as 500ms, 2s or 1m",
                n.pos,
                path,
            );
            None
        }
    }
}

/// A target-tracking setting whose value `read` decodes.
pub(super) fn decode_scale_on_with(
    d: &mut Decoder,
    n: &Node,
    path: &str,
    general: (Option<u32>, Option<u32>),
    read: impl Fn(&mut Decoder, &Node, &str) -> Option<i64>,
) -> Option<ScaleOn> {
    let (value, own) = if let Value::Map(_) = n.value {
        let mut f = d.fields(n, path)?;
        let value = f
            .take("value")
            .and_then(|v| read(d, v, &join(path, "value")));
        let own = f
            .take("cooldown")
            .map(|c| decode_cooldown(d, c, &join(path, "cooldown")))
            .unwrap_or_default();
        f.finish(d, &[]);
        (value, own)
    } else {
        (read(d, n, path), (None, None))
    };
    Some(ScaleOn {
        target: value?,
        scale_in_s: own.0.or(general.0),
        scale_out_s: own.1.or(general.1),
    })
}

/// `count.range`: its minimum, maximum, and `spot_from` (map form only).
pub(super) fn decode_range(d: &mut Decoder, r: &Node) -> Option<(i64, i64, Option<i64>)> {
    if let Value::Map(_) = r.value {
        let mut f = d.fields(r, "count.range")?;
        let min = f
            .take("min")
            .and_then(|n| d.int(n, "count.range.min", 0, 10_000));
        let max = f
            .take("max")
            .and_then(|n| d.int(n, "count.range.max", 0, 10_000));
        let spot_from = f
            .take("spot_from")
            .and_then(|n| d.int(n, "count.range.spot_from", 0, 10_000))
            .map(|s| s.value);
        f.finish(d, &[]);
        return match (min, max) {
            (Some(min), Some(max)) if min.value > max.value => {
                d.error(
                    "bad-range",
                    format!(
                        "range minimum {} is above its maximum {}",
                        min.value, max.value
                    ),
                    min.pos,
                    "count.range.min",
                );
                None
            }
            (Some(min), Some(max)) => Some((min.value, max.value, spot_from)),
            _ => {
                d.error(
                    "missing-field",
                    "\"count.range\" needs both \"min\" and \"max\"",
                    r.pos,
                    "count.range",
                );
                None
            }
        };
    }
    let s = d.string(r, "count.range")?;
    let parsed = s
        .value
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?)));
    match parsed {
        Some((min, max)) if min <= max => Some((min, max, None)),
        Some((min, max)) => {
            d.error(
                "bad-range",
                format!("range minimum {min} is above its maximum {max}"),
                r.pos,
                "count.range",
            );
            None
        }
        None => {
            d.error_help(
                "bad-range",
                format!("cannot read range {:?}", s.value),
                "write it as MIN-MAX, for example 1-10",
                r.pos,
                "count.range",
            );
            None
        }
    }
}
