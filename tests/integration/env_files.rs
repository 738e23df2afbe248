//! `env_file`: each file uploaded once, named by its content's hash, to
//! Copilot's application bucket when there is one or to sidecarctl's own
//! private bucket; the containers get `environmentFiles` and the execution
//! role may read exactly those objects.

use serde_json::Value;

use crate::support::{Stage, run};

async fn execution_policy(s: &Stage) -> Value {
    let iam = aws_sdk_iam::Client::new(&s.sdk().await);
    let doc = iam
        .get_role_policy()
        .role_name(format!("{}-test-api-ExecutionRole", s.app))
        .policy_name("sidecarctl-execution")
        .send()
        .await
        .unwrap()
        .policy_document()
        .to_string();
    serde_json::from_str(&percent_encoding::percent_decode_str(&doc).decode_utf8_lossy()).unwrap()
}

fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid}: {policy:#}"))
}

fn with_env_files(s: &Stage) {
    s.ws.write("api.env", "LOG_FORMAT=json\nFEATURE_X=on\n");
    s.ws.write("router.env", "FLB_LOG_LEVEL=info\n");
    let m = s.manifest();
    let m = m.replacen("\nvariables:\n", "\nenv_file: api.env\nvariables:\n", 1);
    let m = m.replacen("\nlogging:\n", "\nlogging:\n  env_file: router.env\n", 1);
    let m = m.replacen("  nginx:\n", "  nginx:\n    env_file: api.env\n", 1);
    s.write_manifest(&m);
}

fn env_files_of(td: &Value) -> Vec<(String, String)> {
    td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_string(),
                c["environmentFiles"][0]["value"].as_str()?.to_string(),
            ))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn env_files_go_to_a_private_bucket_once_and_a_change_is_a_new_revision() {
    let s = Stage::new("envfiles");
    with_env_files(&s);
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    let bucket = format!("sidecarctl-123456789012-us-east-1-{}", s.app);
    let writes = s.proxy.writes();
    assert_eq!(writes.get("s3:CreateBucket"), Some(&1), "{writes:?}");
    assert_eq!(
        writes.get("s3:PutObject"),
        Some(&2),
        "one per file: {writes:?}"
    );
    assert_eq!(writes.get("s3:PutPublicAccessBlock"), Some(&1));
    assert!(
        report["changes"]
            .to_string()
            .contains(&format!("create private bucket {bucket}"))
    );

    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td = sidecarctl::aws::ecs::describe_task_definition(&ecs, &s.family())
        .await
        .unwrap()
        .unwrap();
    let files = env_files_of(&td.document);
    let api = files.iter().find(|(c, _)| c == "api").unwrap().1.clone();
    assert!(
        api.starts_with(&format!("arn:aws:s3:::{bucket}/manual/env-files/api.env/"))
            && api.ends_with(".env"),
        "{api}"
    );
    assert_eq!(
        files.iter().find(|(c, _)| c == "nginx").unwrap().1,
        api,
        "one file, one object"
    );
    let router = &files
        .iter()
        .find(|(c, _)| c == "firelens_log_router")
        .unwrap()
        .1;
    assert!(router.contains("/manual/env-files/router.env/"), "{router}");

    // The object holds the file, and the role may read exactly the objects.
    let key = api.split_once(":::").unwrap().1.split_once('/').unwrap().1;
    let got = crate::support::emulator::emulator().s3_get(&format!("{bucket}/{key}"));
    assert_eq!(got, b"LOG_FORMAT=json\nFEATURE_X=on\n");
    let policy = execution_policy(&s).await;
    let read = statement(&policy, "ReadEnvFiles");
    let mut resources: Vec<&str> = read["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    resources.sort();
    let mut want = vec![api.as_str(), router.as_str()];
    want.sort();
    assert_eq!(resources, want);
    assert_eq!(
        statement(&policy, "LocateEnvFileBuckets")["Resource"][0],
        format!("arn:aws:s3:::{bucket}")
    );

    // Unchanged: nothing written.
    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "unchanged", "{report:#}");
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());

    // A changed file: its new object, a new revision, the bucket left alone.
    s.ws.write("api.env", "LOG_FORMAT=text\n");
    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["taskDefinition"]["revision"], 2);
    let writes = s.proxy.writes();
    assert_eq!(writes.get("s3:PutObject"), Some(&1), "{writes:?}");
    assert_eq!(writes.get("s3:CreateBucket"), None);
}

#[test]
fn a_missing_env_file_stops_before_any_request() {
    let s = Stage::new("envmissing");
    let m = s.manifest().replacen(
        "\nvariables:\n",
        "\nenv_file: config/missing.env\nvariables:\n",
        1,
    );
    s.write_manifest(&m);
    let r = s.deploy(&["--image-tag", "v1"]);
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("cannot read the env file config/missing.env: no such file"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("manifest.yml:"), "{}", r.stderr);
    assert!(s.proxy.counts().is_empty(), "{:?}", s.proxy.counts());
    let v = run(s.cmd().args(["validate", "api", "--env", "test"]));
    v.assert_code(2);
    assert!(v.stderr.contains("config/missing.env"), "{}", v.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn copilots_application_bucket_is_used_when_it_is_there() {
    let s = Stage::new("envcopilot");
    with_env_files(&s);
    // Copilot's regional application stack: the bucket, and the key's export.
    let bucket = format!("stackset-{}-pipelinebuiltartifactbuc", s.app);
    let key = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab";
    let template = serde_json::json!({
        "Resources": {"PipelineBuiltArtifactBucket": {"Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": bucket}}},
        "Outputs": {
            "KMSKeyARN": {"Value": key, "Export": {"Name": format!("{}-ArtifactKey", s.app)}},
            "PipelineBucket": {"Value": {"Ref": "PipelineBuiltArtifactBucket"}},
        },
    });
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    cfn.create_stack()
        .stack_name(format!("StackSet-{}-infrastructure-0f1e2d3c", s.app))
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();

    let (r, _) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    let writes = s.proxy.writes();
    assert_eq!(writes.get("s3:CreateBucket"), None, "{writes:?}");
    assert_eq!(writes.get("s3:PutObject"), Some(&2));
    let policy = execution_policy(&s).await;
    let read = statement(&policy, "ReadEnvFiles");
    assert!(
        read["Resource"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("arn:aws:s3:::{bucket}/manual/env-files/")),
        "{read:#}"
    );
    assert_eq!(statement(&policy, "DecryptEnvFiles")["Resource"][0], key);
}
