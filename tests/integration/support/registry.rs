//! An OCI registry for a test binary (`localstack/registry.py`, Debian's
//! docker-registry), started on first use; it stops when the test binary
//! does. The proxy serves it as ECR's registry. Buildah and the registry
//! are installed first when missing (`localstack/stack install-builder`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The registry's endpoint.
pub fn registry() -> &'static str {
    static REGISTRY: OnceLock<String> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        // The registry and the builder are Debian's: installed when missing.
        let status = Command::new(super::root().join("localstack/stack"))
            .arg("install-builder")
            .status()
            .expect("run localstack/stack install-builder");
        assert!(status.success(), "localstack/stack install-builder failed");
        let mut child = Command::new("python3")
            .arg(super::root().join("localstack/registry.py"))
            .args(["--watch-pid", &std::process::id().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start localstack/registry.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the registry prints its endpoint");
        let endpoint = line.trim().to_string();
        // It watches this process and stops with it; nothing waits on it here.
        std::mem::forget(child);
        assert!(
            endpoint.starts_with("http://"),
            "the registry did not start (apt-get install docker-registry): {line:?}"
        );
        endpoint
    })
}
