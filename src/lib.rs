//! sidecarctl: deploy AWS Copilot service manifests (sidecars, FireLens, EFS)
//! straight to ECS, without CloudFormation.
//!
//! The data flows one way, and the modules follow it:
//!
//! ```text
//! cli → manifest (load) → validate → aws (resolve, concurrently) → render → deploy (diff, apply, watch)
//!                                                                          logs (read, follow)
//! ```
//!
//! `manifest`, `validate` and `render` are pure; everything that talks to AWS is
//! in `aws`, which returns domain types.

#[cfg(feature = "cli")]
pub mod aws;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod deploy;
pub mod diag;
#[cfg(feature = "cli")]
pub mod logs;
pub mod manifest;
pub mod render;
pub mod term;
pub mod validate;
pub mod yaml;
