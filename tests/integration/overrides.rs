//! `taskdef_overrides` reach ECS: fields sidecarctl does not model are
//! registered, read back, and compared, so an unchanged manifest registers
//! nothing and a changed override registers a revision.

use serde_json::json;

use crate::support::Stage;

const RULES: &str = "
taskdef_overrides:
  - path: ContainerDefinitions[0].Ulimits[-]
    value:
      Name: nofile
      SoftLimit: 1024
      HardLimit: 2048
  - path: ContainerDefinitions[0].StopTimeout
    value: 60
  - path: ContainerDefinitions[0].LinuxParameters.InitProcessEnabled
    value: true
";

#[tokio::test(flavor = "multi_thread")]
async fn overrides_are_registered_and_an_unchanged_manifest_registers_nothing() {
    let s = Stage::new("overrides");
    s.write_manifest(&format!("{}{RULES}", s.manifest()));
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["taskDefinition"]["registered"], true);

    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td = sidecarctl::aws::ecs::describe_task_definition(&ecs, &s.family())
        .await
        .unwrap()
        .unwrap();
    let main = &td.document["containerDefinitions"][0];
    assert_eq!(
        main["ulimits"],
        json!([{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}])
    );
    assert_eq!(main["stopTimeout"], 60);
    assert_eq!(main["linuxParameters"]["initProcessEnabled"], true);

    // Again: the document ECS holds is the one wanted; nothing registered.
    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "unchanged", "{report:#}");
    assert_eq!(s.proxy.writes().get("ecs:RegisterTaskDefinition"), None);

    // A changed override is a new revision, and the dry run says what changes.
    s.write_manifest(&s.manifest().replace("value: 60", "value: 90"));
    let (r, plan) = s.deploy_json(&["--image-tag", "v1", "--dry-run"]);
    r.assert_code(0);
    let text = plan.to_string();
    assert!(text.contains("stopTimeout"), "{plan:#}");
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["taskDefinition"]["revision"], 2);
}
