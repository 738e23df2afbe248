//! Load balancer rules: where an `http` routing rule or an `nlb` listener
//! sends traffic must be a container with that port, each port is exposed by
//! one container with one protocol, and the network load balancer's health
//! checks reach a TCP port (Copilot's `validateTargetContainer`,
//! `validateExposedPorts`, `validateHealthCheckPorts` and
//! `validateGracePeriod`).

use super::Check;
use super::containers::exposed_ports;
use crate::manifest::{NlbListener, Protocol, Service, ServiceType};

/// Every routing rule's target: the container exists, and it has a port to
/// send to. A `target_port` no container exposes becomes a port of the target
/// container (as Copilot adds it); one that another container exposes is an
/// error when the rule names its target container.
pub fn http_target(svc: &Service, v: &mut Check) {
    let Some(http) = &svc.http else { return };
    if !http.enabled {
        return;
    }
    let exposed = exposed_ports(svc);
    for rule in http.rules() {
        let target = rule.target_container.as_ref();
        let target_name = target.map_or(svc.name.value.as_str(), |t| t.value.as_str());
        if let Some(t) = target {
            let exists = t.value == svc.name.value || svc.sidecars.contains_key(&t.value);
            if !exists {
                let names: Vec<&str> = svc.container_names();
                let d = v.error_at(
                    "unknown-container",
                    format!("target container \"{}\" doesn't exist", t.value),
                    t,
                );
                d.help = crate::diag::did_you_mean(&t.value, names.iter().copied())
                    .map(|s| format!("did you mean \"{s}\"?"));
                continue;
            }
            if rule.target_port.is_none() && !exposed.iter().any(|(n, _)| *n == t.value) {
                v.error_at(
                    "no-port",
                    format!("target container \"{}\" doesn't expose a port", t.value),
                    t,
                )
                .help = Some(format!(
                    "give \"{}\" a \"port\", or set {}.target_port",
                    t.value, rule.path_prefix
                ));
                continue;
            }
        }
        // Without a target container, the container that exposes the port is the target.
        if let Some(tp) = &rule.target_port
            && target.is_some()
            && let Some((other, _)) = exposed
                .iter()
                .find(|(n, p)| p.value == tp.value && *n != target_name)
        {
            v.error_at(
                "port-clash",
                format!(
                    "target port {} is exposed by container \"{other}\", not by the target container \"{target_name}\"",
                    tp.value
                ),
                tp,
            )
            .help = Some(format!(
                "set {}.target_container to \"{other}\", or choose another port",
                rule.path_prefix
            ));
        }
    }
}

