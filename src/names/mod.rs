//! How things are named: Copilot's names for what a service owns, ARNs, and
//! image references. Pure string work, in one place, so that a name is built
//! once and parsed once.

pub mod arn;
pub mod copilot;
pub mod image;
pub mod sidecarctl;

pub use arn::Arn;
pub use copilot::{RoleNames, family, log_group, role_names};
pub use image::{EcrImage, ImageRef};
