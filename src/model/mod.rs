//! The plain types every stage shares: who a command is for ([`Who`]), the
//! environment Copilot's stack describes ([`Environment`]), where the
//! workload runs ([`Placement`]), and what resolving found ([`Resolved`]).
//! Stages depend downwards only: this module imports nothing of `resolve`,
//! `aws`, `deploy` or `cli`.

mod environment;
pub mod job_schedule;
pub mod messaging;
pub mod next_run;
pub mod order;
mod placement;
mod resolved;
pub mod schedule;
mod target_group;
mod who;

pub use environment::{Environment, lb_dns, nlb_alias_records};
pub use placement::{CopilotStacks, Network, Placement, Source, place, tagged_for};
pub use resolved::{ACCESS_POINT_TO_CREATE, ADDONS_HASH_TAG, ManagedAddons, Resolved};
pub use target_group::{DesiredNlbTargetGroup, DesiredTargetGroup, NlbHealth};
pub use who::Who;
