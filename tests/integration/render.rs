//! `sidecarctl render`: snapshots of the examples' task definitions, determinism,
//! YAML output and IAM policies.

use crate::support::{OFFLINE_VARS, assert_snapshot, root, run, sidecarctl};

/// `render` for an example service or a spec fixture, with fixed facts.
fn render(target: &[&str], env: &str, extra: &[&str]) -> crate::support::Run {
    let mut cmd = sidecarctl(&root().join("examples"));
    cmd.arg("render")
        .args(target)
        .args([
            "--env",
            env,
            "--account",
            "123456789012",
            "--region",
            "us-east-1",
            "--image-tag",
            "v1",
        ])
        .args(extra)
        .envs(OFFLINE_VARS.iter().copied());
    run(&mut cmd)
}

pub fn rendered_cases() -> Vec<(String, Vec<String>, &'static str)> {
    let mut cases: Vec<(String, Vec<String>, &'static str)> = vec![
        ("example-api-test".into(), vec!["api".into()], "test"),
        ("example-api-prod".into(), vec!["api".into()], "prod"),
        ("example-worker-test".into(), vec!["worker".into()], "test"),
    ];
    for f in [
        "en-nginx-sidecar",
        "en-efs-sidecar",
        "en-firelens",
        "ja-sidecar-fields",
    ] {
        let path = root()
            .join(format!("tests/fixtures/spec/{f}.yml"))
            .display()
            .to_string();
        cases.push((
            format!("spec-{f}"),
            vec!["--app".into(), "demo".into(), "--manifest".into(), path],
            "test",
        ));
    }
    cases
}

pub fn render_case(target: &[String], env: &str) -> String {
    let args: Vec<&str> = target.iter().map(String::as_str).collect();
    let r = render(&args, env, &[]);
    r.assert_code(0);
    r.stdout
}

#[test]
fn rendered_task_definitions_match_their_snapshots() {
    for (name, target, env) in rendered_cases() {
        assert_snapshot(&format!("{name}.json"), &render_case(&target, env));
    }
}

#[test]
fn rendering_is_byte_identical_run_after_run() {
    let a = render(&["api"], "test", &[]);
    let b = render(&["api"], "test", &[]);
    a.assert_code(0);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn yaml_output_carries_the_same_data() {
    let json = render(&["api"], "test", &[]);
    let yaml = render(&["api"], "test", &["--output", "yaml"]);
    yaml.assert_code(0);
    let from_json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        yaml.stdout.contains("family: demo-test-api"),
        "{}",
        yaml.stdout
    );
    // Every string value of the JSON appears in the YAML.
    let mut strings = Vec::new();
    collect_strings(&from_json, &mut strings);
    for s in strings {
        let plain = yaml.stdout.contains(&s);
        let quoted = yaml.stdout.contains(&serde_json::to_string(&s).unwrap());
        assert!(plain || quoted, "{s:?} missing from the YAML");
    }
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

#[test]
fn placeholders_are_named_on_stderr() {
    let r = run(sidecarctl(&root().join("examples"))
        .args(["render", "api", "--env", "test"])
        .envs(OFFLINE_VARS.iter().copied()));
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("rendered with placeholders: account 000000000000"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("arn:aws:iam::000000000000:role/demo-test-api-TaskRole")
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("stdout is only the JSON");
    assert_eq!(v["family"], "demo-test-api");
}

#[test]
fn iam_policies_name_exact_resources() {
    let r = render(&["api"], "test", &["--iam"]);
    r.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let mut wildcard_sids = Vec::new();
    for role in ["executionRole", "taskRole"] {
        for st in v[role]["policy"]["Statement"].as_array().unwrap() {
            for res in st["Resource"].as_array().unwrap() {
                let res = res.as_str().unwrap();
                if res == "*" {
                    wildcard_sids.push(st["Sid"].as_str().unwrap().to_string());
                }
                assert!(res == "*" || res.starts_with("arn:aws:"), "{res}");
            }
        }
    }
    assert_eq!(wildcard_sids, ["GetRegistryToken"]);
    let task = v["taskRole"]["policy"].to_string();
    assert!(task.contains("file-system/fs-0123456789abcdef0"), "{task}");
    assert!(
        task.contains("elasticfilesystem:ClientWrite"),
        "the volume is mounted writable: {task}"
    );
    assert!(
        task.contains("log-group:/copilot/demo-test-api-firelens"),
        "{task}"
    );
}
