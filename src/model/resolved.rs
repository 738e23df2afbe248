//! What resolving found: the facts to render with and what runs.

use std::collections::BTreeMap;

use super::Placement;
use crate::manifest::Service;
use crate::names::RoleNames;
use crate::names::copilot::ManagedAccessPoint;
use crate::render::Facts;
use crate::state::Current;

/// Everything a deploy knows once resolved.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub facts: Facts,
    /// The add-ons stack sidecarctl keeps for the service, when it has add-ons.
    pub addons: Option<ManagedAddons>,
    /// Container → image digest, for the images found in ECR.
    pub digests: BTreeMap<String, String>,
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

/// The add-ons stack sidecarctl keeps: what it is, and what it should be.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedAddons {
    /// Its name (sidecarctl's) or id (the one `adopt` kept).
    pub stack: String,
    /// `None`: not there yet.
    pub now: Option<crate::state::stack::Stack>,
    pub want: crate::render::addons::AddonsStack,
}

/// The stack tag recording the hash of the add-ons' template and parameters.
pub const ADDONS_HASH_TAG: &str = "sidecarctl:addons-hash";

impl ManagedAddons {
    /// Whether the stack is as wanted: complete, with this template and
    /// these parameters (its tag says so).
    pub fn up_to_date(&self) -> bool {
        self.now.as_ref().is_some_and(|s| {
            matches!(s.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE")
                && s.tags.get(ADDONS_HASH_TAG) == Some(&self.want.hash)
        })
    }
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

    /// The facts once the add-ons stack is as wanted: its outputs wired.
    pub fn with_addons(&self, stack: crate::state::stack::Stack) -> Result<Resolved, Vec<String>> {
        let mut r = self.clone();
        let Some(m) = &mut r.addons else {
            return Ok(r);
        };
        let mut outputs = crate::render::AddonOutputs::default();
        let problems = crate::render::addons::wire_outputs(
            &stack.name,
            &stack.outputs,
            &m.want.template,
            &mut outputs,
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        r.facts.addon_outputs = outputs;
        m.now = Some(stack);
        Ok(r)
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
