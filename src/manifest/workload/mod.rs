//! Reading a workload manifest's fields (after environment overrides) into
//! [`Service`]: the type, then the task every kind shares ([`task`], [`image`]),
//! then each kind's own fields ([`lb`] for the load balancers, [`count`] for
//! the service's task count and autoscaling, [`job`] for a Scheduled Job's
//! schedule). A key is written once, where it is read: the map's reader asks
//! for it ([`Fields::take`](super::decode::Fields::take)), which makes it a
//! key the map takes.
//!
//! Shapes and types are checked here; rules that relate fields to each other
//! live in `validate`.

mod count;
mod image;
mod job;
mod lb;
mod overrides;
mod pubsub;
mod task;

use count::decode_count;
use image::decode_main_image;
use job::decode_job;
use lb::{decode_http, decode_nlb};
use overrides::decode_overrides;
use pubsub::{decode_publish, decode_subscribe};
use task::*;

use crate::manifest::decode::{At, Decoder, Fields};
use crate::manifest::types::*;
use crate::yaml::Node;

/// Keys Copilot knows on every service type that sidecarctl accepts without acting on.
const COMMON_IGNORED: &[&str] = &[];

/// The keys Copilot knows of a kind that sidecarctl accepts without acting on them.
fn ignored_keys(kind: ServiceType) -> Vec<&'static str> {
    match kind {
        ServiceType::ScheduledJob => Vec::new(),
        _ => COMMON_IGNORED.to_vec(),
    }
}

/// Each kind's own fields: a service's load balancers, a job's schedule.
fn kind_fields(
    d: &mut Decoder,
    f: &mut Fields,
    kind: Option<ServiceType>,
    root: &Node,
) -> (Option<Http>, Option<Nlb>, Option<Job>) {
    let http = match kind {
        Some(ServiceType::LoadBalancedWebService | ServiceType::BackendService) => {
            f.take("http").and_then(|n| decode_http(d, n))
        }
        _ => None,
    };
    let nlb = match kind {
        Some(ServiceType::LoadBalancedWebService) => f.take("nlb").and_then(|n| decode_nlb(d, n)),
        _ => None,
    };
    let job = (kind == Some(ServiceType::ScheduledJob)).then(|| decode_job(d, f, root));
    (http, nlb, job)
}

pub fn decode_service(d: &mut Decoder, root: &Node) -> Option<Service> {
    let mut f = d.fields(root, "")?;
    let name = match f.take("name") {
        Some(n) => d.string(n, "name"),
        None => {
            d.error(
                "missing-field",
                "\"name\" must be specified",
                root.pos,
                "name",
            );
            None
        }
    };
    let kind = match f.take("type") {
        Some(n) => decode_type(d, n),
        None => {
            d.error_help(
                "missing-field",
                "\"type\" must be specified",
                "one of: Load Balanced Web Service, Backend Service, Worker Service, Scheduled Job",
                root.pos,
                "type",
            );
            None
        }
    };
    let kind_value = kind.as_ref().map(|k| k.value);
    if let (Some(t), Some((k, _))) = (root.get("type"), f.take_entry("sidecars"))
        && t.as_str() == Some("Request-Driven Web Service")
    {
        d.error_help(
            "rdws-sidecars",
            "a Request-Driven Web Service cannot have sidecars",
            "Copilot's documentation: Request-Driven Web Services do not support sidecars",
            k.pos,
            "sidecars",
        );
    }

    let image = match f.take("image") {
        Some(n) => decode_main_image(d, n, kind_value),
        None => {
            d.error(
                "missing-field",
                "\"image\" must be specified",
                root.pos,
                "image",
            );
            MainImage::default()
        }
    };
    let entrypoint = f.take("entrypoint").and_then(|n| d.words(n, "entrypoint"));
    let command = f.take("command").and_then(|n| d.words(n, "command"));
    let (http, nlb, job) = kind_fields(d, &mut f, kind_value, root);
    let cpu = f.take("cpu").and_then(|n| d.int(n, "cpu", 1, 16384));
    let memory = f.take("memory").and_then(|n| d.int(n, "memory", 1, 122880));
    let count = f.take("count").and_then(|n| decode_count(d, n));
    let platform = f.take("platform").and_then(|n| decode_platform(d, n));
    let variables = f
        .take("variables")
        .map(|n| decode_variables(d, n, "variables"))
        .unwrap_or_default();
    let secrets = f
        .take("secrets")
        .map(|n| decode_secrets(d, n, "secrets"))
        .unwrap_or_default();
    let env_file = f.take("env_file").and_then(|n| d.string(n, "env_file"));
    let storage = f
        .take("storage")
        .map(|n| decode_storage(d, n))
        .unwrap_or_default();
    let logging = f.take("logging").and_then(|n| decode_logging(d, n));
    let sidecars = f
        .take("sidecars")
        .map(|n| decode_sidecars(d, n))
        .unwrap_or_default();
    let network = f
        .take("network")
        .map(|n| decode_network(d, n))
        .unwrap_or_default();
    let exec = f.take("exec").and_then(|n| decode_exec(d, n));
    let publish = f
        .take("publish")
        .map(|n| decode_publish(d, n))
        .unwrap_or_default();
    let subscribe = match kind_value {
        Some(ServiceType::WorkerService) => f.take("subscribe").map(|n| decode_subscribe(d, n)),
        _ => None,
    };
    let deployment = match kind_value {
        Some(k) if k.is_service() => f
            .take("deployment")
            .map(|n| decode_deployment(d, n, k == ServiceType::WorkerService))
            .unwrap_or_default(),
        _ => Deployment::default(),
    };
    let xray = match kind_value {
        Some(k) if k.is_service() => f
            .take("observability")
            .is_some_and(|n| decode_observability(d, n)),
        _ => false,
    };
    let taskdef_overrides = f
        .take("taskdef_overrides")
        .map(|n| decode_overrides(d, n))
        .unwrap_or_default();
    f.take("environments"); // applied before decoding

    // The type is wrong: no unknown-key warnings on top.
    let Some(kind_value) = kind_value else {
        let _ = f.all().count();
        return None;
    };
    f.finish(d, &ignored_keys(kind_value));

    Some(Service {
        file: d.file.clone(),
        name: name?,
        kind: kind?,
        image,
        entrypoint,
        command,
        http,
        nlb,
        cpu,
        memory,
        count,
        platform,
        variables,
        secrets,
        env_file,
        storage,
        logging,
        sidecars,
        network,
        exec,
        job,
        taskdef_overrides,
        publish,
        subscribe,
        deployment,
        xray,
        ignored: std::mem::take(&mut d.ignored),
        unresolved: Default::default(),
    })
}

