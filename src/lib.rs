//! sidecarctl: deploy AWS Copilot service manifests (sidecars, FireLens, EFS)
//! straight to ECS, without CloudFormation.
//!
//! The data flows one way, and the modules follow it:
//!
//! ```text
//! cli → manifest (load) → validate → deploy::resolve → render → deploy::plan → deploy::apply → deploy::watch
//!                                                                logs (read, follow)
//! ```
//!
//! The functional core — [`yaml`], [`manifest`], [`validate`], [`render`],
//! [`diag`] — is pure and builds without the AWS crates
//! (`--no-default-features`), with [`discover`] (what Copilot's stacks say)
//! and [`plan`]. The imperative shell needs the default `cli` feature: `aws`
//! makes every AWS call and returns domain types; `deploy`, `adopt` and `logs`
//! drive it; `cli` parses flags and maps outcomes to exit codes.

pub mod adopt;
#[cfg(feature = "cli")]
pub mod aws;
#[cfg(feature = "cli")]
pub mod cli;
pub mod clock;
#[cfg(feature = "cli")]
pub mod deploy;
pub mod diag;
pub mod exit;
#[cfg(feature = "cli")]
pub mod logs;
pub mod manifest;
pub mod model;
pub mod names;
pub mod plan;
pub mod render;
pub mod resolve;
pub mod state;
pub mod term;
pub mod validate;
pub mod yaml;
