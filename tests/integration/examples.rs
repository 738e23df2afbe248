//! The examples `sidecarctl --help` shows run as written in the repository's
//! example workspace, with the environment `localstack/stack env` prints.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Stage, TempDir, finish, root, run, sidecarctl};

/// What `localstack/stack env` prints for this stage, as variables.
fn stack_env(s: &Stage) -> BTreeMap<String, String> {
    let state = TempDir::new("stackstate");
    // The stack's state, as `localstack/stack start`, `proxy` and `seed` leave it.
    state.write("pid", &std::process::id().to_string());
    state.write("endpoint", "http://127.0.0.1:9\n");
    state.write("proxy.pid", &std::process::id().to_string());
    state.write("proxy-endpoint", &format!("{}\n", s.proxy.endpoint));
    let seed: String = s
        .seed
        .vars
        .iter()
        .map(|(k, v)| format!("export {k}={v}\n"))
        .collect();
    state.write("seed.env", &seed);
    let r = run(Command::new(root().join("localstack/stack"))
        .arg("env")
        .env("SIDECARCTL_STACK_STATE", state.path()));
    r.assert_code(0);
    // Evaluate the exports the way a shell would.
    let out = run(Command::new("bash").args([
        "-c",
        &format!("env -i bash -c '{}\nenv'", r.stdout.replace('\'', "'\\''")),
    ]));
    out.assert_code(0);
    out.stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !matches!(*k, "PWD" | "SHLVL" | "_" | "OLDPWD"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The example command lines of `--help`.
fn examples() -> Vec<Vec<String>> {
    let r = run(sidecarctl(&root()).arg("--help"));
    r.stdout
        .split("Examples:")
        .nth(1)
        .expect("an Examples section")
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("sidecarctl "))
        .map(|l| {
            let command = l.split("  ").next().unwrap();
            shell_words::split(command).unwrap()[1..].to_vec()
        })
        .collect()
}

#[test]
fn the_help_examples_run_as_written_in_the_example_workspace() {
    let s = Stage::new("examples");
    // What scripts/demo does first: the service's first deploy.
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let env = stack_env(&s);
    assert_eq!(env["AWS_ENDPOINT_URL"], s.proxy.endpoint);
    assert_eq!(env["SIDECARCTL_IMAGE_TAG"], "v1");
    let examples = examples();
    assert!(examples.len() >= 6, "{examples:?}");
    for args in examples {
        let mut cmd = sidecarctl(s.ws.path());
        cmd.envs(&env).args(&args);
        if args.contains(&"--follow".to_string()) {
            let child = cmd
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_secs(2));
            run(Command::new("kill").args(["-INT", &child.id().to_string()])).assert_code(0);
            let r = finish(child);
            assert_eq!(r.code, 0, "{args:?}\n{}", r.stderr);
            continue;
        }
        let r = run(&mut cmd);
        assert_eq!(
            r.code,
            0,
            "sidecarctl {}\n{}\n{}",
            args.join(" "),
            r.stdout,
            r.stderr
        );
    }
}

#[test]
fn the_stack_script_without_a_command_prints_its_usage_only() {
    let r = run(&mut Command::new(root().join("localstack/stack")));
    r.assert_code(2);
    assert!(r.stdout.contains("localstack/stack env"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("set -euo"),
        "a line of its source: {}",
        r.stdout
    );
}
