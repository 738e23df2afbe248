//! Rendering, pure: a validated [`Service`](crate::manifest::Service) and the
//! resolved [`Facts`] in, the ECS task definition and the IAM policies out.

pub mod addons;
pub mod document;
pub mod facts;
pub mod iam;
pub mod limits;
pub mod taskdef;

pub use facts::{AddonOutputs, Facts, ManagedEfs};
pub use iam::{Policies, PolicyDocument, render_policies};
pub use taskdef::{TaskDefinition, render_task_definition};

/// The task definition as pretty JSON, with a final newline: byte-identical for
/// the same input.
pub fn to_json(td: &TaskDefinition) -> String {
    let mut s = serde_json::to_string_pretty(td).unwrap_or_default();
    s.push('\n');
    s
}
