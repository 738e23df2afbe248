//! The images: the main container's (`image`, its `build`, port and
//! container health check) and a sidecar's.

use crate::manifest::decode::{At, Decoder, join};
use crate::manifest::types::*;
use crate::yaml::{Node, Value};

pub(super) fn decode_main_image(d: &mut Decoder, n: &Node, kind: Option<ServiceType>) -> MainImage {
    let mut image = MainImage {
        pos: n.pos,
        ..MainImage::default()
    };
    if let Some(text) = n.as_str() {
        d.error_help(
            "wrong-type",
            "\"image\" is a map of fields, not an image name",
            format!("write it as image: {{ location: {text} }}"),
            n.pos,
            "image",
        );
        image.location = Some(d.at(text.to_string(), n.pos, "image"));
        return image;
    }
    let Some(mut f) = d.fields(n, "image") else {
        return image;
    };
    image.location = f
        .take("location")
        .and_then(|n| d.string(n, "image.location"));
    image.build = f
        .take("build")
        .and_then(|n| decode_build(d, n, "image.build"));
    // Copilot's Worker Service and Scheduled Job images have no port: its
    // decoder ignores one.
    let no_port = matches!(
        kind,
        Some(ServiceType::WorkerService | ServiceType::ScheduledJob)
    );
    image.port = (!no_port).then(|| f.take("port")).flatten().and_then(|n| {
        let p = d.int(n, "image.port", 1, 65535)?;
        Some(p.map(|v| v as u16))
    });
    image.credentials = f
        .take("credentials")
        .and_then(|n| d.string(n, "image.credentials"));
    image.healthcheck = f
        .take("healthcheck")
        .and_then(|n| decode_healthcheck(d, n, "image.healthcheck"));
    image.labels = f
        .take("labels")
        .map(|n| d.string_map(n, "image.labels"))
        .unwrap_or_default();
    image.depends_on = f
        .take("depends_on")
        .map(|n| d.string_map(n, "image.depends_on"))
        .unwrap_or_default();
    f.finish(d, &[]);
    image
}

/// `build`: a Dockerfile's path, or `{dockerfile, context, target, args,
/// cache_from}` (Copilot's `BuildArgsOrString`).
pub(super) fn decode_build(d: &mut Decoder, n: &Node, path: &str) -> Option<At<Build>> {
    let mut b = Build {
        pos: n.pos,
        ..Build::default()
    };
    match &n.value {
        Value::Str(_) => b.dockerfile = d.string(n, path),
        Value::Map(_) => {
            let mut f = d.fields(n, path)?;
            let at = |k: &str| join(path, k);
            b.dockerfile = f
                .take("dockerfile")
                .and_then(|n| d.string(n, &at("dockerfile")));
            b.context = f.take("context").and_then(|n| d.string(n, &at("context")));
            b.target = f.take("target").and_then(|n| d.string(n, &at("target")));
            b.args = f
                .take("args")
                .map(|n| d.string_map(n, &at("args")))
                .unwrap_or_default();
            b.cache_from = f
                .take("cache_from")
                .and_then(|n| d.strings(n, &at("cache_from")))
                .map(|l| l.value)
                .unwrap_or_default();
            f.finish(d, &[]);
        }
        _ => {
            d.error(
                "wrong-type",
                format!("expected a Dockerfile path or a map, found {}", n.kind()),
                n.pos,
                path,
            );
            return None;
        }
    }
    Some(d.at(b, n.pos, path))
}

pub(super) fn decode_healthcheck(d: &mut Decoder, n: &Node, path: &str) -> Option<HealthCheck> {
    let mut f = d.fields(n, path)?;
    let hc = HealthCheck {
        command: f
            .take("command")
            .and_then(|n| d.words(n, &join(path, "command"))),
        interval: f
            .take("interval")
            .and_then(|n| d.duration_secs(n, &join(path, "interval"))),
        retries: f
            .take("retries")
            .and_then(|n| d.int(n, &join(path, "retries"), 0, 100)),
        timeout: f
            .take("timeout")
            .and_then(|n| d.duration_secs(n, &join(path, "timeout"))),
        start_period: f
            .take("start_period")
            .and_then(|n| d.duration_secs(n, &join(path, "start_period"))),
    };
    f.finish(d, &[]);
    Some(hc)
}

/// A sidecar's `image`: a URI, or `{location}` or `{build}` (Copilot's
/// `Union[string, ImageLocationOrBuild]`).
pub(super) fn decode_sidecar_image(
    d: &mut Decoder,
    n: &Node,
    path: &str,
) -> (Option<At<String>>, Option<At<Build>>) {
    if let Value::Map(_) = n.value {
        let Some(mut f) = d.fields(n, path) else {
            return (None, None);
        };
        let location = f
            .take("location")
            .and_then(|n| d.string(n, &join(path, "location")));
        let build = f
            .take("build")
            .and_then(|n| decode_build(d, n, &join(path, "build")));
        f.finish(d, &[]);
        return (location, build);
    }
    (d.string(n, path), None)
}

/// `PORT[/PROTOCOL]` or an integer.
pub(super) fn decode_port(d: &mut Decoder, n: &Node, path: &str) -> Option<At<PortSpec>> {
    let text = d.string(n, path)?;
    let (port, proto) = match text.value.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (text.value.as_str(), None),
    };
    let Ok(port) = port.trim().parse::<u16>() else {
        d.error(
            "bad-port",
            format!("cannot parse port mapping from {}", text.value),
            n.pos,
            path,
        );
        return None;
    };
    if port == 0 {
        d.error(
            "bad-port",
            format!("cannot parse port mapping from {}", text.value),
            n.pos,
            path,
        );
        return None;
    }
    let protocol = match proto.map(str::to_ascii_lowercase).as_deref() {
        None | Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some(_) => {
            d.error(
                "bad-protocol",
                format!(
                    "invalid protocol {}; valid protocols include TCP and UDP",
                    proto.unwrap_or_default()
                ),
                n.pos,
                path,
            );
            return None;
        }
    };
    Some(d.at(PortSpec { port, protocol }, n.pos, path))
}
