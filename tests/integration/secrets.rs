//! Secret hygiene: with secret values seeded in the emulator and distinctive
//! credentials in the environment, no command prints either: not in text, JSON,
//! `-vv`/`-vvv` debug logs, nor on error paths.

use crate::support::Stage;
use crate::support::{Run, run};

const KEY_ID: &str = "AKIAHYGIENECHECK0001";
const SECRET_KEY: &str = "hygiene-secret-key-never-printed-0123456789";
const SESSION_TOKEN: &str = "hygiene-session-token-never-printed-987654321";

fn cmd(s: &Stage, args: &[&str]) -> Run {
    let tg = s.seed.vars["TARGET_GROUP_ARN"].clone();
    let mut c = s.cmd();
    c.env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN);
    let args: Vec<String> = args.iter().map(|a| a.replace("{tg}", &tg)).collect();
    run(c.args(&args))
}

#[test]
fn no_secret_value_or_credential_appears_in_any_output() {
    let s = Stage::new("hygiene");
    let deploy = [
        "deploy",
        "api",
        "--env",
        "test",
        "--target-group-arn",
        "{tg}",
        "--poll-interval",
        "50ms",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        deploy
            .iter()
            .copied()
            .chain(extra.iter().copied())
            .collect()
    };
    let mut runs = vec![
        ("validate", cmd(&s, &["validate", "api"])),
        ("validate json", cmd(&s, &["validate", "api", "-o", "json"])),
        (
            "render",
            cmd(&s, &["render", "api", "--env", "test", "--image-tag", "v1"]),
        ),
        (
            "render yaml",
            cmd(&s, &["render", "api", "--env", "test", "-o", "yaml"]),
        ),
        (
            "render iam",
            cmd(&s, &["render", "api", "--env", "test", "--iam"]),
        ),
        (
            "deploy dry-run -vv",
            cmd(&s, &with(&["--image-tag", "v1", "--dry-run", "-vv"])),
        ),
        (
            "deploy -vvv",
            cmd(&s, &with(&["--image-tag", "v1", "-vvv"])),
        ),
        (
            "deploy json",
            cmd(&s, &with(&["--image-tag", "v2", "-o", "json"])),
        ),
        (
            "deploy unchanged -vv",
            cmd(&s, &with(&["--image-tag", "v2", "-vv", "-o", "json"])),
        ),
        ("status", cmd(&s, &["status", "api", "--env", "test"])),
        (
            "status json -vv",
            cmd(&s, &["status", "api", "--env", "test", "-o", "json", "-vv"]),
        ),
        (
            "logs -vv",
            cmd(
                &s,
                &["logs", "api", "--env", "test", "--since", "1h", "-vv"],
            ),
        ),
        (
            "logs json",
            cmd(&s, &["logs", "api", "--env", "test", "--json"]),
        ),
    ];
    // Error paths: a missing image, a failed rollout, an invalid manifest.
    runs.push((
        "deploy missing -vv",
        cmd(&s, &with(&["--no-build", "--image-tag", "v404", "-vv"])),
    ));
    s.proxy.rollouts(100, &["fail"]);
    runs.push((
        "deploy rolled back -vv",
        cmd(&s, &with(&["--image-tag", "v1", "-vv", "-o", "json"])),
    ));
    let manifest = s.ws.path().join("copilot/api/manifest.yml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("cpu: 256", "cpu: 257")).unwrap();
    runs.push((
        "deploy invalid -vv",
        cmd(&s, &with(&["--image-tag", "v1", "-vv"])),
    ));

    let codes: Vec<(&str, i32)> = runs.iter().map(|(n, r)| (*n, r.code)).collect();
    assert!(
        codes
            .iter()
            .any(|(n, c)| *n == "deploy missing -vv" && *c == 3),
        "{codes:?}"
    );
    assert!(
        codes
            .iter()
            .any(|(n, c)| *n == "deploy rolled back -vv" && *c == 4),
        "{codes:?}"
    );
    assert!(
        codes
            .iter()
            .any(|(n, c)| *n == "deploy invalid -vv" && *c == 2),
        "{codes:?}"
    );
    assert!(
        runs.iter()
            .any(|(n, r)| *n == "deploy -vvv" && r.stderr.lines().count() > 100),
        "-vvv logs plenty"
    );

    let mut needles: Vec<(String, String)> = vec![
        ("the access key id".into(), KEY_ID.into()),
        ("the secret access key".into(), SECRET_KEY.into()),
        ("the session token".into(), SESSION_TOKEN.into()),
    ];
    for (name, value) in &s.seed.secret_values {
        // The registry credentials are JSON: their password is the secret.
        let v: String = match serde_json::from_str::<serde_json::Value>(value) {
            Ok(j) if j.is_object() => j["password"].as_str().unwrap().to_string(),
            _ => value.clone(),
        };
        needles.push((format!("the value of {name}"), v));
    }
    for (cmd_name, r) in &runs {
        let all = r.all();
        for (what, needle) in &needles {
            assert!(
                !all.contains(needle.as_str()),
                "{what} leaked in `{cmd_name}`:\n{all}"
            );
        }
    }
}
