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
        // IAM refuses a policy whose statements share an id.
        let sids: Vec<&str> = v[role]["policy"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| st["Sid"].as_str().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<&str> = sids.iter().copied().collect();
        assert_eq!(sids.len(), unique.len(), "{role}: {sids:?}");
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

/// What Copilot's lenient decoder accepts renders as Copilot deploys it: a key
/// it ignores changes nothing (a warning, an error under `--strict`), a
/// variable with no value is the empty string, and the application's and
/// environment's names are substituted wherever a value holds them.
#[test]
fn what_copilot_accepts_renders_as_copilot_deploys_it() {
    let t = crate::support::TempDir::new("lenient");
    let dir = t.path().join("copilot/api");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(t.path().join("copilot/.workspace"), "application: demo\n").unwrap();
    let plain = "name: api\ntype: Backend Service\nimage:\n  location: nginx:1.27\n  port: 80\n\
variables:\n  EMPTY:\n  WHERE: ${COPILOT_APPLICATION_NAME}-${COPILOT_ENVIRONMENT_NAME}\n\
secrets:\n  DB: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/db\n";
    let manifest = dir.join("manifest.yml");
    let render = |extra: &[&str]| {
        run(sidecarctl(t.path())
            .args(["render", "api", "--env", "test", "--new-env"])
            .args(["--account", "123456789012", "--region", "us-east-1"])
            .args(extra))
    };
    std::fs::write(&manifest, plain).unwrap();
    let r = render(&[]);
    r.assert_code(0);
    let clean = r.stdout.clone();
    let td: serde_json::Value = serde_json::from_str(&clean).unwrap();
    let main = &td["containerDefinitions"][0];
    let var = |name: &str| {
        main["environment"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .map(|v| v["value"].clone())
    };
    assert_eq!(var("EMPTY"), Some("".into()), "KEY: is the empty string");
    assert_eq!(var("WHERE"), Some("demo-test".into()));
    assert_eq!(
        main["secrets"][0]["valueFrom"],
        "arn:aws:ssm:us-east-1:123456789012:parameter/copilot/demo/test/secrets/db"
    );

    // Keys Copilot ignores: the same task definition, with warnings.
    let ignored = format!(
        "{plain}variabels:\n  X: y\ncount:\n  range: 1-3\n  spot_from: 2\nhttp:\n  path: /\n  healthy_threshold: 3\n"
    );
    std::fs::write(&manifest, &ignored).unwrap();
    let r = render(&[]);
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("unknown key \"variabels\"; Copilot ignores it too"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("Copilot reads it as count.range.spot_from"),
        "{}",
        r.stderr
    );
    let with: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(with["containerDefinitions"], td["containerDefinitions"]);
    let r = render(&["--strict"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("error: unknown key \"variabels\""),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());

    // Without any environment, validate reads the environment's name as a stand-in.
    std::fs::write(&manifest, plain).unwrap();
    let r = run(sidecarctl(t.path()).args(["validate", "api"]));
    r.assert_code(0);
}

/// A Scheduled Job with what Copilot's own job fixture exercises
/// (`internal/pkg/deploy/cloudformation/stack/testdata/workloads/
/// job-manifest.yml` of aws/copilot-cli: labels and an override of them, a
/// sidecar the main container waits for, a managed EFS volume, a FIFO
/// topic, secrets of both stores), its `from_cfn` values left out (they
/// need an exporting stack).
const COPILOT_JOB: &str = r#"name: job
type: Scheduled Job
image:
  labels:
    com.amazonaws.ecs.copilot.description: Hello world!
  location: alpine
  depends_on:
    nginx: start
cpu: 256
memory: 512
on:
  schedule: "0 12 * * MON"
retries: 3
timeout: 1h
storage:
  ephemeral: 200
  volumes:
    managedEFSVolume:
      path: /etc/mount1
      read_only: false
      efs: true
publish:
  topics:
    - name: mytopic
      fifo: true
secrets:
  SQL_PASS: SQL_PASS
  DB:
    secretsmanager: demo/test/mysql
sidecars:
  nginx:
    essential: true
    image: public.ecr.aws/nginx/nginx
    port: 8080
    mount_points:
      - source_volume: managedEFSVolume
        path: /var/www
    variables:
      NGINX_PORT: 8080
    secrets:
      SQL_PASS: SQL_PASS
environments:
  test:
    image:
      labels:
        com.amazonaws.ecs.copilot.coollabel: Synecdoche
"#;

/// The containers render as Copilot's `job-test.stack.yml` has them.
#[test]
fn copilots_job_fixture_renders_the_containers_of_its_stack() {
    let ws = crate::support::TempDir::new("copilotjob");
    let manifest = ws.write("copilot/job/manifest.yml", COPILOT_JOB);
    let mut cmd = sidecarctl(ws.path());
    cmd.args(["render", "--app", "my-app", "--env", "test", "--manifest"])
        .arg(&manifest)
        .args(["--account", "123456789123", "--region", "us-west-2"])
        .args(["--image-tag", "v1"]);
    let r = run(&mut cmd);
    r.assert_code(0);
    let td: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let td = if td["taskDefinition"].is_object() {
        td["taskDefinition"].clone()
    } else {
        td
    };
    assert_eq!(td["family"], "my-app-test-job");
    assert_eq!(td["ephemeralStorage"]["sizeInGiB"], 200);
    let containers = td["containerDefinitions"].as_array().unwrap();
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["job", "nginx"]);
    let (job, nginx) = (&containers[0], &containers[1]);
    let env = |c: &serde_json::Value| -> std::collections::BTreeMap<String, String> {
        c["environment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| {
                (
                    kv["name"].as_str().unwrap().to_string(),
                    kv["value"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let main = env(job);
    assert_eq!(main["COPILOT_APPLICATION_NAME"], "my-app");
    assert_eq!(main["COPILOT_ENVIRONMENT_NAME"], "test");
    assert_eq!(main["COPILOT_SERVICE_NAME"], "job");
    assert_eq!(
        main["COPILOT_SERVICE_DISCOVERY_ENDPOINT"],
        "test.my-app.local"
    );
    assert_eq!(
        main["COPILOT_SNS_TOPIC_ARNS"],
        r#"{"mytopic.fifo":"arn:aws:sns:us-west-2:123456789123:my-app-test-job-mytopic.fifo"}"#
    );
    assert_eq!(
        main["COPILOT_MOUNT_POINTS"],
        r#"{"managedEFSVolume":"/etc/mount1"}"#
    );
    let secrets: Vec<(&str, &str)> = job["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["valueFrom"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        secrets,
        [
            (
                "DB",
                "arn:aws:secretsmanager:us-west-2:123456789123:secret:demo/test/mysql"
            ),
            // Copilot passes the parameter's name; sidecarctl resolves it to
            // its ARN (the same parameter to ECS; the execution role's
            // policy names it exactly).
            (
                "SQL_PASS",
                "arn:aws:ssm:us-west-2:123456789123:parameter/SQL_PASS"
            ),
        ]
    );
    assert_eq!(
        job["dockerLabels"],
        serde_json::json!({
            "com.amazonaws.ecs.copilot.coollabel": "Synecdoche",
            "com.amazonaws.ecs.copilot.description": "Hello world!"
        })
    );
    assert_eq!(
        job["dependsOn"],
        serde_json::json!([{"containerName": "nginx", "condition": "START"}])
    );
    assert_eq!(
        job["mountPoints"],
        serde_json::json!([{"sourceVolume": "managedEFSVolume", "containerPath": "/etc/mount1", "readOnly": false}])
    );
    assert_eq!(
        job["logConfiguration"]["options"]["awslogs-stream-prefix"],
        "copilot"
    );
    // The sidecar: its port, its mount read-only (Copilot's default for a
    // sidecar), its variable as a string, Copilot's variables too.
    assert_eq!(nginx["image"], "public.ecr.aws/nginx/nginx");
    assert_eq!(
        nginx["portMappings"],
        serde_json::json!([{"containerPort": 8080, "protocol": "tcp"}])
    );
    assert_eq!(nginx["mountPoints"][0]["readOnly"], true);
    assert_eq!(nginx["mountPoints"][0]["containerPath"], "/var/www");
    let side = env(nginx);
    assert_eq!(side["NGINX_PORT"], "8080");
    assert_eq!(
        side["COPILOT_MOUNT_POINTS"],
        r#"{"managedEFSVolume":"/var/www"}"#
    );
    assert_eq!(side["COPILOT_SERVICE_NAME"], "job");
    assert_eq!(
        side["COPILOT_SNS_TOPIC_ARNS"],
        main["COPILOT_SNS_TOPIC_ARNS"]
    );
}
