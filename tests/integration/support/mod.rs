//! Helpers shared by the integration tests: the local AWS emulator, the
//! sidecarctl binary, temporary workspaces.

pub mod copilot;
pub mod emulator;
pub mod proxy;
pub mod registry;
pub mod stage;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use emulator::{Seed, emulator};
pub use proxy::Proxy;
pub use stage::{Stage, changes};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Values for the example workspace's `${VARS}` when no emulator is involved.
pub const OFFLINE_VARS: &[(&str, &str)] = &[
    ("AWS_ACCOUNT_ID", "123456789012"),
    ("AWS_REGION", "us-east-1"),
    ("EFS_ID", "fs-0123456789abcdef0"),
    ("EFS_ACCESS_POINT_ID", "fsap-0123456789abcdef0"),
    ("SECURITY_GROUP_ID", "sg-0123456789abcdef0"),
    ("VPC_ID", "vpc-0123456789abcdef0"),
    ("PUBLIC_SUBNET_1", "subnet-0123456789abcdef1"),
    ("PUBLIC_SUBNET_2", "subnet-0123456789abcdef2"),
    ("PRIVATE_SUBNET_1", "subnet-0123456789abcdef3"),
];

/// The sidecarctl binary with a clean environment: no AWS settings, no colour.
pub fn sidecarctl(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sidecarctl"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k == "NO_COLOR" || k == "TERM" {
            c.env_remove(&k);
        }
    }
    c.env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

/// Runs a command to completion.
pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().expect("the command starts");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Waits for a spawned command and collects whatever of its output was piped
/// and not already taken.
pub fn finish(mut child: Child) -> Run {
    let status = child.wait().expect("the command ends");
    let read = |pipe: Option<&mut dyn Read>| {
        let mut text = String::new();
        if let Some(p) = pipe {
            p.read_to_string(&mut text).unwrap();
        }
        text
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: read(child.stdout.as_mut().map(|p| p as &mut dyn Read)),
        stderr: read(child.stderr.as_mut().map(|p| p as &mut dyn Read)),
    }
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout and stderr together, for assertions about "anywhere in the output".
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!(
            "sidecarctl-test-{}-{label}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A copy of `examples/` whose application is named `app`.
pub fn example_workspace(app: &str) -> TempDir {
    let t = TempDir::new(app);
    copy_dir(&root().join("examples"), t.path());
    t.write("copilot/.workspace", &format!("application: {app}\n"));
    t
}

/// A unique, valid application name for one test.
pub fn unique_app(label: &str) -> String {
    format!(
        "{label}{}x{}",
        std::process::id() % 100_000,
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Compares `actual` with `tests/snapshots/{name}`; `UPDATE_SNAPSHOTS=1` rewrites it.
#[track_caller]
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  snapshot: {a}\n  now:      {b}", i + 1))
            .collect();
        panic!(
            "{name} differs from its snapshot ({} vs {} lines)\n{}\nrun with UPDATE_SNAPSHOTS=1 to accept",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// A minimal HTTP/1.1 request to a local endpoint; returns the status and body.
pub fn http(method: &str, url: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, payload) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, payload.to_string())
}
