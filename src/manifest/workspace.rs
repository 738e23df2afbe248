//! Where things are in a Copilot workspace.
//!
//! ```text
//! copilot/.workspace                       application: NAME
//! copilot/{svc}/manifest.yml               a service
//! copilot/{svc}/addons/*.yml               its add-ons (IAM managed policies)
//! copilot/environments/{env}/manifest.yml  an environment
//! ```

use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Workspace {
    /// The `copilot/` directory.
    pub dir: PathBuf,
}

impl Workspace {
    /// The nearest `copilot/` directory at or above `start`.
    pub fn find(start: &Path) -> Option<Workspace> {
        let mut cur = Some(start);
        while let Some(dir) = cur {
            if dir.file_name().is_some_and(|n| n == "copilot") && dir.join(".workspace").is_file() {
                return Some(Workspace {
                    dir: dir.to_path_buf(),
                });
            }
            let candidate = dir.join("copilot");
            if candidate.is_dir() {
                return Some(Workspace { dir: candidate });
            }
            cur = dir.parent();
        }
        None
    }

    /// The workspace a manifest belongs to: `copilot/{svc}/manifest.yml`.
    pub fn of_manifest(manifest: &Path) -> Option<Workspace> {
        let svc_dir = manifest.parent()?;
        let dir = svc_dir.parent()?;
        let looks_right =
            dir.file_name().is_some_and(|n| n == "copilot") || dir.join(".workspace").is_file();
        if looks_right {
            return Some(Workspace {
                dir: dir.to_path_buf(),
            });
        }
        Workspace::find(svc_dir)
    }

    /// `application:` from `copilot/.workspace`.
    pub fn app_name(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join(".workspace")).ok()?;
        let node = crate::yaml::parse(&text).ok()?;
        node.get("application")?.scalar_text()
    }

    pub fn service_manifest(&self, svc: &str) -> PathBuf {
        self.dir.join(svc).join("manifest.yml")
    }

    pub fn env_manifest(&self, env: &str) -> PathBuf {
        self.dir.join("environments").join(env).join("manifest.yml")
    }

    pub fn addons_dir(&self, svc: &str) -> PathBuf {
        self.dir.join(svc).join("addons")
    }

    /// Service names: directories holding a `manifest.yml`, sorted.
    pub fn services(&self) -> Vec<String> {
        list_dirs(&self.dir)
            .into_iter()
            .filter(|n| n != "environments" && self.service_manifest(n).is_file())
            .collect()
    }

    /// Environment names under `copilot/environments/`, sorted.
    pub fn environments(&self) -> Vec<String> {
        list_dirs(&self.dir.join("environments"))
            .into_iter()
            .filter(|n| self.env_manifest(n).is_file())
            .collect()
    }
}

fn list_dirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// A path as the user would like to read it: relative to the current directory
/// when it is below it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        return path.display().to_string();
    };
    match cwd.as_deref().and_then(|c| abs.strip_prefix(c).ok()) {
        Some(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => abs.display().to_string(),
    }
}