/// A Load Balanced Web Service needs `http` or `nlb`; every `nlb` listener's
/// target container exists, its target port is not another container's and
/// is exposed with one protocol only; its health check goes to a TCP port;
/// `grace_period` is written once, under `http.healthcheck` or
/// `nlb.healthcheck`.
pub fn nlb(svc: &Service, v: &mut Check) {
    if svc.kind.value == ServiceType::LoadBalancedWebService
        && svc.nlb.is_none()
        && let Some(http) = svc.http.as_ref().filter(|h| !h.enabled)
    {
        v.error(
            "missing-field",
            "must specify at least one of \"http\" or \"nlb\"",
            http.pos,
            "http",
        )
        .help = Some(
            "a Load Balanced Web Service needs a load balancer: remove \"http: false\", or add \"nlb\""
                .into(),
        );
    }
    let Some(nlb) = &svc.nlb else { return };
    let exposed = exposed_ports(svc);
    for (i, l) in nlb.listeners.iter().enumerate() {
        if let Some(t) = &l.target_container {
            let exists = t.value == svc.name.value || svc.sidecars.contains_key(&t.value);
            if !exists {
                let names: Vec<&str> = svc.container_names();
                v.error_at(
                    "unknown-container",
                    format!("target container \"{}\" doesn't exist", t.value),
                    t,
                )
                .help = crate::diag::did_you_mean(&t.value, names.iter().copied())
                    .map(|s| format!("did you mean \"{s}\"?"));
                continue;
            }
        }
        let target = svc.nlb_target(l);
        let proto = l.protocol.container_protocol();
        if let Some((other, p)) = exposed
            .iter()
            .find(|(n, p)| p.value == target.port && *n != target.container)
        {
            let at = l.target_port.as_ref().unwrap_or(&l.port);
            v.error_at(
                "port-clash",
                format!(
                    "containers \"{}\" and \"{other}\" are exposing the same port {}",
                    target.container, p.value
                ),
                at,
            )
            .help = Some(format!(
                "set {}.target_container to \"{other}\", or choose another port",
                l.path_prefix
            ));
            continue;
        }
        if let Some(q) = exposed_protocol(svc, &target.container, target.port)
            && q != proto
        {
            let at = l.target_port.as_ref().unwrap_or(&l.port);
            v.error_at(
                "port-protocol",
                format!(
                    "container \"{}\" is exposing the same port {} with protocol {} and {}",
                    target.container,
                    target.port,
                    proto.as_str(),
                    q.as_str()
                ),
                at,
            );
        }
        health_check_port(svc, l, v);
        if i > 0
            && let Some(g) = &l.healthcheck.grace_period
        {
            v.error_at(
                "misplaced-field",
                format!("\"grace_period\" specified for \"{}\"", l.path_prefix),
                g,
            )
            .help = Some(format!(
                "Instead of under \"{}.healthcheck\", specify \"grace_period\" under the top-level \"nlb.healthcheck\".",
                l.path_prefix
            ));
        }
    }
    let http_grace = svc
        .http_rules()
        .first()
        .and_then(|r| r.healthcheck.grace_period.as_ref())
        .is_some();
    if http_grace
        && let Some(g) = nlb
            .listeners
            .first()
            .and_then(|l| l.healthcheck.grace_period.as_ref())
    {
        v.error_at(
            "conflicting-fields",
            "\"grace_period\" is a configuration shared by \"http\" and \"nlb\". Specify it only once under either \"http\" or \"nlb\".",
            g,
        );
    }
}

/// The protocol `container` exposes `port` with itself, if it does.
fn exposed_protocol(svc: &Service, container: &str, port: u16) -> Option<Protocol> {
    if container == svc.name.value {
        return svc
            .image
            .port
            .as_ref()
            .filter(|p| p.value == port)
            .map(|_| Protocol::Tcp);
    }
    svc.sidecars
        .get(container)
        .and_then(|s| s.port.as_ref())
        .filter(|p| p.port == port)
        .map(|p| p.protocol)
}

