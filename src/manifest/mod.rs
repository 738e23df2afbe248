//! Copilot manifests: the workspace layout, reading YAML into typed fields with
//! positions, `${VAR}` substitution and `environments:` overrides.

pub mod addons;
pub mod decode;
pub mod env_files;
pub mod environment;
pub mod from_cfn;
pub mod http;
pub mod load;
pub mod types;
pub mod workload;
pub mod workspace;

pub use decode::At;
pub use environment::EnvManifest;
pub use http::Target;
pub use load::{
    LoadContext, load_environment, load_service, override_names, parse_tree, read_source,
};
pub use types::*;
pub use workspace::{Workspace, display_path};
