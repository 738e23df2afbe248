//! Rules about the containers: names, images, ports, the load balancer's target,
//! dependencies between containers and their health checks.

use std::collections::{BTreeMap, BTreeSet};

use super::Check;
use crate::manifest::{At, FIRELENS_CONTAINER, HealthCheck, Service, ServiceType};
use crate::names::ImageRef;
use crate::yaml::Pos;

/// Sidecars named like the main container or the FireLens router (the
/// characters and length ECS allows are `limits`' business).
pub fn names(svc: &Service, v: &mut Check) {
    for (name, sc) in &svc.sidecars {
        if *name == svc.name.value {
            v.error_at(
                "duplicate-container",
                format!("sidecar \"{name}\" has the name of the main container"),
                &sc.name,
            )
            .help =
                Some("the main container is named after the service; rename the sidecar".into());
        }
        if name == crate::manifest::XRAY_COLLECTOR && svc.xray {
            v.error_at(
                "duplicate-container",
                format!("sidecar \"{name}\" clashes with the collector that \"observability.tracing\" adds"),
                &sc.name,
            )
            .help = Some("rename the sidecar, or remove observability.tracing".into());
        }
        if name == FIRELENS_CONTAINER && svc.uses_firelens() {
            v.error_at(
                "duplicate-container",
                format!(
                    "sidecar \"{name}\" clashes with the FireLens log router that \"logging\" adds"
                ),
                &sc.name,
            )
            .help = Some(
                "remove the sidecar, or remove \"logging\" and configure the router yourself"
                    .into(),
            );
        }
    }
}

pub fn images(svc: &Service, v: &mut Check) {
    let img = &svc.image;
    match (&img.location, &img.build) {
        (Some(loc), Some(_)) => {
            v.error_at(
                "conflicting-fields",
                "must specify one, not both, of \"build\" and \"location\"",
                loc,
            );
        }
        (None, None) => {
            v.error(
                "missing-field",
                "\"image\" needs \"location\" or \"build\"",
                img.pos,
                "image",
            )
            .help = Some(
                "location: a pushed image URI; build: a Dockerfile (built and pushed on deploy)"
                    .into(),
            );
        }
        _ => {}
    }
    if let Some(loc) = &img.location
        && loc.value.trim().is_empty()
    {
        v.error_at("missing-field", "\"image.location\" is empty", loc);
    }
    for (name, sc) in &svc.sidecars {
        match (&sc.image, &sc.build) {
            (Some(loc), Some(_)) => {
                v.error_at(
                    "conflicting-fields",
                    "must specify one, not both, of \"build\" and \"location\"",
                    loc,
                );
            }
            (None, Some(_)) => {}
            (None, None) => {
                v.error(
                    "missing-field",
                    format!("sidecar \"{name}\" needs an \"image\""),
                    sc.name.pos,
                    &format!("sidecars.{name}.image"),
                );
            }
            (Some(i), None) if i.value.trim().is_empty() => {
                v.error_at(
                    "missing-field",
                    format!("sidecar \"{name}\" has an empty \"image\""),
                    i,
                );
            }
            _ => {}
        }
    }
    let written = img
        .location
        .iter()
        .chain(svc.sidecars.values().filter_map(|s| s.image.as_ref()))
        .chain(svc.logging.as_ref().and_then(|l| l.image.as_ref()));
    for image in written.filter(|i| !i.value.trim().is_empty()) {
        if let Err(why) = ImageRef::parse(&image.value) {
            v.error_at(
                "bad-image",
                format!("{:?} is not an image reference ECS can pull: {why}", image.value),
                image,
            )
            .help = Some("[REGISTRY/]REPOSITORY[:TAG][@DIGEST], for example nginx:1.27 or 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2".into());
        }
    }
}

/// Each container's port, where it exposes one.
pub(crate) fn exposed_ports(svc: &Service) -> Vec<(&str, At<u16>)> {
    let mut out = Vec::new();
    if let Some(p) = &svc.image.port
        && svc.kind.value != ServiceType::WorkerService
    {
        out.push((svc.name.value.as_str(), p.clone()));
    }
    for (name, sc) in &svc.sidecars {
        if let Some(p) = &sc.port {
            out.push((name.as_str(), At::new(p.port, p.pos, p.path.clone())));
        }
    }
    out
}

