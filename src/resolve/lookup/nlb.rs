//! The reads behind a service's network load balancer (`nlb`), once the
//! service and Copilot's environment stack are known: its load balancer
//! (Copilot's, named by the service stack or found through the service's
//! target groups; or sidecarctl's, found by name), its listeners and target
//! groups, and the security groups that let its traffic through. Read-only;
//! only for a manifest with `nlb`.

use futures_util::future::try_join_all;

use super::reads::read_target_groups;
use crate::aws::{self, Aws, AwsError};
use crate::names::{copilot, sidecarctl};
use crate::resolve::{Answers, Request};
use crate::state::lb::{NetworkLb, NlbState, TargetGroup};

/// Copilot's `nlb.yml`: the load balancer and its security group.
const COPILOT_LB: &str = "PublicNetworkLoadBalancerV2";
const COPILOT_GROUP: &str = "NetworkLoadBalancerSecurityGroup";

/// Two concurrent rounds (three for a load balancer known only through the
/// service's target groups, as after `adopt`): everything that can be found
/// by name (sidecarctl's load balancer, group and target groups; Copilot's
/// load balancer and group in the service stack; the service's target
/// groups; the records), then the load balancer's listeners and target
/// groups with every target group's attributes and the security groups.
pub async fn read(aws: &Aws, req: &Request<'_>, a: &Answers) -> Result<NlbState, AwsError> {
    let svc = &req.svc.name.value;
    let env = a.placement.environment.as_ref();
    let vpc = env.and_then(|e| e.vpc.clone());
    let group_name = sidecarctl::nlb_security_group_name(req.app, req.env, svc);
    let stack = copilot::service_stack(req.app, req.env, svc);
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
    let wanted_records: Vec<(String, String)> = crate::model::nlb_alias_records(req.svc, env)
        .0
        .into_iter()
        .flat_map(|(zone, names)| names.into_iter().map(move |n| (zone.clone(), n)))
        .collect();
    let records = try_join_all(
        wanted_records
            .iter()
            .map(|(zone, name)| aws::route53::a_record(&aws.route53, zone, name)),
    );
    let named_tgs = try_join_all(listeners.iter().map(|(i, protocol)| {
        let name = sidecarctl::nlb_target_group_name(req.app, req.env, svc, *i, protocol);
        async move { aws::elb::target_group_named(&aws.elb, &name).await }
    }));
    let (service_tgs, by_name, named_group, named_tgs, records, copilot_lb, copilot_group) = tokio::join!(
        aws::elb::target_groups(&aws.elb, &service_tgs),
        aws::nlb::find(&aws.elb, &lb_name),
        async {
            match &vpc {
                Some(v) => aws.ec2.security_group_named(&group_name, v).await,
                None => Ok(None),
            }
        },
        named_tgs,
        records,
        aws::cfn::stack_resource(&aws.cfn, &stack, COPILOT_LB),
        aws::cfn::stack_resource(&aws.cfn, &stack, COPILOT_GROUP),
    );
    let (service_tgs, by_name, named_group) = (service_tgs?, by_name?, named_group?);
    let named_tgs: Vec<TargetGroup> = named_tgs?.into_iter().flatten().collect();
    let network_tgs: Vec<&TargetGroup> = service_tgs.iter().filter(|t| t.is_network()).collect();
    // Copilot's load balancer (the service stack's, or the one the service's
    // network target groups belong to), else the one sidecarctl created.
    let arn = copilot_lb?
        .or_else(|| {
            network_tgs
                .iter()
                .find_map(|t| t.load_balancers.first().cloned())
        })
        .or(by_name.as_ref().map(|l| l.arn.clone()));
    // Every target group known now, each once: sidecarctl's names', the
    // service's network ones. Their attributes are read in the next round.
    let mut known: Vec<String> = Vec::new();
    for t in named_tgs.iter().chain(network_tgs.iter().copied()) {
        if !known.contains(&t.arn) {
            known.push(t.arn.clone());
        }
    }
    // The security groups known now: the load balancer's (when found by
    // name), Copilot's in the service stack, the environment's.
    let mut group_ids: Vec<String> = by_name
        .iter()
        .filter(|l| Some(&l.arn) == arn.as_ref())
        .flat_map(|l| l.security_groups.clone())
        .chain(copilot_group?.filter(|id| id.starts_with("sg-")))
        .chain(env.and_then(|e| e.security_group.clone()))
        .filter(|id| named_group.as_ref().is_none_or(|g| &g.id != id))
        .collect();
    group_ids.sort();
    group_ids.dedup();
    let (load_balancer, lb_tgs, known_tgs, groups) = tokio::join!(
        async {
            let Some(arn) = &arn else {
                return Ok::<Option<NetworkLb>, AwsError>(None);
            };
            let (lb, listeners) = tokio::join!(
                async {
                    match &by_name {
                        Some(l) if &l.arn == arn => Ok(Some(l.clone())),
                        _ => aws::nlb::find(&aws.elb, arn).await,
                    }
                },
                aws::nlb::listeners(&aws.elb, arn),
            );
            let mut lb = lb?;
            if let Some(l) = lb.as_mut() {
                l.listeners = listeners?;
            }
            Ok(lb)
        },
        async {
            match &arn {
                Some(arn) => aws::nlb::target_groups_of(&aws.elb, arn).await,
                None => Ok(Vec::new()),
            }
        },
        read_target_groups(aws, &known),
        aws.ec2.security_groups(&group_ids),
    );
    let (load_balancer, lb_tgs) = (load_balancer?, lb_tgs?);
    let mut target_groups = known_tgs?;
    let mut security_groups: Vec<_> = named_group.into_iter().chain(groups?).collect();
    // What only the load balancer's description told (its own target groups
    // and security groups, when not known before): one more round.
    let unknown_tgs: Vec<String> = lb_tgs
        .iter()
        .map(|t| t.arn.clone())
        .filter(|a| !target_groups.iter().any(|t| &t.arn == a))
        .collect();
    let unknown_groups: Vec<String> = load_balancer
        .iter()
        .flat_map(|l| l.security_groups.clone())
        .filter(|id| !security_groups.iter().any(|g| &g.id == id))
        .collect();
    if !unknown_tgs.is_empty() || !unknown_groups.is_empty() {
        let (more_tgs, more_groups) = tokio::join!(
            read_target_groups(aws, &unknown_tgs),
            aws.ec2.security_groups(&unknown_groups),
        );
        target_groups.extend(more_tgs?);
        security_groups.extend(more_groups?);
    }
    Ok(NlbState {
        load_balancer,
        target_groups,
        security_groups,
        records: records?.into_iter().flatten().collect(),
    })
}
