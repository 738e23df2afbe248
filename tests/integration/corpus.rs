//! Hostile and broken input: every manifest under tests/corpus gives exactly
//! its expected errors and warnings (line, column, field path, message), and
//! every generated hostile file a clear refusal; each ends in exit 2, quickly,
//! within a memory limit, and without a single AWS request. A case whose only
//! problems are keys Copilot ignores (warnings, lines `warning LINE:COL ...` in
//! its `.expect`) is refused like the others under `--strict`, and passes
//! `validate` without it.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Proxy, TempDir, root, run, sidecarctl};

/// Memory the process may use (virtual, KiB): far above a sane run, far below a blow-up.
const MEMORY_LIMIT_KIB: u64 = 2 * 1024 * 1024;
const TIME_LIMIT: Duration = Duration::from_secs(5);

/// `deploy -o json` on a manifest, through a proxy that counts every request.
fn deploy(proxy: &Proxy, dir: &Path, manifest: &Path) -> (crate::support::Run, Duration) {
    deploy_with(proxy, dir, manifest, &[])
}

fn deploy_with(
    proxy: &Proxy,
    dir: &Path,
    manifest: &Path,
    extra: &[&str],
) -> (crate::support::Run, Duration) {
    let cmd = sidecarctl(dir);
    let bin = cmd.get_program().to_owned();
    let mut sh = std::process::Command::new("sh");
    sh.current_dir(dir)
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(bin)
        .args([
            "deploy",
            "-o",
            "json",
            "--app",
            "corpus",
            "--env",
            "test",
            "--image-tag",
            "v1",
        ])
        .args(extra)
        .arg("--manifest")
        .arg(manifest);
    // Drop the helper's environment removals: `sh` gets the cleaned copy above.
    for (k, v) in cmd.get_envs() {
        if v.is_none() {
            sh.env_remove(k);
        }
    }
    let started = Instant::now();
    let r = run(&mut sh);
    (r, started.elapsed())
}