/// A network load balancer checks health over TCP: the port it checks (its
/// `healthcheck.port`, else the target port) must not be one exposed for UDP
/// only.
fn health_check_port(svc: &Service, l: &NlbListener, v: &mut Check) {
    let target = svc.nlb_target(l);
    let port = l.healthcheck.port.as_ref().map_or(target.port, |p| p.value);
    let udp_only = svc
        .lb_ports()
        .iter()
        .filter(|(t, _)| t.port == port)
        .map(|(t, q)| (t.container.clone(), *q))
        .chain(
            svc.container_names()
                .into_iter()
                .filter_map(|c| exposed_protocol(svc, c, port).map(|q| (c.to_string(), q))),
        )
        .fold(None::<(String, bool)>, |acc, (c, q)| match acc {
            None => Some((c, q == Protocol::Udp)),
            Some((c0, udp)) => Some((c0, udp && q == Protocol::Udp)),
        });
    if let Some((container, true)) = udp_only {
        let at = l
            .healthcheck
            .port
            .as_ref()
            .unwrap_or(l.target_port.as_ref().unwrap_or(&l.port));
        v.error_at(
            "health-check-protocol",
            format!(
                "container \"{container}\" exposes port {port} using protocol udp invalid for health checks. Valid protocol is TCP."
            ),
            at,
        )
        .help = Some(format!(
            "set {}.healthcheck.port to a port the container serves over TCP",
            l.path_prefix
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{BASE, codes};

    fn with(extra: &str) -> Vec<&'static str> {
        codes(&format!("{BASE}{extra}"))
    }

    #[test]
    fn http_target_must_exist_and_expose_a_port() {
        let good = "sidecars:\n  nginx:\n    image: nginx\n    port: 80\nhttp:\n  targetContainer: nginx\n";
        assert!(with(good).is_empty());
        assert_eq!(
            with("http:\n  target_container: ngnix\n"),
            ["unknown-container"]
        );
        let no_port = "sidecars:\n  nginx:\n    image: nginx\nhttp:\n  target_container: nginx\n";
        assert_eq!(with(no_port), ["no-port"]);
        // A port no container exposes becomes the target container's (as Copilot does).
        assert!(with("http:\n  target_port: 9999\n").is_empty());
        let sidecar_port =
            "sidecars:\n  nginx:\n    image: nginx\n    port: 9090\nhttp:\n  target_port: 9090\n";
        assert!(with(sidecar_port).is_empty());
        let elsewhere = format!("{sidecar_port}  target_container: {{name}}\n");
        assert_eq!(with(&elsewhere.replace("{name}", "api")), ["port-clash"]);
    }

    #[test]
    fn a_web_service_needs_http_or_nlb() {
        assert_eq!(with("http: false\n"), ["missing-field"]);
        assert!(with("http: false\nnlb:\n  port: 443/tls\n").is_empty());
        assert!(with("nlb:\n  port: 8080/tcp\n").is_empty());
    }

    #[test]
    fn nlb_targets_exist_and_do_not_take_another_containers_port() {
        let sidecar = "sidecars:\n  tls:\n    image: envoy\n    port: 8443\n";
        assert!(
            with(&format!(
                "{sidecar}nlb:\n  port: 443/tls\n  target_container: tls\n"
            ))
            .is_empty()
        );
        assert_eq!(
            with("nlb:\n  port: 443\n  target_container: tsl\n"),
            ["unknown-container"]
        );
        // The listener's port goes to the main container by default: 8443 is the sidecar's.
        assert_eq!(
            with(&format!(
                "{sidecar}nlb:\n  port: 8443/tcp\n  target_container: api\n"
            )),
            ["port-clash"]
        );
        // Without a target container, the container exposing the target port is the target.
        assert!(
            with(&format!(
                "{sidecar}nlb:\n  port: 443/tcp\n  target_port: 8443\n"
            ))
            .is_empty()
        );
    }

    #[test]
    fn one_port_one_protocol_and_health_checks_over_tcp() {
        // The main container exposes 8080 over TCP; a UDP listener cannot target it too.
        assert_eq!(
            with("nlb:\n  port: 8080/udp\n  healthcheck:\n    port: 8080\n"),
            ["port-protocol"]
        );
        // A UDP port of its own, checked over UDP: refused; with a TCP health port: fine.
        assert_eq!(with("nlb:\n  port: 8081/udp\n"), ["health-check-protocol"]);
        assert!(with("nlb:\n  port: 8081/udp\n  healthcheck:\n    port: 8080\n").is_empty());
    }

    #[test]
    fn grace_period_is_written_once_at_the_top() {
        let extra = "nlb:\n  port: 81/tcp\n  additional_listeners:\n    - port: 82/tcp\n      healthcheck:\n        grace_period: 30s\n";
        assert_eq!(with(extra), ["misplaced-field"]);
        let both = "http:\n  healthcheck:\n    grace_period: 30s\nnlb:\n  port: 81/tcp\n  healthcheck:\n    grace_period: 30s\n";
        assert_eq!(with(both), ["conflicting-fields"]);
    }
}
