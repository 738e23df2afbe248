//! The task definition as a document: the JSON that RegisterTaskDefinition
//! takes, open to every field ECS has. [`TaskDefinition`] renders what the
//! manifest says; `taskdef_overrides` then edit the document, and it is the
//! document that is registered and compared with what ECS holds, so a field
//! sidecarctl does not model survives the trip.

use serde_json::{Map, Value};

use super::TaskDefinition;
use super::overrides::apply_overrides;
use crate::diag::Diagnostics;
use crate::manifest::Service;

/// The members of RegisterTaskDefinition's request that describe the task
/// (tags are the request's, not the definition's). A described task
/// definition keeps these and drops what ECS adds (ARN, revision, status,
/// requiresAttributes, compatibilities, registration times).
pub const REGISTERED_FIELDS: &[&str] = &[
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
];

/// The document of a rendered task definition.
pub fn document(td: &TaskDefinition) -> Value {
    serde_json::to_value(td).unwrap_or(Value::Null)
}

/// The document to register: the rendered definition's, with the service's
/// `taskdef_overrides` applied; the rules that cannot apply are reported.
pub fn registration(td: &TaskDefinition, svc: &Service) -> (Value, Diagnostics) {
    let mut doc = document(td);
    let diags = apply_overrides(&mut doc, &svc.taskdef_overrides, &svc.file);
    (doc, diags)
}

/// A document as pretty JSON with a final newline: byte-identical for the
/// same input.
pub fn to_json(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A described task definition (DescribeTaskDefinition's `taskDefinition`)
/// reduced to what a registration sets.
pub fn registered_part(described: &Value) -> Value {
    let Some(obj) = described.as_object() else {
        return Value::Null;
    };
    let kept: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| REGISTERED_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(kept)
}

/// Whether the registered revision `held` is what registering `wanted` would
/// make: every member `wanted` sets is in `held` with the same value, and
/// whatever else `held` has is what ECS fills in by itself (an empty list or
/// map, `false`, `0`, or a port mapping's host port equal to its container
/// port).
pub fn same_registration(wanted: &Value, held: &Value) -> bool {
    same(wanted, held)
}

fn same(wanted: &Value, held: &Value) -> bool {
    match (wanted, held) {
        (Value::Object(w), Value::Object(h)) => {
            w.iter()
                .all(|(k, wv)| h.get(k).map_or(is_filled_in(wv), |hv| same(wv, hv)))
                && h.iter().all(|(k, hv)| {
                    w.contains_key(k) || is_filled_in(hv) || host_port_default(k, hv, w)
                })
        }
        (Value::Array(w), Value::Array(h)) => {
            w.len() == h.len() && w.iter().zip(h).all(|(a, b)| same(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => wanted == held,
    }
}

/// `held` without what ECS filled in by itself where `wanted` sets nothing
/// (see [`same_registration`]): what a difference between the two should
/// show.
pub fn without_filled_in(held: &Value, wanted: &Value) -> Value {
    match (held, wanted) {
        (Value::Object(h), Value::Object(w)) => Value::Object(
            h.iter()
                .filter(|(k, hv)| {
                    w.contains_key(*k) || !(is_filled_in(hv) || host_port_default(k, hv, w))
                })
                .map(|(k, hv)| {
                    let kept = match w.get(k) {
                        Some(wv) => without_filled_in(hv, wv),
                        None => hv.clone(),
                    };
                    (k.clone(), kept)
                })
                .collect(),
        ),
        (Value::Array(h), Value::Array(w)) => Value::Array(
            h.iter()
                .enumerate()
                .map(|(i, hv)| {
                    // Containers by name, whatever their order.
                    let name = |v: &Value| v.get("name").cloned();
                    let twin = match name(hv) {
                        Some(n) => w.iter().find(|wv| name(wv) == Some(n.clone())),
                        None => w.get(i),
                    };
                    twin.map_or_else(|| hv.clone(), |wv| without_filled_in(hv, wv))
                })
                .collect(),
        ),
        _ => held.clone(),
    }
}

/// What ECS answers for a member nobody set.
fn is_filled_in(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(_) | Value::Bool(true) => false,
    }
}

/// In `awsvpc` mode ECS sets a port mapping's host port to its container port.
fn host_port_default(key: &str, held: &Value, wanted: &Map<String, Value>) -> bool {
    key == "hostPort" && wanted.get("containerPort").is_some_and(|c| c == held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_ecs_filled_in_is_left_out_of_a_difference() {
        let wanted = json!({"containerDefinitions": [{"name": "api", "image": "b",
            "portMappings": [{"containerPort": 80}]}]});
        let held = json!({"containerDefinitions": [{"name": "api", "image": "a", "cpu": 0,
            "volumesFrom": [], "essential": true,
            "portMappings": [{"containerPort": 80, "hostPort": 80}]}],
            "placementConstraints": []});
        assert_eq!(
            without_filled_in(&held, &wanted),
            json!({"containerDefinitions": [{"name": "api", "image": "a", "essential": true,
                "portMappings": [{"containerPort": 80}]}]})
        );
    }

    #[test]
    fn what_ecs_fills_in_is_the_same_registration() {
        let wanted = json!({
            "family": "app-test-api",
            "containerDefinitions": [{
                "name": "api", "image": "nginx", "essential": true,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            }],
        });
        let held = json!({
            "family": "app-test-api",
            "containerDefinitions": [{
                "name": "api", "image": "nginx", "essential": true, "cpu": 0,
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                "environment": [], "mountPoints": [], "volumesFrom": [], "systemControls": [],
            }],
            "volumes": [], "placementConstraints": [],
        });
        assert!(same_registration(&wanted, &held));
    }

    #[test]
    fn a_field_sidecarctl_does_not_model_is_compared_too() {
        let wanted = json!({"containerDefinitions": [{"name": "api", "stopTimeout": 60,
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}]}]});
        let held = json!({"containerDefinitions": [{"name": "api", "stopTimeout": 60,
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}]}]});
        assert!(same_registration(&wanted, &held));
        let other = json!({"containerDefinitions": [{"name": "api", "stopTimeout": 30,
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}]}]});
        assert!(!same_registration(&wanted, &other));
        // Set by hand on the held revision and not wanted: a change.
        let extra = json!({"containerDefinitions": [{"name": "api", "stopTimeout": 60,
            "privileged": true,
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}]}]});
        assert!(!same_registration(&wanted, &extra));
    }

    #[test]
    fn a_host_port_other_than_the_container_port_is_a_change() {
        let wanted = json!({"portMappings": [{"containerPort": 80}]});
        assert!(!same_registration(
            &wanted,
            &json!({"portMappings": [{"containerPort": 80, "hostPort": 8080}]})
        ));
    }

    #[test]
    fn lists_compare_in_order_and_length() {
        let wanted = json!({"command": ["a", "b"]});
        assert!(!same_registration(&wanted, &json!({"command": ["b", "a"]})));
        assert!(!same_registration(&wanted, &json!({"command": ["a"]})));
    }

    #[test]
    fn a_described_definition_keeps_what_registration_sets() {
        let described = json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/f:3",
            "family": "f", "revision": 3, "status": "ACTIVE",
            "requiresAttributes": [{"name": "ecs.capability.execution-role-awslogs"}],
            "compatibilities": ["EC2", "FARGATE"], "registeredAt": 1.7e9,
            "containerDefinitions": [], "cpu": "256",
        });
        assert_eq!(
            registered_part(&described),
            json!({"family": "f", "containerDefinitions": [], "cpu": "256"})
        );
    }
}
