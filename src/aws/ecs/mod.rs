//! ECS: task definitions (`taskdef`) and services with their rollouts (`service`).

mod service;
mod taskdef;

pub use service::{cluster_is_active, create_service, describe_service, update_service};
pub use taskdef::{describe_task_definition, from_described, register_task_definition};

use crate::aws::{AwsError, ErrorKind};

/// A request the SDK's builders refused to build (a required field missing).
fn build_err(
    op: &'static str,
) -> impl FnOnce(aws_smithy_types::error::operation::BuildError) -> AwsError {
    move |e| AwsError::new(op, ErrorKind::Invalid, e.to_string())
}
