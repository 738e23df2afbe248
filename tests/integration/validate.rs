//! `sidecarctl validate` on good and broken manifests.

use crate::support::{OFFLINE_VARS, Proxy, TempDir, root, run, sidecarctl};

fn examples() -> std::path::PathBuf {
    root().join("examples")
}

#[test]
fn the_examples_are_valid_for_every_environment() {
    for svc in ["api", "worker"] {
        let r = run(sidecarctl(&examples())
            .args(["validate", svc])
            .envs(OFFLINE_VARS.iter().copied()));
        r.assert_code(0);
        assert!(
            r.stderr.contains("is valid for prod, test") || r.stderr.contains("is valid for test"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("unknown key"), "{}", r.stderr);
    }
}

#[test]
fn the_documents_examples_are_valid() {
    for f in [
        "en-nginx-sidecar",
        "en-efs-sidecar",
        "en-firelens",
        "ja-sidecar-fields",
    ] {
        let path = root().join(format!("tests/fixtures/spec/{f}.yml"));
        let r = run(sidecarctl(&root())
            .args(["validate", "--app", "demo", "--manifest"])
            .arg(&path));
        r.assert_code(0);
        assert!(!r.stderr.contains("error"), "{f}: {}", r.stderr);
        assert!(!r.stderr.contains("unknown key"), "{f}: {}", r.stderr);
    }
}

#[test]
fn every_problem_is_listed_with_its_position_and_field() {
    let path = root().join("tests/fixtures/broken/many-problems.yml");
    let r = run(sidecarctl(&root())
        .args(["validate", "--app", "demo", "--env", "test", "--manifest"])
        .arg(&path));
    r.assert_code(2);
    let shown = "tests/fixtures/broken/many-problems.yml";
    for (line_col, field, message) in [
        ("7:3", "image.prot", "unknown key \"prot\""),
        (
            "10:9",
            "memory",
            "does not pair 256 CPU units with 4096 MiB",
        ),
        (
            "22:11",
            "sidecars.nginx.port",
            "containers \"api\" and \"nginx\" are exposing the same port 8080",
        ),
        (
            "24:24",
            "sidecars.nginx.mount_points[0].source_volume",
            "volume \"dta\" is not declared",
        ),
        (
            "27:12",
            "sidecars.nginx.depends_on.api",
            "container dependency status must be one of",
        ),
        (
            "28:3",
            "sidecars.firelens_log_router",
            "clashes with the FireLens log router",
        ),
        (
            "39:31",
            // Written under environments.test: reported there.
            "environments.test.sidecars.nginx.credentialsParameter",
            "is not a Secrets Manager secret ARN",
        ),
    ] {
        // Each diagnostic: its message, where, and which field.
        let block = r
            .stderr
            .split("\n\n")
            .find(|b| b.contains(message))
            .unwrap_or_else(|| panic!("missing {message}\n{}", r.stderr));
        let loc = format!("--> {shown}:{line_col}\n");
        assert!(block.contains(&loc), "missing {loc}\n{block}");
        assert!(
            block.contains(&format!("= field: {field}")),
            "missing {field}\n{block}"
        );
        assert!(
            r.stderr.contains(message),
            "missing {message}\n{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("did you mean \"port\"?"), "{}", r.stderr);
    // The typo is a key Copilot ignores: a warning, named as failing under --strict.
    assert!(r.stderr.contains("6 errors, "), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("1 warning is a key Copilot ignores: it fails under --strict"),
        "{}",
        r.stderr
    );
}

#[test]
fn json_output_lists_diagnostics_on_stdout() {
    let path = root().join("tests/fixtures/broken/many-problems.yml");
    let r = run(sidecarctl(&root())
        .args([
            "validate",
            "-o",
            "json",
            "--app",
            "demo",
            "--env",
            "test",
            "--manifest",
        ])
        .arg(&path));
    r.assert_code(2);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"], 6);
    assert_eq!(v["strictFailures"], 1, "image.prot");
    let first = &v["diagnostics"][0];
    assert!(first["line"].as_u64().unwrap() > 0 && first["column"].as_u64().unwrap() > 0);
    assert!(first["field"].is_string());
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn yaml_errors_point_at_the_problem() {
    let t = TempDir::new("yaml");
    let p = t.write(
        "copilot/api/manifest.yml",
        "name: api\ntype: Backend Service\nimage:\n  location: [nginx\n",
    );
    let r = run(sidecarctl(t.path())
        .args(["validate", "--app", "demo", "--manifest"])
        .arg(&p));
    r.assert_code(2);
    assert!(
        r.stderr.contains("copilot/api/manifest.yml:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("error:"), "{}", r.stderr);
}

#[test]
fn unknown_services_get_a_suggestion() {
    let r = run(sidecarctl(&examples()).args(["validate", "apii"]));
    r.assert_code(2);
    assert!(r.stderr.contains("no service \"apii\""), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean \"api\"?"), "{}", r.stderr);
}

#[test]
fn merge_keys_and_anchors_work() {
    let t = TempDir::new("merge");
    let p = t.write(
        "copilot/api/manifest.yml",
        "name: api\ntype: Backend Service\nimage:\n  location: app:1\nx-sidecar: &sc\n  image: envoy:1\n  essential: false\nsidecars:\n  a:\n    <<: *sc\n    port: 9000\n  b:\n    <<: *sc\n    imge: typo\n",
    );
    let r = run(sidecarctl(t.path())
        .args(["validate", "--app", "demo", "--manifest"])
        .arg(&p));
    r.assert_code(0);
    // `x-` keys hold anchors; the typo is found inside the merged map.
    assert!(!r.stderr.contains("x-sidecar"), "{}", r.stderr);
    assert!(r.stderr.contains(":14:5\n"), "{}", r.stderr);
    assert!(
        r.stderr.contains("= field: sidecars.b.imge"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 warning"), "{}", r.stderr);
}

/// The diagnostics of `validate -o json` as `(line:column, field, message, help)`.
fn diagnostics(r: &crate::support::Run) -> Vec<(String, String, String, String)> {
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error" || d["code"] == "unknown-key")
        .map(|d| {
            (
                format!("{}:{}", d["line"], d["column"]),
                d["field"].as_str().unwrap_or("-").to_string(),
                d["message"].as_str().unwrap().to_string(),
                d["help"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn messages_found_unclear_on_real_manifests_say_what_and_where() {
    let t = TempDir::new("unclear");
    let p = t.write(
        "copilot/api/manifest.yml",
        "name: api\n\
type: Load Balanced Web Service\n\
image:\n  location: registry.example.com/api:${IMAGE_TAG}\n  context: .\n  port: 8080\n\
\u{200B}variables:\n  A: b\n\
environments:\n  test:\n    cpu: 0.5\n    PORT: 80\n",
    );
    let r = run(sidecarctl(t.path())
        .args([
            "validate",
            "-o",
            "json",
            "--app",
            "demo",
            "--env",
            "test",
            "--manifest",
        ])
        .arg(&p));
    r.assert_code(2);
    let got = diagnostics(&r);
    let find = |field: &str| {
        got.iter()
            .find(|d| d.1 == field)
            .unwrap_or_else(|| panic!("nothing at {field}: {got:#?}"))
    };
    // One cause, one error: the variable, pointed at itself.
    let var = find("image.location");
    assert_eq!(var.0, "4:38", "{var:?}");
    assert!(var.2.contains("\"IMAGE_TAG\" is not defined"));
    assert!(
        !got.iter()
            .any(|d| d.2.contains("needs \"location\" or \"build\"")),
        "{got:#?}"
    );
    // Copilot reads the build context under image.build only.
    assert!(
        find("image.context")
            .3
            .contains("Copilot reads it as image.build.context")
    );
    // An invisible character in a key is named.
    let invisible = got
        .iter()
        .find(|d| d.2.contains("invisible character"))
        .unwrap_or_else(|| panic!("{got:#?}"));
    assert!(
        invisible.2.contains("U+200B ZERO WIDTH SPACE"),
        "{invisible:?}"
    );
    // Overrides are reported where they are written, with the right list of keys.
    let cpu = find("environments.test.cpu");
    assert_eq!(cpu.2, "expected an integer, found the number 0.5");
    let port = find("environments.test.PORT");
    assert!(
        port.3.contains("environments.test.variables.PORT"),
        "a variable written straight under the environment: {port:?}"
    );
    assert!(port.2.contains("test gets no variable PORT"), "{port:?}");
    assert_eq!(got.len(), 5, "{got:#?}");
}

#[test]
fn an_environment_nothing_knows_is_refused_unless_new() {
    let r = run(sidecarctl(&examples()).args(["validate", "api", "--env", "tset"]));
    r.assert_code(2);
    assert!(
        r.stderr.contains("environment \"tset\" is not known"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean \"test\"?"), "{}", r.stderr);
    assert!(!r.stderr.contains("is valid"), "{}", r.stderr);
    let r = run(sidecarctl(&examples())
        .envs(OFFLINE_VARS.iter().copied())
        .args(["validate", "api", "--env", "staging", "--new-env"]));
    r.assert_code(0);
    assert!(r.stderr.contains("is valid for staging"), "{}", r.stderr);
}

#[test]
fn an_environment_aws_cannot_name_things_after_is_refused_before_any_request() {
    // A new environment's name becomes part of the family, the roles and the
    // log group; IAM would refuse it halfway through a deploy.
    let proxy = Proxy::start("http://127.0.0.1:9", 0);
    let long = "e".repeat(250);
    for (env, said) in [
        (
            "Pr\u{f6}d",
            "environment name \"Pr\u{f6}d\" can only contain letters, digits",
        ),
        (long.as_str(), "characters long; ECS takes at most 255"),
    ] {
        let r = run(sidecarctl(&examples())
            .envs(OFFLINE_VARS.iter().copied())
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .args(["deploy", "api", "--env", env, "--new-env"]));
        r.assert_code(2);
        assert!(r.stderr.contains(said), "{}", r.stderr);
    }
    assert!(
        proxy.counts().is_empty(),
        "AWS was called: {:?}",
        proxy.counts()
    );
}
