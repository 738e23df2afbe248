//! What resolving found: the facts to render with and what runs.

use std::collections::BTreeMap;

use super::Placement;
use crate::manifest::Service;
use crate::names::RoleNames;
use crate::names::copilot::ManagedAccessPoint;
use crate::render::Facts;
use crate::render::addons::RenderedPolicy;
use crate::state::Current;

/// Everything a deploy knows once resolved.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub facts: Facts,
    /// Container → image digest, for the images found in ECR.
    pub digests: BTreeMap<String, String>,
    /// Add-on policies with the ARN each gets.
    pub addon_policies: Vec<(RenderedPolicy, String)>,
    /// The roles sidecarctl manages, if it does.
    pub managed_roles: Option<RoleNames>,
    pub current: Current,
    /// Where the service runs, and where that was found.
    pub placement: Placement,
    /// The manifest with its `from_cfn` exports in place, when it has any.
    pub service: Option<Service>,
    /// The access point an `efs: true` volume needs and does not have yet:
    /// the deploy's first write.
    pub create_access_point: Option<(String, ManagedAccessPoint)>,
    /// `http.alb`'s load balancer and listeners.
    pub imported_alb: Option<crate::state::lb::ImportedAlb>,
    /// A Worker Service's queues in Copilot's service stack (for
    /// `count.queue_delay`).
    pub queues: Vec<String>,
    /// Where the env files go, and which are there already.
    pub env_files: Option<crate::state::EnvFileStore>,
    /// The service's topics, queues and subscriptions as they are.
    pub messaging: Option<crate::state::messaging::Messaging>,
}

/// Stands for the access point a deploy is about to create (in a dry run's plan).
pub const ACCESS_POINT_TO_CREATE: &str = "(the access point this deploy creates)";

impl Resolved {
    /// The facts once the access point was created.
    pub fn with_access_point(&self, id: &str) -> Resolved {
        let mut r = self.clone();
        if let Some(m) = &mut r.facts.managed_efs {
            m.access_point_id = id.to_string();
        }
        r.create_access_point = None;
        r
    }

    /// The facts once the service's missing queues were created.
    pub fn with_queues(
        &self,
        svc: &crate::manifest::Service,
        app: &str,
        env: &str,
        made: Vec<crate::state::messaging::Queue>,
    ) -> Resolved {
        let mut r = self.clone();
        let Some(now) = &mut r.messaging else {
            return r;
        };
        now.queues.extend(made);
        let f = &self.facts;
        let place = super::messaging::Place {
            app,
            env,
            partition: &f.partition,
            region: &f.region,
            account: &f.account,
        };
        r.facts.messaging = super::messaging::facts(svc, &place, now);
        r
    }
}
