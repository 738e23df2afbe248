//! Rendering, pure: a validated [`Service`](crate::manifest::Service) and the
//! resolved [`Facts`] in, the ECS task definition and the IAM policies out.

pub mod addons;
pub mod document;
pub mod ecs_schema;
pub mod facts;
pub mod iam;
pub mod limits;
pub mod overrides;
pub mod taskdef;

pub use facts::{AddonOutputs, Facts, ManagedEfs, MessagingFacts};
pub use iam::{Policies, PolicyDocument, render_policies};
pub use taskdef::{TaskDefinition, render_task_definition};
