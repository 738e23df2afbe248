//! The env files a manifest names, read from the workspace: each file once,
//! however many containers use it (as Copilot uploads them), with its
//! content's hash, which names its object in S3.

use std::path::Path;
use std::sync::Arc;

use super::{At, Service};
use crate::diag::{Diagnostic, Diagnostics};
use crate::names::copilot::env_file_key;

/// One env file: where the manifest names it, the containers that read it,
/// and its content.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvFile {
    /// As written (relative to the workspace, the directory that holds `copilot/`).
    pub path: At<String>,
    pub containers: Vec<String>,
    pub sha256: String,
    pub content: Arc<Vec<u8>>,
}

impl EnvFile {
    /// Its object key, as Copilot names it.
    pub fn key(&self) -> String {
        env_file_key(&self.path.value, &self.sha256)
    }
}

/// Reads every env file of `svc` under `root`; a file that is missing or
/// cannot be read is an error at the field that names it.
pub fn read_env_files(svc: &Service, root: &Path) -> (Vec<EnvFile>, Diagnostics) {
    let mut files: Vec<EnvFile> = Vec::new();
    let mut diags = Diagnostics::new();
    for (container, path) in svc.env_files() {
        if let Some(f) = files.iter_mut().find(|f| f.path.value == path.value) {
            f.containers.push(container);
            continue;
        }
        let full = root.join(&path.value);
        match std::fs::read(&full) {
            Ok(content) => {
                use sha2::Digest;
                let sha256 = sha2::Sha256::digest(&content)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                files.push(EnvFile {
                    path: path.clone(),
                    containers: vec![container],
                    sha256,
                    content: Arc::new(content),
                });
            }
            Err(e) => {
                let reason = match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                    _ => e.to_string(),
                };
                diags.push(
                    Diagnostic::error(
                        "env-file",
                        format!("cannot read the env file {}: {reason}", path.value),
                    )
                    .at(&svc.file, path.pos)
                    .field(path.path.clone())
                    .help("env_file paths are relative to the workspace, the directory that holds copilot/"),
                );
            }
        }
    }
    (files, diags)
}
