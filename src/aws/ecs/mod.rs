//! ECS: task definitions (`taskdef`) and services with their rollouts (`service`).

mod service;
pub mod task;
mod taskdef;

pub use service::{
    ServiceUpdate, cluster_is_active, create_service, describe_service, services_tagged,
    update_service,
};
pub use taskdef::{describe_task_definition, from_described, register_task_definition};

use crate::aws::build_err;
