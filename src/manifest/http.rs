//! Where a load balancer's routing rules send traffic, as Copilot decides it
//! (`RoutingRule.Target` and `exposePorts` in its manifest package).

use super::types::{HttpRule, Service, ServiceType};

/// A rule's target: the container and its port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub container: String,
    pub port: u16,
}

impl Service {
    /// The routing rules a load balancer serves: a Load Balanced Web
    /// Service's unless `http: false`, a Backend Service's when it has `http`.
    pub fn http_rules(&self) -> Vec<&HttpRule> {
        let on = match self.kind.value {
            ServiceType::LoadBalancedWebService => self.http.as_ref().is_none_or(|h| h.enabled),
            ServiceType::BackendService => self.http.as_ref().is_some_and(|h| h.enabled),
            ServiceType::WorkerService => false,
        };
        match (&self.http, on) {
            (Some(h), true) => h.rules().collect(),
            (None, true) => vec![&DEFAULT_RULE],
            _ => Vec::new(),
        }
    }

    /// The ports containers expose themselves: the main container's
    /// `image.port` and the sidecars' `port`.
    fn own_ports(&self) -> Vec<(&str, u16)> {
        let mut out = Vec::new();
        if let Some(p) = &self.image.port
            && self.kind.value != ServiceType::WorkerService
        {
            out.push((self.name.value.as_str(), p.value));
        }
        for (name, sc) in &self.sidecars {
            if let Some(p) = &sc.port {
                out.push((name.as_str(), p.port));
            }
        }
        out
    }

    /// Where `rule` sends traffic: its `target_container` (the main container
    /// by default) on its `target_port`; without a target container, the
    /// container exposing the target port; without a target port, the target
    /// container's own port (80 when it has none).
    pub fn rule_target(&self, rule: &HttpRule) -> Target {
        let own = self.own_ports();
        let main = self.name.value.as_str();
        let port_of = |c: &str| own.iter().find(|(n, _)| *n == c).map(|(_, p)| *p);
        match (&rule.target_container, &rule.target_port) {
            (Some(c), Some(p)) => Target {
                container: c.value.clone(),
                port: p.value,
            },
            (Some(c), None) => Target {
                container: c.value.clone(),
                port: port_of(&c.value).unwrap_or(80),
            },
            (None, Some(p)) => Target {
                container: own
                    .iter()
                    .find(|(_, q)| *q == p.value)
                    .map_or(main, |(n, _)| n)
                    .to_string(),
                port: p.value,
            },
            (None, None) => Target {
                container: main.to_string(),
                port: port_of(main).unwrap_or(80),
            },
        }
    }

    /// What Service Connect exposes (Copilot's `ServiceConnectTarget`): the
    /// main routing rule's target when the rule names a target container or
    /// port, else the main container's `image.port`. Worker Services, and
    /// services with no port, expose nothing.
    pub fn connect_target(&self) -> Option<Target> {
        if self.kind.value == ServiceType::WorkerService {
            return None;
        }
        if let Some(rule) = self.http_rules().first()
            && (rule.target_container.is_some() || rule.target_port.is_some())
        {
            return Some(self.rule_target(rule));
        }
        self.image.port.as_ref().map(|p| Target {
            container: self.name.value.clone(),
            port: p.value,
        })
    }

    /// Ports a rule targets that no container exposes: Copilot adds them to
    /// the target container's port mappings. In rule order, without repeats.
    pub fn rule_ports(&self) -> Vec<Target> {
        let own = self.own_ports();
        let mut out: Vec<Target> = Vec::new();
        for rule in self.http_rules() {
            let t = self.rule_target(rule);
            if !own.iter().any(|(_, p)| *p == t.port) && !out.iter().any(|o| o.port == t.port) {
                out.push(t);
            }
        }
        out
    }
}

/// `http` left out of a Load Balanced Web Service: one rule with Copilot's defaults.
static DEFAULT_RULE: HttpRule = HttpRule {
    pos: crate::yaml::Pos::new(0, 0),
    path_prefix: String::new(),
    path: None,
    target_container: None,
    target_port: None,
    healthcheck: super::types::LbHealthCheck {
        path: None,
        port: None,
        success_codes: None,
        healthy_threshold: None,
        unhealthy_threshold: None,
        interval: None,
        timeout: None,
        grace_period: None,
    },
    alias: Vec::new(),
    hosted_zone: None,
    allowed_source_ips: Vec::new(),
    stickiness: None,
    deregistration_delay: None,
    version: None,
    redirect_to_https: None,
};
