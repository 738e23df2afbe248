//! The rendered task definitions register in the emulator and read back equal,
//! both as raw JSON (what `aws ecs register-task-definition --cli-input-json`
//! sends) and through sidecarctl's SDK mapping (what `deploy` sends).

use serde_json::{Value, json};

use crate::render::{render_case, rendered_cases};
use crate::support::emulator;

/// Every key `want` has, `got` has with an equal value (ECS adds defaults of its own).
fn assert_contained(want: &Value, got: &Value, path: &str) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let gv = g.get(k).unwrap_or_else(|| {
                    panic!("{path}.{k} is missing from what ECS returned: {got}")
                });
                assert_contained(wv, gv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            assert_eq!(w.len(), g.len(), "{path}: {want} vs {got}");
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                assert_contained(wv, gv, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(want, got, "{path}"),
    }
}

#[test]
fn rendered_json_registers_and_reads_back_equal() {
    let emu = emulator();
    for (name, target, env) in rendered_cases() {
        let rendered: Value = serde_json::from_str(&render_case(&target, env)).unwrap();
        let registered = emu.json_call(
            "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
            &rendered,
        );
        let arn = registered["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .unwrap()
            .to_string();
        let described = emu.json_call(
            "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition",
            &json!({"taskDefinition": arn}),
        );
        let td = &described["taskDefinition"];
        assert_contained(
            &rendered["containerDefinitions"],
            &td["containerDefinitions"],
            &format!("{name}.containerDefinitions"),
        );
        if let Some(vols) = rendered.get("volumes") {
            assert_contained(vols, &td["volumes"], &format!("{name}.volumes"));
        }
        for k in [
            "family",
            "cpu",
            "memory",
            "networkMode",
            "taskRoleArn",
            "executionRoleArn",
            "runtimePlatform",
        ] {
            assert_contained(&rendered[k], &td[k], &format!("{name}.{k}"));
        }
    }
}

#[tokio::test]
async fn sdk_registration_reads_back_equal() {
    use sidecarctl::render::document::same_registration;
    let emu = emulator();
    let ecs = aws_sdk_ecs::Client::new(&emu.sdk_config().await);
    for (name, target, env) in rendered_cases() {
        let mut td: sidecarctl::render::TaskDefinition =
            serde_json::from_str(&render_case(&target, env)).unwrap();
        td.family = format!("sdk-{}", td.family);
        let doc = sidecarctl::render::document::document(&td);
        let registered = sidecarctl::aws::ecs::register_task_definition(&ecs, &doc)
            .await
            .unwrap();
        assert!(
            same_registration(&doc, &registered.document),
            "{name}: {:#}",
            registered.document
        );
        assert_eq!(
            registered.definition, td,
            "{name}: what RegisterTaskDefinition answered"
        );
        let described = sidecarctl::aws::ecs::describe_task_definition(&ecs, &registered.arn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            described.definition.container_definitions, td.container_definitions,
            "{name}"
        );
        assert_eq!(described.definition, td, "{name}");
        assert!(same_registration(&doc, &described.document), "{name}");
        assert_eq!(described.revision, registered.revision);
    }
}
