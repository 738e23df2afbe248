//! Rules a service manifest must follow beyond its shape: Copilot's own checks
//! (with its wording where it has one) and the ones ECS and Fargate would
//! otherwise reject at deploy time. Pure: a [`Service`] in, diagnostics out.

mod containers;
mod job;
mod lb;
mod limits;
mod storage;
mod task;

pub use limits::{MAX_CONTAINERS, family_problem, name_chars_ok, name_part_problem};

use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::manifest::{At, Service};
use crate::yaml::Pos;

/// Every rule, in one pass; returns all the problems found.
pub fn validate(svc: &Service) -> Diagnostics {
    let mut v = Check::new(&svc.file);
    containers::names(svc, &mut v);
    limits::container_count(svc, &mut v);
    limits::names(svc, &mut v);
    limits::variable_names(svc, &mut v);
    limits::mount_paths(svc, &mut v);
    containers::images(svc, &mut v);
    containers::ports(svc, &mut v);
    lb::http_target(svc, &mut v);
    lb::nlb(svc, &mut v);
    containers::depends_on(svc, &mut v);
    containers::healthchecks(svc, &mut v);
    storage::volumes(svc, &mut v);
    storage::mount_points(svc, &mut v);
    task::fargate_size(svc, &mut v);
    task::platform(svc, &mut v);
    task::logging(svc, &mut v);
    task::credentials(svc, &mut v);
    task::secrets(svc, &mut v);
    task::network(svc, &mut v);
    task::scaling(svc, &mut v);
    job::schedule(svc, &mut v);
    // A value whose ${VAR} was not substituted was reported already: what is
    // "missing" because of it is not reported again.
    Diagnostics::from(
        v.diags
            .into_vec()
            .into_iter()
            .filter(|d| {
                !(d.code == "missing-field"
                    && d.field
                        .as_deref()
                        .is_some_and(|f| svc.follows_from_unresolved(f)))
            })
            .collect::<Vec<_>>(),
    )
}

/// Collects diagnostics for one file.
pub(crate) struct Check {
    file: Arc<SourceFile>,
    pub diags: Diagnostics,
}

impl Check {
    fn new(file: &Arc<SourceFile>) -> Self {
        Check {
            file: file.clone(),
            diags: Diagnostics::new(),
        }
    }

    fn error(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        path: &str,
    ) -> &mut Diagnostic {
        self.push(Diagnostic::error(code, message), pos, path)
    }

    fn warning(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        path: &str,
    ) -> &mut Diagnostic {
        self.push(Diagnostic::warning(code, message), pos, path)
    }

    fn error_at<T>(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        at: &At<T>,
    ) -> &mut Diagnostic {
        self.error(code, message, at.pos, &at.path.clone())
    }

    fn push(&mut self, d: Diagnostic, pos: Pos, path: &str) -> &mut Diagnostic {
        self.diags.push_mut(d.at(&self.file, pos).field(path))
    }
}

/// The characters Copilot allows in a mount path.
pub(crate) fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::manifest::{LoadContext, load_service, parse_tree};

    /// Loads a manifest from text, for rule tests.
    pub fn service(yaml: &str) -> Service {
        service_in(yaml, None)
    }

    pub fn service_in(yaml: &str, env: Option<&str>) -> Service {
        let file = SourceFile::new("copilot/api/manifest.yml", yaml);
        let root = parse_tree(&file).expect("test manifest parses");
        let lookup = |_: &str| None;
        let cx = LoadContext {
            app: "demo",
            env,
            lookup: &lookup,
        };
        let (svc, diags) = load_service(&file, &root, &cx);
        assert!(
            !diags.has_errors(),
            "test manifest decodes: {:?}",
            diags.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        );
        svc.expect("a service")
    }

    /// The codes of the errors and warnings `validate` reports.
    pub fn codes(yaml: &str) -> Vec<&'static str> {
        validate(&service(yaml)).iter().map(|d| d.code).collect()
    }

    pub const BASE: &str = "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1.27\n  port: 8080\n";
}
