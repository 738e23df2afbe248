//! sidecarctl: deploy AWS Copilot service manifests (sidecars, FireLens, EFS)
//! straight to ECS, without CloudFormation.
//!
//! The data flows one way, and the modules follow it:
//!
//! ```text
//! cli → manifest (load) → validate → resolve → render → plan → deploy (apply, watch)
//!                                                                logs (read, follow)
//! ```
//!
//! The functional core — [`yaml`], [`manifest`], [`validate`], [`render`],
//! [`state`], [`model`] (who, the environment, where a workload runs, what
//! resolving found), [`plan`], [`diag`], [`names`] — is pure, builds without
//! the AWS crates (`--no-default-features`), and imports nothing of the
//! shell (checked by `tests/integration/layout.rs`). The imperative shell
//! needs the default `cli` feature: `aws` makes every AWS call and returns
//! domain types; `resolve::lookup` reads, `deploy`, `adopt` and `logs` drive
//! them; `cli` parses flags and maps outcomes to exit codes.

pub mod adopt;
#[cfg(feature = "cli")]
pub mod aws;
#[cfg(feature = "cli")]
pub mod build;
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
