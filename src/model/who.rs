//! Who a command is for: an application, an environment, a workload.

use crate::names::copilot::{TAG_APP, TAG_ENV, TAG_SVC};

/// Who the deploy is for.
#[derive(Clone, Copy, Debug)]
pub struct Who<'a> {
    pub app: &'a str,
    pub env: &'a str,
    pub svc: &'a str,
}

impl<'a> Who<'a> {
    /// The tags Copilot puts on this service's resources.
    pub fn copilot_tags(self) -> [(&'static str, &'a str); 3] {
        [
            (TAG_APP, self.app),
            (TAG_ENV, self.env),
            (TAG_SVC, self.svc),
        ]
    }
}