pub fn ports(svc: &Service, v: &mut Check) {
    let exposed = exposed_ports(svc);
    let mut seen: BTreeMap<u16, &str> = BTreeMap::new();
    for (name, port) in &exposed {
        if let Some(first) = seen.get(&port.value) {
            v.error_at(
                "port-clash",
                format!(
                    "containers \"{first}\" and \"{name}\" are exposing the same port {}",
                    port.value
                ),
                port,
            )
            .help = Some(
                "containers of one task share a network namespace: give each its own port".into(),
            );
        } else {
            seen.insert(port.value, name);
        }
    }
    let http_on = svc.http.as_ref().is_none_or(|h| h.enabled);
    if svc.kind.value == ServiceType::LoadBalancedWebService && http_on && svc.image.port.is_none()
    {
        let target_is_sidecar = svc
            .http
            .as_ref()
            .and_then(|h| h.main.target_container.as_ref())
            .is_some_and(|t| t.value != svc.name.value);
        if !target_is_sidecar {
            v.error(
                "missing-field",
                "a Load Balanced Web Service needs \"image.port\" for its load balancer",
                svc.image.pos,
                "image.port",
            );
        }
    }
}

const CONDITIONS: [&str; 4] = ["START", "COMPLETE", "SUCCESS", "HEALTHY"];

/// A container's dependencies: `(container, condition)` with where they were written.
fn dependencies(svc: &Service) -> Vec<(&str, &BTreeMap<String, At<String>>)> {
    let mut out = vec![(svc.name.value.as_str(), &svc.image.depends_on)];
    out.extend(
        svc.sidecars
            .iter()
            .map(|(n, s)| (n.as_str(), &s.depends_on)),
    );
    out
}

fn is_essential(svc: &Service, name: &str) -> bool {
    if name == svc.name.value || name == FIRELENS_CONTAINER {
        return true;
    }
    svc.sidecars.get(name).is_none_or(|s| s.essential())
}

fn has_healthcheck(svc: &Service, name: &str) -> bool {
    if name == svc.name.value {
        return svc.image.healthcheck.is_some();
    }
    svc.sidecars
        .get(name)
        .is_some_and(|s| s.healthcheck.is_some())
}

pub fn depends_on(svc: &Service, v: &mut Check) {
    let names: BTreeSet<&str> = svc.container_names().into_iter().collect();
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, deps) in dependencies(svc) {
        for (to, cond) in deps {
            let condition = cond.value.to_ascii_uppercase();
            if !CONDITIONS.contains(&condition.as_str()) {
                v.error_at("bad-condition", "container dependency status must be one of START, COMPLETE, SUCCESS or HEALTHY", cond)
                    .help = Some(format!("\"{}\" is not a dependency status", cond.value));
                continue;
            }
            if to == from {
                v.error_at(
                    "self-dependency",
                    format!("container {from} cannot depend on itself"),
                    cond,
                );
                continue;
            }
            if !names.contains(to.as_str()) {
                let d = v.error_at(
                    "unknown-container",
                    format!("container {to} does not exist"),
                    cond,
                );
                d.help = if to == FIRELENS_CONTAINER {
                    Some("firelens_log_router exists only when \"logging\" is set".into())
                } else {
                    crate::diag::did_you_mean(to, names.iter().copied())
                        .map(|s| format!("did you mean \"{s}\"?"))
                };
                continue;
            }
            if matches!(condition.as_str(), "COMPLETE" | "SUCCESS") && is_essential(svc, to) {
                v.error_at(
                    "essential-dependency",
                    format!("essential container {to} can only have status START or HEALTHY"),
                    cond,
                )
                .help = Some(format!(
                    "a container that must exit cannot be essential: set \"essential: false\" on {to}, or depend on it with START or HEALTHY"
                ));
            }
            if condition == "HEALTHY" && !has_healthcheck(svc, to) {
                v.error_at("no-healthcheck", format!("container {to} has no healthcheck, so nothing can wait for it to be HEALTHY"), cond)
                    .help = Some(format!("add a \"healthcheck\" to {to}, or depend on it with START"));
            }
            graph.entry(from).or_default().push(to.as_str());
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        let first = cycle[0];
        let pos = dependencies(svc)
            .into_iter()
            .find(|(n, _)| *n == first)
            .and_then(|(_, deps)| deps.values().next().map(|a| (a.pos, a.path.clone())))
            .unwrap_or((Pos::default(), String::new()));
        v.error(
            "dependency-cycle",
            format!(
                "circular container dependency chain includes the following containers: {}",
                cycle.join(", ")
            ),
            pos.0,
            &pos.1,
        );
    }
}

