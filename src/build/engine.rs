//! The local container engines that build and push: Docker (BuildKit),
//! Podman, Buildah. Their command lines are pure ([`Engine::build_args`],
//! [`Engine::push_args`]); running them streams their output line by line.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc::UnboundedSender;

use super::inputs::BuildSpec;

/// Lines kept of a failed build, for its message.
const LAST_LINES: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
    Buildah,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Docker, Engine::Podman, Engine::Buildah];

    pub fn program(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
            Engine::Buildah => "buildah",
        }
    }

    pub fn from_name(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.program() == name)
    }

    /// The command line that builds `spec` as every one of `tags`.
    pub fn build_args(
        self,
        spec: &BuildSpec,
        tags: &[String],
        labels: &[(String, String)],
    ) -> Vec<String> {
        // The three take the same flags for what a manifest sets.
        let _ = self;
        let mut a: Vec<String> = vec!["build".into()];
        a.push("--file".into());
        a.push(spec.dockerfile.display().to_string());
        a.push("--platform".into());
        a.push(spec.platform.clone());
        for t in tags {
            a.push("--tag".into());
            a.push(t.clone());
        }
        if let Some(t) = &spec.target {
            a.push("--target".into());
            a.push(t.clone());
        }
        for (k, v) in &spec.args {
            a.push("--build-arg".into());
            a.push(format!("{k}={v}"));
        }
        for c in &spec.cache_from {
            a.push("--cache-from".into());
            a.push(c.clone());
        }
        for (k, v) in labels {
            a.push("--label".into());
            a.push(format!("{k}={v}"));
        }
        a.push(spec.context.display().to_string());
        a
    }

    /// The command line that pushes `image`, with the credentials in
    /// `auth_dir` (a `config.json` in Docker's and containers' format), the
    /// pushed digest written to `digest_file` where the engine can.
    pub fn push_args(
        self,
        image: &str,
        auth_dir: &Path,
        digest_file: &Path,
        insecure: bool,
    ) -> Vec<String> {
        let auth = auth_dir.join("config.json").display().to_string();
        match self {
            Engine::Docker => vec![
                "--config".into(),
                auth_dir.display().to_string(),
                "push".into(),
                image.into(),
            ],
            Engine::Podman | Engine::Buildah => {
                let mut a = vec![
                    "push".into(),
                    "--authfile".into(),
                    auth,
                    "--digestfile".into(),
                    digest_file.display().to_string(),
                ];
                if insecure {
                    a.push("--tls-verify=false".into());
                }
                a.push(image.into());
                a.push(format!("docker://{image}"));
                a
            }
        }
    }

    /// Whether the engine is there and can build: Docker's daemon must
    /// answer, the others need none.
    pub async fn usable(self) -> bool {
        let probe: &[&str] = match self {
            Engine::Docker => &["info", "--format", "{{.ServerVersion}}"],
            Engine::Podman | Engine::Buildah => &["--version"],
        };
        Command::new(self.program())
            .args(probe)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success())
    }

    /// The engine to use: the one named, else the first usable in order.
    pub async fn find(named: Option<Engine>) -> Result<Engine, String> {
        if let Some(e) = named {
            return if e.usable().await {
                Ok(e)
            } else {
                Err(format!(
                    "the container engine {} cannot be run here{}",
                    e.program(),
                    if e == Engine::Docker {
                        " (is its daemon running?)"
                    } else {
                        ""
                    }
                ))
            };
        }
        for e in Engine::ALL {
            if e.usable().await {
                return Ok(e);
            }
        }
        Err("no container engine to build with: install Docker (with BuildKit), Podman or Buildah, or deploy an image pushed elsewhere with --no-build --image-tag TAG".into())
    }
}

/// The digest Docker prints when a push ends: `TAG: digest: sha256:... size: N`.
pub fn digest_in_push_output(lines: &[String]) -> Option<String> {
    lines.iter().rev().find_map(|l| {
        let (_, rest) = l.split_once("digest: ")?;
        let d = rest.split_whitespace().next()?;
        d.starts_with("sha256:").then(|| d.to_string())
    })
}