/// The errors, and the warnings about keys Copilot ignores, as the
/// `.expect` files write them.
fn problems(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error" || d["code"] == "unknown-key")
        .map(|d| {
            format!(
                "{}{}:{}\t{}\t{}",
                if d["severity"] == "error" {
                    ""
                } else {
                    "warning "
                },
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["field"].as_str().unwrap_or("-"),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_broken_manifest_gets_exactly_its_diagnostics() {
    let proxy = Proxy::start("http://127.0.0.1:9", 0);
    let dir = root().join("tests/corpus");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut lenient = 0;
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().to_string();
        let mut want: Vec<String> = std::fs::read_to_string(case.with_extension("expect"))
            .unwrap_or_else(|_| panic!("{name}.expect is missing"))
            .lines()
            .map(str::to_string)
            .collect();
        want.sort();
        // Only keys Copilot ignores: refused under --strict, as errors.
        let only_warnings = want.iter().all(|l| l.starts_with("warning "));
        let (r, took) = if only_warnings {
            lenient += 1;
            let v = run(sidecarctl(&root())
                .args(["validate", "-o", "json", "--app", "corpus", "--manifest"])
                .arg(case));
            assert_eq!(v.code, 0, "{name}: Copilot deploys it\n{}", v.stderr);
            let report: Value = serde_json::from_str(&v.stdout).unwrap();
            assert_eq!(problems(&report), want, "{name}: validate");
            assert_eq!(report["strictFailures"], want.len(), "{name}");
            want = want
                .iter()
                .map(|l| l.trim_start_matches("warning ").to_string())
                .collect();
            deploy_with(&proxy, &root(), case, &["--strict"])
        } else {
            deploy(&proxy, &root(), case)
        };
        assert_eq!(r.code, 2, "{name}: exit code\n{}\n{}", r.stdout, r.stderr);
        assert!(took < TIME_LIMIT, "{name} took {took:?}");
        let report: Value =
            serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{}", r.stdout));
        assert_eq!(report["outcome"], "invalid", "{name}");
        assert_eq!(problems(&report), want, "{name}");
        // The same problems, for people, on stderr: file:line:column (field).
        let first = want[0].trim_start_matches("warning ");
        let first = first.split('\t').collect::<Vec<_>>();
        let loc = format!("{name}.yml:{}", first[0]);
        assert!(
            r.stderr.contains(&loc),
            "{name}: {loc} not on stderr\n{}",
            r.stderr
        );
    }
    assert!(lenient >= 10, "{lenient} cases of keys Copilot ignores");
    assert!(
        proxy.counts().is_empty(),
        "AWS was called: {:?}",
        proxy.counts()
    );
}

const BASE: &str =
    "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1.27\n  port: 8080\n";

#[test]
fn hostile_files_are_refused_quickly_and_clearly() {
    let proxy = Proxy::start("http://127.0.0.1:9", 0);
    let t = TempDir::new("hostile");
    let mut bomb = format!("{BASE}x-a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for i in 1..12 {
        let prev = if i == 1 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        bomb += &format!(
            "x-b{i}: &b{i} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        );
    }
    bomb += "variables:\n  BOMB: *b11\n";
    let big: String = (0..200_000).map(|i| format!("  VAR_{i}: value number {i} padded to make the file larger xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")).collect();
    let near_limit: String = (0..40_000)
        .map(|i| format!("  VAR_{i}: value {i}\n"))
        .collect();
    let deep_block: String = (0..500)
        .map(|i| format!("  {}k{i}:\n", " ".repeat(i)))
        .collect();
    let mut garbage = Vec::new();
    let mut x: u32 = 2463534242;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage.push((x & 0xff) as u8);
    }
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.yml", Vec::new(), "the manifest is empty"),
        (
            "blank.yml",
            b"  \n\n# only a comment\n".to_vec(),
            "the manifest is empty",
        ),
        (
            "latin1.yml",
            [BASE.as_bytes(), b"variables:\n  CAF\xc9: x\n"].concat(),
            "not UTF-8",
        ),
        ("garbage.yml", garbage, "not UTF-8"),
        (
            "binary.yml",
            [BASE.as_bytes(), b"\x00\x01\x02\x03"].concat(),
            "binary data",
        ),
        ("bomb.yml", bomb.into_bytes(), "billion laughs"),
        (
            "deep-flow.yml",
            format!(
                "{BASE}variables: {}{}\n",
                "[".repeat(200_000),
                "]".repeat(200_000)
            )
            .into_bytes(),
            "nested too deeply",
        ),
        (
            "deep-block.yml",
            format!("{BASE}variables:\n{deep_block}").into_bytes(),
            "nested too deeply",
        ),
        (
            "twenty-megabytes.yml",
            format!("{BASE}variables:\n{big}").into_bytes(),
            "larger than 1 MiB are refused",
        ),
        (
            "near-the-limit.yml",
            format!("{BASE}variables:\n{near_limit}cpu: 300\n").into_bytes(),
            "Fargate does not offer 300 CPU units",
        ),
    ];
    for (name, bytes, needle) in files {
        let path = t.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (r, took) = deploy(&proxy, t.path(), &path);
        assert_eq!(r.code, 2, "{name}\n{}", r.stderr);
        assert!(took < TIME_LIMIT, "{name} took {took:?}");
        assert!(
            r.stderr.contains(needle),
            "{name}: {needle:?} not in\n{}",
            r.stderr
        );
    }
    std::fs::create_dir_all(t.path().join("a-directory")).unwrap();
    for (name, needle) in [
        ("missing.yml", "no such file"),
        ("a-directory", "is a directory"),
    ] {
        let (r, _) = deploy(&proxy, t.path(), &t.path().join(name));
        assert_eq!(r.code, 2, "{name}");
        assert!(r.stderr.contains(needle), "{name}: {}", r.stderr);
    }
    assert!(
        proxy.counts().is_empty(),
        "AWS was called: {:?}",
        proxy.counts()
    );
}
