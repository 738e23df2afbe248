//! `image.build`: the main container's and a sidecar's images built by
//! Buildah (Debian's, as root: `vfs` storage, `chroot` isolation), pushed
//! with ECR's credentials to a real registry that the proxy serves as ECR's,
//! and pinned by digest; an image of the same inputs is never built again.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Run, Stage, run};

/// The moto ECR token's password (`{account}-auth-token`), and the token.
const PASSWORD: &str = "123456789012-auth-token";
const TOKEN: &str = "QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu";

fn with_builder(c: &mut Command) -> &mut Command {
    c.env("SIDECARCTL_BUILDER", "buildah")
        .env("STORAGE_DRIVER", "vfs")
        .env("BUILDAH_ISOLATION", "chroot")
}

/// The config-agent sidecar built from `agent/`, the workspace a git
/// repository with everything committed.
fn workspace_that_builds(s: &Stage) -> String {
    s.ws.write(
        "agent/Dockerfile",
        "FROM scratch\nCOPY agent.conf /etc/agent.conf\n",
    );
    s.ws.write("agent/agent.conf", "interval=1\n");
    s.ws.write("agent/.dockerignore", "*.log\n");
    let m = s.manifest().replacen(
        "    image: registry.example.com/platform/config-agent:1.4\n",
        "    image:\n      build: agent/Dockerfile\n",
        1,
    );
    s.write_manifest(&m);
    git(s.ws.path(), &["init", "-q"]);
    commit(s.ws.path())
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "change"]);
    git(dir, &["rev-parse", "--short", "HEAD"])
}

fn deploy(s: &Stage, extra: &[&str]) -> (Run, Value) {
    let mut cmd = s.deploy_command(extra);
    cmd.args(["-o", "json"]);
    let r = run(with_builder(&mut cmd));
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r, v)
}

fn builds(report: &Value) -> Vec<(String, String, String)> {
    report["builds"]
        .as_array()
        .unwrap_or_else(|| panic!("builds in the report: {report:#}"))
        .iter()
        .map(|b| {
            (
                b["container"].as_str().unwrap().to_string(),
                b["how"].as_str().unwrap().to_string(),
                b["image"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Each container's image in the service's task definition.
async fn images(s: &Stage) -> std::collections::BTreeMap<String, String> {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td = sidecarctl::aws::ecs::describe_task_definition(&ecs, &s.family())
        .await
        .unwrap()
        .expect("registered")
        .document;
    td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["image"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A directory holding only `git`: the builder is not on this PATH.
fn path_without_builders() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sidecarctl-nobuild-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let git = ["/usr/bin/git", "/usr/local/bin/git"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("git");
    let _ = std::os::unix::fs::symlink(git, dir.join("git"));
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn images_are_built_pushed_and_pinned_and_the_same_inputs_never_built_twice() {
    let s = Stage::with_registry("build");
    let sha = workspace_that_builds(&s);

    // Built, pushed (with the token's credentials: the registry refuses
    // anything else) and pinned by the digests pushed.
    let (r, report) = deploy(&s, &[]);
    r.assert_code(0);
    let first = builds(&report);
    assert_eq!(
        first
            .iter()
            .map(|b| (b.0.as_str(), b.1.as_str()))
            .collect::<Vec<_>>(),
        [("api", "built"), ("config-agent", "built")],
        "{report:#}"
    );
    assert_eq!(
        report["builds"][0]["tags"][0], sha,
        "tagged with the commit"
    );
    assert_eq!(
        report["builds"][1]["tags"][0],
        format!("config-agent-{sha}")
    );
    let counts = s.proxy.counts();
    assert!(counts["registry:PutManifest"] >= 2, "{counts:?}");
    let td = images(&s).await;
    assert_eq!(td["api"], first[0].2);
    assert_eq!(td["config-agent"], first[1].2);
    assert!(
        td["api"].contains(&format!("/{}/api@sha256:", s.app)),
        "{td:?}"
    );
    // ECR knows the commit's tag as the digest pinned.
    let ecr = aws_sdk_ecr::Client::new(&s.sdk().await);
    let found = ecr
        .describe_images()
        .repository_name(format!("{}/api", s.app))
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(&sha)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let digest = found.image_details()[0].image_digest().unwrap();
    assert!(td["api"].ends_with(digest), "{td:?} {digest}");
    // The credentials are in no output.
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains(PASSWORD) && !text.contains(TOKEN));
    }

    // No change: no builder on the PATH, none needed; the same digests,
    // nothing written, not even to the registry.
    s.proxy.reset();
    let mut cmd = s.deploy_command(&["-o", "json", "-vv"]);
    with_builder(&mut cmd).env("PATH", path_without_builders());
    let r = run(&mut cmd);
    r.assert_code(0);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let again = builds(&report);
    assert!(again.iter().all(|b| b.1 == "reused"), "{again:?}");
    assert_eq!(
        again.iter().map(|b| &b.2).collect::<Vec<_>>(),
        first.iter().map(|b| &b.2).collect::<Vec<_>>()
    );
    assert_eq!(report["outcome"], "unchanged");
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());
    assert!(
        s.proxy
            .counts()
            .keys()
            .all(|op| !op.starts_with("registry:")),
        "{:?}",
        s.proxy.counts()
    );
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains(PASSWORD) && !text.contains(TOKEN), "-vv");
    }

    // An ignored file changes nothing; a file of the sidecar's context
    // builds the sidecar again, and only it.
    s.ws.write("agent/debug.log", "noise\n");
    s.ws.write("agent/agent.conf", "interval=2\n");
    let sha2 = commit(s.ws.path());
    let (r, report) = deploy(&s, &[]);
    r.assert_code(0);
    let third = builds(&report);
    assert_eq!(third[0].1, "reused");
    assert_eq!(third[0].2, first[0].2);
    assert_eq!(third[1].1, "built");
    assert_ne!(third[1].2, first[1].2);
    assert_eq!(
        report["builds"][1]["tags"][0],
        format!("config-agent-{sha2}")
    );
    assert_eq!(images(&s).await["config-agent"], third[1].2);
}

#[test]
fn a_broken_dockerfile_fails_with_the_builders_last_lines_before_any_write() {
    let s = Stage::with_registry("badbuild");
    workspace_that_builds(&s);
    s.ws.write(
        "agent/Dockerfile",
        "FROM scratch\nCOPY missing.conf /etc/agent.conf\n",
    );
    let (r, report) = deploy(&s, &[]);
    r.assert_code(1);
    let error = report["error"].as_str().unwrap();
    assert!(
        error.contains("the build of the image of config-agent failed")
            && error.contains("missing.conf")
            && error.contains("nothing was changed"),
        "{error}"
    );
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());
}

#[test]
fn without_a_builder_the_message_says_what_to_install() {
    let s = Stage::with_registry("nobuilder");
    workspace_that_builds(&s);
    let mut cmd = s.deploy_command(&[]);
    cmd.env("PATH", path_without_builders())
        .env_remove("SIDECARCTL_BUILDER");
    let r = run(&mut cmd);
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("install Docker (with BuildKit), Podman or Buildah"),
        "{}",
        r.stderr
    );
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());
}

