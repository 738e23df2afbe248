//! The local AWS emulator for a test binary: the one named by
//! `SIDECARCTL_TEST_ENDPOINT` (a running moto or LocalStack), or a moto server
//! started here on a free port, which exits when the test binary does.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use super::root;

pub struct Emulator {
    pub endpoint: String,
    _server: Mutex<Option<(Child, BufReader<ChildStdout>)>>,
}

static EMULATOR: OnceLock<Emulator> = OnceLock::new();

/// The emulator, started on first use.
pub fn emulator() -> &'static Emulator {
    EMULATOR.get_or_init(|| {
        install();
        if let Ok(endpoint) = std::env::var("SIDECARCTL_TEST_ENDPOINT") {
            return Emulator {
                endpoint: endpoint.trim_end_matches('/').to_string(),
                _server: Mutex::new(None),
            };
        }
        let mut child = Command::new(python())
            .arg(root().join("localstack/serve.py"))
            .args([
                "--port",
                "0",
                "--watch-pid",
                &std::process::id().to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the emulator (localstack/serve.py)");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line)
            .expect("the emulator prints its endpoint");
        let endpoint = line.trim().to_string();
        assert!(
            endpoint.starts_with("http://"),
            "the emulator did not start: {line:?}"
        );
        Emulator {
            endpoint,
            _server: Mutex::new(Some((child, out))),
        }
    })
}

fn python() -> std::path::PathBuf {
    root().join("localstack/.venv/bin/python")
}

/// `localstack/stack install`: quick when already installed.
fn install() {
    let status = Command::new(root().join("localstack/stack"))
        .arg("install")
        .status()
        .expect("run localstack/stack install");
    assert!(status.success(), "localstack/stack install failed");
}

/// What `localstack/seed.py` created for one application.
#[derive(Debug, Clone)]
pub struct Seed {
    pub vars: BTreeMap<String, String>,
    pub secret_values: BTreeMap<String, String>,
}

impl Emulator {
    /// Seeds the example's resources for `app`/`env` (idempotent).
    pub fn seed(&self, app: &str, env: &str) -> Seed {
        let out = Command::new(python())
            .arg(root().join("localstack/seed.py"))
            .args([
                "--endpoint",
                &self.endpoint,
                "--app",
                app,
                "--env",
                env,
                "--json",
            ])
            .output()
            .expect("run seed.py");
        assert!(
            out.status.success(),
            "seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("seed prints JSON");
        let strings = |key: &str| -> BTreeMap<String, String> {
            v[key]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        };
        Seed {
            vars: strings("vars"),
            secret_values: strings("secret_values"),
        }
    }

    /// Seeds several environments of `app` in one go.
    pub fn seed_many(&self, app: &str, envs: &[String]) -> BTreeMap<String, Seed> {
        let mut cmd = Command::new(python());
        cmd.arg(root().join("localstack/seed.py")).args([
            "--endpoint",
            &self.endpoint,
            "--app",
            app,
            "--json",
        ]);
        for e in envs {
            cmd.args(["--env", e]);
        }
        let out = cmd.output().expect("run seed.py");
        assert!(
            out.status.success(),
            "seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("seed prints JSON");
        let strings = |v: &serde_json::Value| -> BTreeMap<String, String> {
            v.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        };
        if envs.len() == 1 {
            return BTreeMap::from([(
                envs[0].clone(),
                Seed {
                    vars: strings(&v["vars"]),
                    secret_values: strings(&v["secret_values"]),
                },
            )]);
        }
        envs.iter()
            .map(|e| {
                (
                    e.clone(),
                    Seed {
                        vars: strings(&v[e]["vars"]),
                        secret_values: strings(&v[e]["secret_values"]),
                    },
                )
            })
            .collect()
    }

    /// An SDK configuration for the emulator.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await
    }

    /// A raw AWS JSON 1.1 call (`X-Amz-Target`), bypassing the SDK, to see
    /// exactly what the emulator stores.
    pub fn json_call(&self, target: &str, body: &serde_json::Value) -> serde_json::Value {
        use std::io::{Read, Write};
        let host = self.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).expect("connect to the emulator");
        let body = body.to_string();
        let service = if target.starts_with("AmazonEC2ContainerService") {
            "ecs"
        } else if target.starts_with("AmazonSQS") {
            "sqs"
        } else if target.starts_with("AWSEvents") {
            "events"
        } else {
            "logs"
        };
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {target}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, payload) = resp.split_once("\r\n\r\n").expect("an HTTP answer");
        assert!(
            head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
            "{head}\n{payload}"
        );
        let payload = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(payload)
        } else {
            payload.to_string()
        };
        serde_json::from_str(&payload).expect("a JSON answer")
    }
}

impl Emulator {
    /// A raw S3 PUT, path-style (`/{bucket}` or `/{bucket}/{key}`): a bucket
    /// or an object, as Copilot's application bucket holds its templates.
    /// (The tests need no S3 client beyond this.)
    pub fn s3_put(&self, path: &str, body: &[u8]) {
        use std::io::{Read, Write};
        let host = self.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).expect("connect to the emulator");
        write!(
            s,
            "PUT {path} HTTP/1.1\r\nHost: {host}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\n\
             x-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        assert!(
            resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"),
            "PUT {path}: {resp}"
        );
    }

    /// A raw S3 GET, path-style (`/{bucket}/{key}`): the object's bytes.
    pub fn s3_get(&self, path: &str) -> Vec<u8> {
        use std::io::{Read, Write};
        let host = self.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).expect("connect to the emulator");
        write!(
            s,
            "GET /{} HTTP/1.1\r\nHost: {host}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\n\
             x-amz-content-sha256: UNSIGNED-PAYLOAD\r\nConnection: close\r\n\r\n",
            path.trim_start_matches('/')
        )
        .unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).unwrap();
        let text = String::from_utf8_lossy(&resp).into_owned();
        assert!(
            text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200"),
            "GET {path}: {text}"
        );
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body).into_bytes()
        } else {
            body.as_bytes().to_vec()
        }
    }
}

impl Emulator {
    /// EventBridge Scheduler's schedule `name` in the default group, as the
    /// emulator holds it (a raw GET: the tests need no Scheduler client).
    pub fn schedule(&self, name: &str) -> Option<serde_json::Value> {
        use std::io::{Read, Write};
        let host = self.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).expect("connect to the emulator");
        write!(
            s,
            "GET /schedules/{name} HTTP/1.1\r\nHost: {host}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/scheduler/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").expect("an HTTP answer");
        if head.contains(" 404 ") {
            return None;
        }
        assert!(head.contains(" 200 "), "GET schedule {name}: {resp}");
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        Some(serde_json::from_str(&body).expect("a JSON answer"))
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}
