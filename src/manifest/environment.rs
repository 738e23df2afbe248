//! An environment manifest (`copilot/environments/{env}/manifest.yml`): sidecarctl
//! reads the VPC's subnets from it to place a new service.

use std::sync::Arc;

use super::decode::{At, Decoder, index, join};
use crate::diag::{Diagnostics, SourceFile};
use crate::yaml::Node;

#[derive(Clone, Debug, Default)]
pub struct EnvManifest {
    pub public_subnets: Vec<At<String>>,
    pub private_subnets: Vec<At<String>>,
}

pub fn decode_environment(file: &Arc<SourceFile>, root: &Node) -> (EnvManifest, Diagnostics) {
    let mut d = Decoder::new(file.clone());
    let mut env = EnvManifest::default();
    if let Some(mut f) = d.fields(root, "") {
        f.take("name").and_then(|n| d.string(n, "name"));
        if let Some(t) = f.take("type").and_then(|n| d.string(n, "type"))
            && t.value != "Environment"
        {
            d.error(
                "wrong-type",
                format!(
                    "an environment manifest has type \"Environment\", not \"{}\"",
                    t.value
                ),
                t.pos,
                "type",
            );
        }
        if let Some(net) = f.take("network")
            && let Some(mut nf) = d.fields(net, "network")
        {
            if let Some(vpc) = nf.take("vpc")
                && let Some(mut vf) = d.fields(vpc, "network.vpc")
            {
                vf.take("id").and_then(|n| d.string(n, "network.vpc.id"));
                if let Some(subnets) = vf.take("subnets")
                    && let Some(mut sf) = d.fields(subnets, "network.vpc.subnets")
                {
                    for (kind, out) in [
                        ("public", &mut env.public_subnets),
                        ("private", &mut env.private_subnets),
                    ] {
                        if let Some(list) = sf.take(kind) {
                            *out = subnet_ids(&mut d, list, &join("network.vpc.subnets", kind));
                        }
                    }
                    sf.finish(&mut d, &[]);
                }
                vf.finish(&mut d, &["cidr", "security_group", "flow_logs", "flowlogs"]);
            }
            nf.finish(&mut d, &[]);
        }
        f.finish(&mut d, &["http", "observability", "cdn", "certificates"]);
    }
    (env, d.diags)
}

fn subnet_ids(d: &mut Decoder, list: &Node, path: &str) -> Vec<At<String>> {
    let Some(items) = d.list(list, path, "subnets") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ip = index(path, i);
        let Some(mut f) = d.fields(item, &ip) else {
            continue;
        };
        if let Some(id) = f.take("id").and_then(|n| d.string(n, &join(&ip, "id"))) {
            out.push(id);
        }
        f.finish(d, &["cidr", "az"]);
    }
    out
}