#[test]
fn build_pushes_and_prints_the_pinned_images_for_a_later_deploy() {
    let s = Stage::with_registry("buildonly");
    workspace_that_builds(&s);
    let mut cmd = s.cmd();
    cmd.args([
        "build",
        "api",
        "--env",
        "test",
        "--image-tag",
        "release-7",
        "-o",
        "json",
    ]);
    let r = run(with_builder(&mut cmd));
    r.assert_code(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{v:#}");
    assert_eq!(images[0]["tags"][0], "release-7");
    assert!(images[0]["image"].as_str().unwrap().contains("@sha256:"));
    // Pushed, tagged in ECR: nothing deployed.
    let changes = s.proxy.changes();
    assert!(
        changes
            .keys()
            .all(|op| op.starts_with("registry:") || op == "ecr:PutImage"),
        "{changes:?}"
    );

    // A pipeline deploys the tag later without a builder: found as pushed,
    // with the other reads (no build stage, no round trip of its own).
    s.proxy.reset();
    let mut cmd = s.deploy_command(&["--image-tag", "release-7", "-o", "json"]);
    cmd.env("PATH", path_without_builders());
    let r = run(&mut cmd);
    r.assert_code(0);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(report.get("builds").is_none(), "{}", r.stderr);
    assert_eq!(report["images"]["api"]["image"], images[0]["image"]);
    assert_eq!(
        report["images"]["config-agent"]["image"],
        images[1]["image"]
    );
    assert!(!s.proxy.counts().contains_key("ecr:DescribeRepositories"));

    // A tag not pushed yet is built, then deployed.
    let mut cmd = s.deploy_command(&["--image-tag", "release-8", "-o", "json"]);
    let r = run(with_builder(&mut cmd));
    r.assert_code(0);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["builds"][0]["tags"][0], "release-8", "{report:#}");
    assert_eq!(
        report["outcome"], "unchanged",
        "the same inputs: the same image"
    );
}