fn decode_type(d: &mut Decoder, n: &Node) -> Option<At<ServiceType>> {
    let s = d.string(n, "type")?;
    if let Some(t) = ServiceType::ALL.iter().find(|t| t.as_str() == s.value) {
        return Some(d.at(*t, n.pos, "type"));
    }
    let (message, help) = match s.value.as_str() {
        "Request-Driven Web Service" => (
            "Request-Driven Web Service is not supported: it runs on App Runner, not ECS"
                .to_string(),
            "a Request-Driven Web Service cannot have sidecars; deploy it with App Runner tooling"
                .to_string(),
        ),
        "Static Site" => (
            "Static Site is not supported: it is served from S3 and CloudFront, not ECS"
                .to_string(),
            "supported types: Load Balanced Web Service, Backend Service, Worker Service, Scheduled Job"
                .to_string(),
        ),
        other => {
            let names = ServiceType::ALL.map(|t| t.as_str());
            let help = match crate::diag::did_you_mean(other, names) {
                Some(t) => format!("did you mean \"{t}\"?"),
                None => format!("supported types: {}", names.join(", ")),
            };
            (format!("unknown service type \"{other}\""), help)
        }
    };
    d.error_help("unsupported-type", message, help, n.pos, "type");
    None
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::service_in;

    #[test]
    fn a_scheduled_job_decodes_with_its_schedule_retries_and_timeout() {
        let svc = service_in(
            "name: report\ntype: Scheduled Job\nimage:\n  location: app:1\non:\n  schedule: \"@every 30m\"\nretries: 3\ntimeout: 1h30m\nvariables:\n  MODE: batch\n",
            None,
        );
        assert_eq!(svc.kind.value, super::ServiceType::ScheduledJob);
        assert!(!svc.kind.value.is_service());
        let job = svc.job.as_ref().unwrap();
        assert_eq!(job.schedule.as_ref().unwrap().value, "@every 30m");
        assert_eq!(job.retries.as_ref().unwrap().value, 3);
        assert_eq!(job.timeout.as_ref().unwrap().value, 5400);
        assert_eq!(svc.variables["MODE"].value, "batch");
        assert!(svc.http.is_none() && svc.nlb.is_none());
    }

    #[test]
    fn image_build_decodes_as_a_path_or_its_arguments() {
        let svc = service_in(
            "name: api\ntype: Backend Service\nimage:\n  build:\n    dockerfile: api/Dockerfile\n    context: api\n    target: prod\n    args:\n      GO_VERSION: '1.22'\n    cache_from: [repo/api:cache]\n",
            None,
        );
        let b = &svc.image.build.as_ref().unwrap().value;
        assert_eq!(b.dockerfile.as_ref().unwrap().value, "api/Dockerfile");
        assert_eq!(b.context.as_ref().unwrap().value, "api");
        assert_eq!(b.target.as_ref().unwrap().value, "prod");
        assert_eq!(b.args["GO_VERSION"].value, "1.22");
        assert_eq!(b.cache_from, ["repo/api:cache"]);
        let svc = service_in(
            "name: api\ntype: Backend Service\nimage:\n  build: api/Dockerfile\n",
            None,
        );
        let b = &svc.image.build.as_ref().unwrap().value;
        assert_eq!(b.dockerfile.as_ref().unwrap().value, "api/Dockerfile");
        assert!(b.context.is_none());
    }
}
