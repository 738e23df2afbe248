//! Command-line errors: clear messages on stderr, exit code 2, help exits 0.

use crate::support::{TempDir, root, run, sidecarctl};

#[test]
fn help_lists_commands_examples_and_exit_codes() {
    let r = run(sidecarctl(&root()).arg("--help"));
    r.assert_code(0);
    for s in [
        "validate",
        "render",
        "Examples:",
        "Exit codes:",
        "--endpoint-url",
        "--color",
    ] {
        assert!(
            r.stdout.contains(s),
            "{s} missing from --help:\n{}",
            r.stdout
        );
    }
}

#[test]
fn missing_required_flags_exit_2() {
    let r = run(sidecarctl(&root().join("examples")).args(["render", "api"]));
    r.assert_code(2);
    assert!(r.stderr.contains("--env"), "{}", r.stderr);
}

#[test]
fn conflicting_flags_exit_2() {
    let r =
        run(sidecarctl(&root().join("examples")).args(["validate", "api", "--manifest", "x.yml"]));
    r.assert_code(2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
}

#[test]
fn unreadable_manifests_exit_2_with_a_reason() {
    let t = TempDir::new("unreadable");
    t.write("empty.yml", "");
    std::fs::create_dir_all(t.path().join("dir")).unwrap();
    std::fs::write(t.path().join("latin1.yml"), b"name: caf\xe9\n").unwrap();
    for (file, reason) in [
        ("missing.yml", "no such file"),
        ("dir", "is a directory"),
        ("empty.yml", "the manifest is empty"),
        ("latin1.yml", "not UTF-8"),
    ] {
        let r = run(sidecarctl(t.path()).args(["validate", "--app", "demo", "--manifest", file]));
        r.assert_code(2);
        assert!(r.stderr.contains(reason), "{file}: {}", r.stderr);
    }
}

#[test]
fn no_color_means_no_escape_codes() {
    let r = run(sidecarctl(&root()).args([
        "validate",
        "--app",
        "demo",
        "--color",
        "always",
        "--manifest",
        "tests/fixtures/broken/many-problems.yml",
    ]));
    r.assert_code(2);
    assert!(
        !r.stderr.contains('\x1b'),
        "NO_COLOR is set by the helper and wins over --color always"
    );
    let r = run(sidecarctl(&root()).env_remove("NO_COLOR").args([
        "validate",
        "--app",
        "demo",
        "--color",
        "always",
        "--manifest",
        "tests/fixtures/broken/many-problems.yml",
    ]));
    assert!(
        r.stderr.contains('\x1b') && r.stderr.contains("error"),
        "--color always colours: {}",
        r.stderr
    );
}

#[test]
fn bad_command_lines_exit_2_with_a_clear_error() {
    let examples = root().join("examples");
    for (args, needle) in [
        (
            vec!["deploy", "api", "--env", "test", "--timeout", "forever"],
            "cannot read \"forever\" as a duration",
        ),
        (
            vec!["deploy", "api", "--env", "test", "--poll-interval", "5"],
            "cannot read \"5\" as a duration",
        ),
        (
            vec!["deploy", "api", "--env", "test", "--api-timeout", "soon"],
            "cannot read \"soon\" as a duration",
        ),
        (
            vec![
                "deploy",
                "api",
                "--env",
                "test",
                "--execution-role-arn",
                "arn:aws:iam::1:role/x",
            ],
            "--task-role-arn",
        ),
        (
            vec!["deploy", "api", "--all", "--env", "test"],
            "cannot be used with",
        ),
        (
            vec![
                "deploy",
                "--all",
                "--env",
                "test",
                "--target-group-arn",
                "arn:x",
            ],
            "cannot be used with",
        ),
        (
            vec!["deploy", "apii", "--env", "test", "--image-tag", "v1"],
            "did you mean \"api\"?",
        ),
        (vec!["deploy", "api"], "--env"),
        (vec!["status", "api"], "--env"),
        (
            vec!["logs", "api", "--env", "test", "--since", "yesterday"],
            "cannot read \"yesterday\"",
        ),
        (
            vec!["validate", "--color", "purple"],
            "invalid value 'purple'",
        ),
        (vec!["launch", "api"], "unrecognized subcommand 'launch'"),
        (
            vec!["deploy", "api", "--env", "test", "--no-such-flag"],
            "unexpected argument '--no-such-flag'",
        ),
    ] {
        let r = run(sidecarctl(&examples).args(&args));
        r.assert_code(2);
        assert!(
            r.stderr.contains(needle),
            "{args:?}: {needle:?} not in\n{}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: stdout is for data");
    }
}

#[test]
fn deploy_outside_a_workspace_says_where_to_run() {
    let t = TempDir::new("nowhere");
    let r = run(sidecarctl(t.path()).args(["deploy", "api", "--env", "test"]));
    r.assert_code(2);
    assert!(
        r.stderr.contains("no copilot/ directory here or above"),
        "{}",
        r.stderr
    );
    let r = run(sidecarctl(t.path()).args(["deploy", "--all", "--env", "test"]));
    r.assert_code(2);
    assert!(r.stderr.contains("no copilot/ directory"), "{}", r.stderr);
}

#[test]
fn an_unknown_profile_is_refused_naming_the_profiles_there_are() {
    let t = TempDir::new("profiles");
    let config = t.write(
        ".aws/config",
        "[default]\nregion = us-east-1\n\n[profile ci]\nregion = eu-west-1\n",
    );
    let creds = t.write(
        ".aws/credentials",
        "[ci]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = x\n",
    );
    let r = run(sidecarctl(&root().join("examples"))
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        // Credentials in the environment would otherwise be used, silently.
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .envs(crate::support::OFFLINE_VARS.iter().copied())
        .args(["status", "api", "--env", "test", "--profile", "nosuch"]));
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("there is no AWS profile \"nosuch\" (--profile)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("the profiles are: ci, default"),
        "{}",
        r.stderr
    );
}

#[test]
fn render_takes_the_region_where_the_sdk_would() {
    let r = run(sidecarctl(&root().join("examples"))
        .envs(crate::support::OFFLINE_VARS.iter().copied())
        .env("AWS_REGION", "eu-west-1")
        .args(["render", "api", "--env", "test", "--image-tag", "v1"]));
    r.assert_code(0);
    assert!(!r.stderr.contains("region us-east-1"), "{}", r.stderr);
    assert!(
        r.stdout.contains("\"awslogs-region\": \"eu-west-1\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(".dkr.ecr.eu-west-1."), "{}", r.stdout);
}

#[test]
fn a_missing_credential_chain_is_one_sentence_of_cause_and_one_of_remedy() {
    let t = TempDir::new("nocreds");
    let status = |extra: &[&str]| {
        run(sidecarctl(&root().join("examples"))
            .env("AWS_CONFIG_FILE", t.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", t.path().join("none"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .envs(crate::support::OFFLINE_VARS.iter().copied())
            .args(["status", "api", "--env", "test"])
            .args(extra))
    };
    let r = status(&[]);
    r.assert_code(1);
    assert!(
        r.stderr.contains("no AWS credentials were found."),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("aws sso login"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("DispatchFailure") && !r.stderr.contains("ConnectorError"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.len() < 400,
        "{} characters: {}",
        r.stderr.len(),
        r.stderr
    );
    // The detail is there for who asks.
    let r = status(&["-v"]);
    assert!(
        r.stderr.contains("the credential provider was not enabled"),
        "{}",
        r.stderr
    );
}
