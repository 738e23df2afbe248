//! Where load balancers send traffic, as Copilot decides it: an application
//! load balancer's routing rules and a network load balancer's listeners
//! (`RoutingRule.Target`, `NetworkLoadBalancerListener.Target` and
//! `exposePorts` in its manifest package).

use super::types::{HttpRule, NlbListener, Protocol, Service, ServiceType};

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
            ServiceType::WorkerService | ServiceType::ScheduledJob => false,
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
        self.own_ports_with_protocol()
            .into_iter()
            .map(|(c, p, _)| (c, p))
            .collect()
    }

    /// A routing rule's target group protocol and protocol version, as
    /// Copilot sets them: HTTPS to a target port of 443, else HTTP; `version`
    /// (HTTP1 by default).
    pub fn rule_protocol(&self, rule: &HttpRule) -> (String, String) {
        let protocol = if self.rule_target(rule).port == 443 {
            "HTTPS"
        } else {
            "HTTP"
        };
        let version = rule
            .version
            .as_ref()
            .map_or("HTTP1".to_string(), |v| v.value.clone());
        (protocol.to_string(), version)
    }

    /// The name of sidecarctl's target group for routing rule `i` (`http` is
    /// 0), which carries its protocol and version.
    pub fn rule_target_group_name(
        &self,
        app: &str,
        env: &str,
        i: usize,
        rule: &HttpRule,
    ) -> String {
        let (protocol, version) = self.rule_protocol(rule);
        crate::names::sidecarctl::target_group_name(
            app,
            env,
            &self.name.value,
            i,
            (&protocol, &version),
        )
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

    /// The network load balancer's listeners (`nlb`, then its
    /// `additional_listeners`); none without `nlb`.
    pub fn nlb_listeners(&self) -> &[NlbListener] {
        self.nlb.as_ref().map_or(&[], |n| n.listeners.as_slice())
    }

    /// Where a network load balancer listener sends traffic: the listener's
    /// own port on the main container, unless it names a target. A target
    /// container other than the main one, without a target port, gets its
    /// own port; a target port without a target container goes to the
    /// container exposing it (the main one when none does).
    pub fn nlb_target(&self, l: &NlbListener) -> Target {
        let own = self.own_ports();
        let main = self.name.value.as_str();
        match (&l.target_container, &l.target_port) {
            (Some(c), Some(p)) => Target {
                container: c.value.clone(),
                port: p.value,
            },
            (Some(c), None) if c.value != main => Target {
                container: c.value.clone(),
                port: own
                    .iter()
                    .find(|(n, _)| *n == c.value)
                    .map_or(l.port.value, |(_, p)| *p),
            },
            (None, Some(p)) => Target {
                container: own
                    .iter()
                    .find(|(_, q)| *q == p.value)
                    .map(|(n, _)| n.to_string())
                    .or_else(|| {
                        self.rule_ports()
                            .into_iter()
                            .find(|t| t.port == p.value)
                            .map(|t| t.container)
                    })
                    .unwrap_or_else(|| main.to_string()),
                port: p.value,
            },
            _ => Target {
                container: main.to_string(),
                port: l.port.value,
            },
        }
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

    /// Every port a load balancer targets that no container exposes, with
    /// its protocol: the routing rules' (TCP), then the network load
    /// balancer listeners' (UDP for a UDP listener, else TCP). Copilot adds
    /// each to its target container's port mappings. A listener's port here
    /// is its `target_port`, else its own port, on its `target_container`,
    /// else the main container (Copilot's `exposePorts`; it can differ from
    /// where [`Self::nlb_target`] sends traffic, as in Copilot).
    pub fn lb_ports(&self) -> Vec<(Target, Protocol)> {
        let own = self.own_ports_with_protocol();
        let mut out: Vec<(Target, Protocol)> = self
            .rule_ports()
            .into_iter()
            .map(|t| (t, Protocol::Tcp))
            .collect();
        for l in self.nlb_listeners() {
            let port = l.target_port.as_ref().map_or(l.port.value, |p| p.value);
            let proto = l.protocol.container_protocol();
            let exposed = own.iter().any(|(_, p, q)| *p == port && *q == proto)
                || out.iter().any(|(o, q)| o.port == port && *q == proto);
            if !exposed {
                let container = l
                    .target_container
                    .as_ref()
                    .map_or(self.name.value.clone(), |c| c.value.clone());
                out.push((Target { container, port }, proto));
            }
        }
        out
    }

    /// [`Self::own_ports`] with each port's protocol.
    fn own_ports_with_protocol(&self) -> Vec<(&str, u16, Protocol)> {
        let mut out = Vec::new();
        if let Some(p) = &self.image.port
            && self.kind.value != ServiceType::WorkerService
        {
            out.push((self.name.value.as_str(), p.value, Protocol::Tcp));
        }
        for (name, sc) in &self.sidecars {
            if let Some(p) = &sc.port {
                out.push((name.as_str(), p.port, p.protocol));
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