/// A cycle in the dependency graph, its containers in order, if there is one.
fn find_cycle<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        n: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = stack.iter().position(|s| *s == n).unwrap_or(0);
                return Some(stack[start..].to_vec());
            }
            None => {}
        }
        marks.insert(n, Mark::Visiting);
        stack.push(n);
        for next in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, graph, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(n, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in graph.keys() {
        let mut stack = Vec::new();
        if let Some(c) = visit(n, graph, &mut marks, &mut stack) {
            return Some(c);
        }
    }
    None
}

pub fn healthchecks(svc: &Service, v: &mut Check) {
    let mut all: Vec<&HealthCheck> = svc.image.healthcheck.iter().collect();
    all.extend(svc.sidecars.values().filter_map(|s| s.healthcheck.as_ref()));
    for hc in all {
        if let Some(cmd) = &hc.command {
            match cmd.value.first().map(String::as_str) {
                Some("CMD" | "CMD-SHELL" | "NONE") => {}
                _ => {
                    v.error_at(
                        "bad-healthcheck",
                        "a health check command starts with CMD or CMD-SHELL",
                        cmd,
                    )
                    .help = Some(
                        "for example: [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]"
                            .into(),
                    );
                }
            }
        }
        let ranges: [(&Option<At<u32>>, &str, u32, u32); 3] = [
            (&hc.interval, "interval", 5, 300),
            (&hc.timeout, "timeout", 2, 60),
            (&hc.start_period, "start_period", 0, 300),
        ];
        for (val, name, lo, hi) in ranges {
            if let Some(x) = val
                && !(lo..=hi).contains(&x.value)
            {
                v.error_at(
                    "bad-healthcheck",
                    format!(
                        "health check {name} must be between {lo}s and {hi}s, not {}s",
                        x.value
                    ),
                    x,
                );
            }
        }
        if let Some(r) = &hc.retries
            && !(1..=10).contains(&r.value)
        {
            v.error_at(
                "bad-healthcheck",
                format!(
                    "health check retries must be between 1 and 10, not {}",
                    r.value
                ),
                r,
            );
        }
        let interval = hc.interval.as_ref().map_or(10, |i| i.value);
        let timeout = hc.timeout.as_ref().map_or(5, |t| t.value);
        if let Some(t) = &hc.timeout
            && timeout >= interval
        {
            v.error_at("bad-healthcheck", format!("health check timeout ({timeout}s) must be shorter than its interval ({interval}s)"), t);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{BASE, codes};

    fn with(extra: &str) -> Vec<&'static str> {
        codes(&format!("{BASE}{extra}"))
    }

    #[test]
    fn image_references_ecs_cannot_pull_are_refused() {
        let bad = |image: &str| {
            codes(&format!(
                "name: api\ntype: Backend Service\nimage:\n  location: '{image}'\n"
            ))
        };
        assert_eq!(bad("repo:<image_tag>"), ["bad-image"]);
        assert_eq!(bad("Registry.example.com/Team/App:1"), ["bad-image"]);
        assert_eq!(bad("nginx :latest"), ["bad-image"]);
        assert!(bad("nginx:1.27").is_empty());
        assert_eq!(
            with("sidecars:\n  s:\n    image: 'sidecar:{{tag}}'\n"),
            ["bad-image"],
            "a template's placeholder left in"
        );
        assert_eq!(with("logging:\n  image: 'fluent bit'\n"), ["bad-image"]);
    }

    #[test]
    fn base_manifest_is_clean() {
        assert!(with("").is_empty());
    }

    #[test]
    fn sidecar_named_like_the_main_container() {
        assert!(with("sidecars:\n  proxy:\n    image: envoy\n").is_empty());
        assert_eq!(
            with("sidecars:\n  api:\n    image: envoy\n"),
            ["duplicate-container"]
        );
    }

    #[test]
    fn sidecar_named_like_the_log_router_while_logging_is_set() {
        assert!(with("sidecars:\n  firelens_log_router:\n    image: fluent\n").is_empty());
        assert_eq!(
            with(
                "logging:\n  destination: {Name: cloudwatch}\nsidecars:\n  firelens_log_router:\n    image: fluent\n"
            ),
            ["duplicate-container"]
        );
    }

    #[test]
    fn invalid_container_names() {
        assert_eq!(
            with("sidecars:\n  \"bad name\":\n    image: envoy\n"),
            ["bad-name"]
        );
    }

    #[test]
    fn main_image_needs_exactly_one_source() {
        let both =
            "name: api\ntype: Backend Service\nimage:\n  location: nginx\n  build: Dockerfile\n";
        assert_eq!(codes(both), ["conflicting-fields"]);
        let neither = "name: api\ntype: Backend Service\nimage:\n  port: 80\n";
        assert_eq!(codes(neither), ["missing-field"]);
    }

    #[test]
    fn sidecars_need_an_image() {
        assert_eq!(
            with("sidecars:\n  proxy:\n    port: 80\n"),
            ["missing-field"]
        );
    }

    #[test]
    fn port_clash() {
        assert!(with("sidecars:\n  proxy:\n    image: envoy\n    port: 9000\n").is_empty());
        assert_eq!(
            with("sidecars:\n  proxy:\n    image: envoy\n    port: 8080/tcp\n"),
            ["port-clash"]
        );
    }

    #[test]
    fn load_balanced_service_needs_a_port() {
        let no_port = "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n";
        assert_eq!(codes(no_port), ["missing-field"]);
        let nlb_only = "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx\nhttp: false\nnlb:\n  port: 443/tls\n";
        assert!(codes(nlb_only).is_empty());
    }

    #[test]
    fn dependency_conditions() {
        assert!(with("sidecars:\n  init:\n    image: busybox\n    essential: false\n    depends_on: {api: start}\n").is_empty());
        assert_eq!(
            with("sidecars:\n  init:\n    image: busybox\n    depends_on: {api: started}\n"),
            ["bad-condition"]
        );
    }

    #[test]
    fn dependency_on_itself() {
        assert_eq!(
            with("sidecars:\n  init:\n    image: busybox\n    depends_on: {init: start}\n"),
            ["self-dependency"]
        );
    }

    #[test]
    fn dependency_on_unknown_containers() {
        assert_eq!(
            with("sidecars:\n  init:\n    image: busybox\n    depends_on: {nope: start}\n"),
            ["unknown-container"]
        );
        assert_eq!(
            with(
                "sidecars:\n  init:\n    image: busybox\n    depends_on: {firelens_log_router: start}\n"
            ),
            ["unknown-container"]
        );
        assert!(with("logging:\n  destination: {Name: cloudwatch}\nsidecars:\n  init:\n    image: busybox\n    depends_on: {firelens_log_router: start}\n").is_empty());
    }

    #[test]
    fn essential_containers_cannot_be_waited_on_to_complete() {
        let ok = "image:\n  location: nginx\n  port: 8080\n  depends_on: {migrate: success}\nsidecars:\n  migrate:\n    image: m\n    essential: false\n";
        assert!(codes(&format!("name: api\ntype: Load Balanced Web Service\n{ok}")).is_empty());
        let bad = "image:\n  location: nginx\n  port: 8080\n  depends_on: {migrate: complete}\nsidecars:\n  migrate:\n    image: m\n";
        assert_eq!(
            codes(&format!(
                "name: api\ntype: Load Balanced Web Service\n{bad}"
            )),
            ["essential-dependency"]
        );
    }

    #[test]
    fn healthy_needs_a_healthcheck() {
        let ok = "sidecars:\n  a:\n    image: x\n    healthcheck: {command: [CMD, true]}\n  b:\n    image: y\n    depends_on: {a: healthy}\n";
        assert!(with(ok).is_empty());
        let bad =
            "sidecars:\n  a:\n    image: x\n  b:\n    image: y\n    depends_on: {a: healthy}\n";
        assert_eq!(with(bad), ["no-healthcheck"]);
    }

    #[test]
    fn dependency_cycles() {
        let bad = "sidecars:\n  a:\n    image: x\n    depends_on: {b: start}\n  b:\n    image: y\n    depends_on: {c: start}\n  c:\n    image: z\n    depends_on: {a: start}\n";
        assert_eq!(with(bad), ["dependency-cycle"]);
    }

    #[test]
    fn healthcheck_ranges_and_command() {
        assert!(with("sidecars:\n  a:\n    image: x\n    healthcheck:\n      command: [CMD-SHELL, true]\n      interval: 30s\n      timeout: 10s\n      retries: 3\n").is_empty());
        assert_eq!(with("sidecars:\n  a:\n    image: x\n    healthcheck:\n      command: [curl, localhost]\n").as_slice(), ["bad-healthcheck"]);
        assert_eq!(
            with("sidecars:\n  a:\n    image: x\n    healthcheck:\n      interval: 1s\n")
                .as_slice(),
            ["bad-healthcheck"]
        );
        assert_eq!(
            with("sidecars:\n  a:\n    image: x\n    healthcheck:\n      retries: 0\n").as_slice(),
            ["bad-healthcheck"]
        );
    }
}
