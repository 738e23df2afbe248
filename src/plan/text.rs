//! The plan for people (`--dry-run`): each step, the task definition's
//! differences (images with the tags they were pushed as), the policies'
//! differences and the service's.

use super::{Desired, Plan, TaskDefinitionChange};
use crate::names::arn::{last_segment, short_task_definition as short_td};
use crate::names::image::EcrImage;
use crate::state::Current;
pub use crate::state::DigestTags;

/// The plan as text.
pub fn describe(d: &Desired, plan: &Plan, current: &Current, tags: &DigestTags) -> String {
    let mut out = format!("Plan for service {} in cluster {}:\n", d.service, d.cluster);
    for step in plan.steps() {
        out.push_str(&format!("  • {}\n", step.describe(d)));
    }
    for swap in &plan.swaps {
        out.push_str(&format!("  • {}\n", swap.describe(d)));
    }
    match &plan.task_definition {
        TaskDefinitionChange::Unchanged { arn } => out.push_str(&format!(
            "\nTask definition: unchanged ({})\n",
            short_td(arn)
        )),
        TaskDefinitionChange::Reuse { arn } => out.push_str(&format!(
            "\nTask definition: {} is registered already and will be deployed\n",
            short_td(arn)
        )),
        TaskDefinitionChange::Register { changes } => match &current.td {
            Some(cur) => {
                out.push_str(&format!(
                    "\nTask definition: {} → a new revision\n",
                    short_td(&cur.arn)
                ));
                let images = image_changes(&cur.definition, &d.td, tags);
                for line in &images {
                    out.push_str(&format!("    {line}\n"));
                }
                for c in changes {
                    if !(c.path().starts_with("containerDefinitions[")
                        && c.path().ends_with("].image")
                        && !images.is_empty())
                    {
                        out.push_str(&format!("    {c}\n"));
                    }
                }
            }
            None => out.push_str(&format!(
                "\nTask definition: {} (first revision)\n",
                d.td.family
            )),
        },
    }
    for (name, changes) in &plan.policy_changes {
        out.push_str(&format!("\nIAM policy {name}:\n"));
        for c in changes {
            out.push_str(&format!("    {c}\n"));
        }
    }
    if let Some(s) = &current.service {
        if s.desired != d.desired_count {
            out.push_str(&format!(
                "\nDesired count: {} → {}\n",
                s.desired, d.desired_count
            ));
        }
    } else if let Some(n) = &d.new_service {
        out.push_str(&format!(
            "\nNew service: {} task(s) in {} subnet(s), security groups {}{}\n",
            n.desired,
            n.subnets.len(),
            n.security_groups.join(", "),
            n.load_balancers
                .iter()
                .map(|l| format!(
                    ", behind {} → {}:{}",
                    l.target_group
                        .rsplit('/')
                        .nth(1)
                        .unwrap_or(last_segment(&l.target_group)),
                    l.container,
                    l.port
                ))
                .collect::<String>()
        ));
    }
    out
}

/// `~ containerDefinitions[api].image: demo/api:v1 (sha256:5f3a9c01a2b3) → demo/api:v2 (sha256:9b1d…)`
fn image_changes(
    old: &crate::render::TaskDefinition,
    new: &crate::render::TaskDefinition,
    tags: &DigestTags,
) -> Vec<String> {
    let mut out = Vec::new();
    for c in &new.container_definitions {
        let Some(before) = old
            .container_definitions
            .iter()
            .find(|o| o.name == c.name)
            .map(|o| &o.image)
        else {
            continue;
        };
        if *before != c.image {
            out.push(format!(
                "~ containerDefinitions[{}].image: {} → {}",
                c.name,
                image_label(before, tags),
                image_label(&c.image, tags)
            ));
        }
    }
    out
}

/// An image for people: the repository without its registry host, the tag,
/// and a shortened digest.
pub fn image_label(uri: &str, tags: &DigestTags) -> String {
    let repo = match EcrImage::parse(uri) {
        Some(e) => e.repository,
        None => EcrImage::base(uri).to_string(),
    };
    match uri.split_once('@') {
        Some((_, digest)) => {
            let short: String = digest.chars().take("sha256:".len() + 12).collect();
            match tags.get(digest).and_then(|t| t.first()) {
                Some(tag) => format!("{repo}:{tag} ({short})"),
                None => format!("{repo}@{short}"),
            }
        }
        None => {
            let base = EcrImage::base(uri);
            match uri.strip_prefix(base).and_then(|t| t.strip_prefix(':')) {
                Some(tag) => format!("{repo}:{tag}"),
                None => repo,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_labels_show_tags_and_short_digests() {
        let old = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo/api@sha256:5f3a9c01a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";
        let new = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo/api@sha256:9b1d4e2277aa00000000000000000000000000000000000000000000000000";
        let mut tags = DigestTags::new();
        tags.insert(
            old.split_once('@').unwrap().1.to_string(),
            vec!["v1".into()],
        );
        tags.insert(
            new.split_once('@').unwrap().1.to_string(),
            vec!["v2".into()],
        );
        assert_eq!(image_label(old, &tags), "demo/api:v1 (sha256:5f3a9c01a2b3)");
        assert_eq!(
            image_label(new, &DigestTags::new()),
            "demo/api@sha256:9b1d4e2277aa"
        );
        assert_eq!(image_label("nginx:1.27", &tags), "nginx:1.27");
        assert_eq!(
            image_label("registry.example.com/platform/config-agent:1.4", &tags),
            "registry.example.com/platform/config-agent:1.4"
        );
    }
}
