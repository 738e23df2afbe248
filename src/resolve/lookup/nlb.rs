//! The reads behind a service's network load balancer (`nlb`), once the
//! service and Copilot's environment stack are known: its load balancer
//! (Copilot's, found through the service's target groups, or sidecarctl's,
//! found by name), its listeners and target groups, and the security groups
//! that let its traffic through. Read-only; only for a manifest with `nlb`.

use futures_util::future::try_join_all;

use super::read_target_groups;
use crate::aws::{self, Aws, AwsError};
use crate::names::sidecarctl;
use crate::resolve::{Answers, Request};
use crate::state::lb::{NlbState, TargetGroup};

/// Three concurrent rounds at most: the service's target groups beside
/// sidecarctl's names; the load balancer's listeners and target groups; the
/// target groups' attributes beside the security groups.
pub async fn read(aws: &Aws, req: &Request<'_>, a: &Answers) -> Result<NlbState, AwsError> {
    let svc = &req.svc.name.value;
    let env = a.placement.environment.as_ref();
    let vpc = env.and_then(|e| e.vpc.clone());
    let group_name = sidecarctl::nlb_security_group_name(req.app, req.env, svc);
    let service_tgs: Vec<String> = a
        .service
        .iter()
        .flat_map(|s| &s.load_balancers)
        .map(|l| l.target_group.clone())
        .collect();
    let listeners: Vec<(usize, &str)> = req
        .svc
        .nlb_listeners()
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.protocol.target_protocol()))
        .collect();
    let lb_name = sidecarctl::nlb_name(req.app, req.env, svc);
    // The host names' records, in the environment's hosted zone.
    let wanted_records: Vec<(String, String)> = crate::plan::nlb::alias_records(req.svc, env)
        .0
        .into_iter()
        .flat_map(|(zone, names)| names.into_iter().map(move |n| (zone.clone(), n)))
        .collect();
    let records = try_join_all(
        wanted_records
            .iter()
            .map(|(zone, name)| aws::route53::a_record(&aws.route53, zone, name)),
    );
    let (service_tgs, by_name, named_group, named_tgs, records) = tokio::join!(
        aws::elb::target_groups(&aws.elb, &service_tgs),
        aws::nlb::find(&aws.elb, &lb_name),
        async {
            match &vpc {
                Some(v) => aws.ec2.security_group_named(&group_name, v).await,
                None => Ok(None),
            }
        },
        try_join_all(listeners.iter().map(|(i, protocol)| {
            let name = sidecarctl::nlb_target_group_name(req.app, req.env, svc, *i, protocol);
            async move { aws::elb::target_group_named(&aws.elb, &name).await }
        })),
        records,
    );
    let (service_tgs, by_name, named_group) = (service_tgs?, by_name?, named_group?);
    // Copilot's load balancer (the one the service's network target groups
    // belong to), else the one sidecarctl created.
    let arn = service_tgs
        .iter()
        .filter(|t| t.is_network())
        .find_map(|t| t.load_balancers.first().cloned())
        .or(by_name.as_ref().map(|l| l.arn.clone()));
    let (load_balancer, lb_tgs) = match &arn {
        Some(arn) => {
            let (lb, listeners, tgs) = tokio::join!(
                async {
                    match &by_name {
                        Some(l) if &l.arn == arn => Ok(Some(l.clone())),
                        _ => aws::nlb::find(&aws.elb, arn).await,
                    }
                },
                aws::nlb::listeners(&aws.elb, arn),
                aws::nlb::target_groups_of(&aws.elb, arn),
            );
            let mut lb = lb?;
            if let Some(l) = lb.as_mut() {
                l.listeners = listeners?;
            }
            (lb, tgs?)
        }
        None => (None, Vec::new()),
    };
    // Each target group once: the load balancer's, sidecarctl's names', the
    // service's network ones.
    let mut arns: Vec<String> = Vec::new();
    for t in lb_tgs
        .iter()
        .chain(named_tgs?.iter().flatten())
        .chain(service_tgs.iter().filter(|t| t.is_network()))
    {
        if !arns.contains(&t.arn) {
            arns.push(t.arn.clone());
        }
    }
    let mut group_ids: Vec<String> = load_balancer
        .iter()
        .flat_map(|l| l.security_groups.clone())
        .chain(env.and_then(|e| e.security_group.clone()))
        .collect();
    group_ids.retain(|id| named_group.as_ref().is_none_or(|g| &g.id != id));
    group_ids.dedup();
    let (target_groups, groups) = tokio::join!(
        read_target_groups(aws, &arns),
        aws.ec2.security_groups(&group_ids),
    );
    let target_groups: Vec<TargetGroup> = target_groups?;
    Ok(NlbState {
        load_balancer,
        target_groups,
        security_groups: named_group.into_iter().chain(groups?).collect(),
        records: records?.into_iter().flatten().collect(),
    })
}