/// Runs `engine args`, sending each output line to `lines` as
/// `(container, line)`; the last lines on failure.
pub async fn run(
    engine: Engine,
    args: &[String],
    envs: &[(String, String)],
    container: &str,
    lines: &UnboundedSender<(String, String)>,
) -> Result<Vec<String>, Vec<String>> {
    let mut child = match Command::new(engine.program())
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Err(vec![format!("cannot start {}: {e}", engine.program())]),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    for out in [
        child
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut r = BufReader::new(out).lines();
            while let Ok(Some(l)) = r.next_line().await {
                let _ = tx.send(l);
            }
        });
    }
    drop(tx);
    let mut kept = std::collections::VecDeque::new();
    while let Some(l) = rx.recv().await {
        let _ = lines.send((container.to_string(), l.clone()));
        kept.push_back(l);
        if kept.len() > LAST_LINES {
            kept.pop_front();
        }
    }
    let kept: Vec<String> = kept.into();
    match child.wait().await {
        Ok(s) if s.success() => Ok(kept),
        Ok(s) => {
            let mut k = kept;
            k.push(format!("{} exited with {s}", engine.program()));
            Err(k)
        }
        Err(e) => Err(vec![e.to_string()]),
    }
}

/// A private directory for the registry credentials (mode 0700, its file
/// 0600), removed when dropped: the builder reads them from there, so they
/// are never on a command line (which other users of the machine can read).
pub struct AuthDir {
    path: PathBuf,
}

impl AuthDir {
    pub fn new(host: &str, username: &str, password: &str) -> std::io::Result<AuthDir> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let path = std::env::temp_dir().join(format!(
            "sidecarctl-auth-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        let dir = AuthDir { path };
        let auth = aws_smithy_types::base64::encode(format!("{username}:{password}"));
        let config = serde_json::json!({"auths": {host: {"auth": auth}}});
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.path.join("config.json"))?;
        f.write_all(config.to_string().as_bytes())?;
        Ok(dir)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for AuthDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> BuildSpec {
        BuildSpec {
            container: "api".into(),
            dockerfile: "/ws/api/Dockerfile".into(),
            context: "/ws/api".into(),
            target: Some("prod".into()),
            args: vec![("GO".into(), "1.22".into())],
            cache_from: vec!["repo:latest".into()],
            platform: "linux/amd64".into(),
        }
    }

    #[test]
    fn every_engine_builds_with_the_manifests_settings() {
        let tags = vec!["h/app/api:v1".to_string(), "h/app/api:latest".to_string()];
        let labels = vec![("k".to_string(), "v".to_string())];
        for e in Engine::ALL {
            let a = e.build_args(&spec(), &tags, &labels).join(" ");
            assert_eq!(
                a,
                "build --file /ws/api/Dockerfile --platform linux/amd64 --tag h/app/api:v1 --tag h/app/api:latest --target prod --build-arg GO=1.22 --cache-from repo:latest --label k=v /ws/api"
            );
        }
    }

    #[test]
    fn pushes_read_credentials_from_the_private_directory_never_the_command_line() {
        let dir = Path::new("private");
        let digest = Path::new("private/digest");
        assert_eq!(
            Engine::Buildah
                .push_args("h/app/api:v1", dir, digest, true)
                .join(" "),
            "push --authfile private/config.json --digestfile private/digest --tls-verify=false h/app/api:v1 docker://h/app/api:v1"
        );
        assert_eq!(
            Engine::Docker
                .push_args("h/app/api:v1", dir, digest, false)
                .join(" "),
            "--config private push h/app/api:v1"
        );
    }

    #[test]
    fn dockers_push_output_gives_the_digest() {
        let out = vec![
            "abc: Pushed".to_string(),
            "v1: digest: sha256:0123 size: 528".to_string(),
        ];
        assert_eq!(digest_in_push_output(&out).as_deref(), Some("sha256:0123"));
        assert_eq!(digest_in_push_output(&["nothing".to_string()]), None);
    }

    #[test]
    fn the_credentials_directory_is_private_and_goes_away() {
        use std::os::unix::fs::PermissionsExt;
        let dir = AuthDir::new("registry.local:5000", "AWS", "secret").unwrap();
        let path = dir.path().to_path_buf();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o700);
        assert_eq!(mode(&path.join("config.json")), 0o600);
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path.join("config.json")).unwrap()).unwrap();
        assert_eq!(
            config["auths"]["registry.local:5000"]["auth"],
            aws_smithy_types::base64::encode("AWS:secret")
        );
        drop(dir);
        assert!(!path.exists());
    }
}
