//! `http`: a Load Balanced Web Service's target groups and listener rules on
//! the environment's load balancer, as Copilot's `alb.yml` and
//! `http-listener.yml` set them up, with no `--target-group-arn`.

use aws_sdk_elasticloadbalancingv2 as elb;
use serde_json::Value;

use crate::support::{Stage, changes};

/// `deploy SVC --env test --image-tag v1 -o json`, nothing else.
fn deploy(s: &Stage, svc: &str, extra: &[&str]) -> (crate::support::Run, Value) {
    let mut args = vec!["--image-tag", "v1"];
    args.extend(extra);
    s.deploy_in_env(svc, &args)
}

/// The listener's rules other than its default: (priority, paths, target groups).
async fn rules(c: &elb::Client, listener: &str) -> Vec<(i32, Vec<String>, Vec<String>, String)> {
    let out = c
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<_> = out
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .map(|r| {
            let paths = r
                .conditions()
                .iter()
                .filter(|c| c.field() == Some("path-pattern"))
                .flat_map(|c| c.path_pattern_config().map_or(c.values(), |p| p.values()))
                .cloned()
                .collect();
            let tgs = r
                .actions()
                .iter()
                .filter_map(|a| a.target_group_arn().map(str::to_string))
                .collect();
            (
                r.priority().unwrap().parse().unwrap(),
                paths,
                tgs,
                r.rule_arn().unwrap().to_string(),
            )
        })
        .collect();
    rules.sort();
    rules
}

/// The ECS service's load balancer entries: (target group, container, port).
async fn service_lbs(s: &Stage, cluster: &str, svc: &str) -> Vec<(String, String, i32)> {
    lbs_of(&s.sdk().await, cluster, svc).await
}

/// The same, as the proxy's simulated ECS shows them (a circuit-breaker
/// rollback restores them there, as in ECS; the emulator does not know it).
async fn simulated_service_lbs(s: &Stage, cluster: &str, svc: &str) -> Vec<(String, String, i32)> {
    let config = s
        .sdk()
        .await
        .into_builder()
        .endpoint_url(&s.proxy.endpoint)
        .build();
    lbs_of(&config, cluster, svc).await
}

async fn lbs_of(
    config: &aws_config::SdkConfig,
    cluster: &str,
    svc: &str,
) -> Vec<(String, String, i32)> {
    let ecs = aws_sdk_ecs::Client::new(config);
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(svc)
        .send()
        .await
        .unwrap();
    out.services()[0]
        .load_balancers()
        .iter()
        .map(|l| {
            (
                l.target_group_arn().unwrap().to_string(),
                l.container_name().unwrap().to_string(),
                l.container_port().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_web_service_gets_its_target_group_and_rule_and_a_path_change_updates_it_in_place() {
    let s = Stage::new("httpnew");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    // Another service's rule on the same listener.
    other_rule(&s, &c, &listener, 1, "/other").await;

    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let done = changes(&v);
    assert!(
        done.iter()
            .any(|c| c.starts_with("create target group api-")),
        "{done:?}"
    );
    let rules_now = rules(&c, &listener).await;
    assert_eq!(rules_now.len(), 2, "{rules_now:?}");
    let (priority, paths, tgs, rule_arn) = rules_now[1].clone();
    assert_eq!(priority, 2, "the next priority after the other service's");
    assert_eq!(paths, ["/api", "/api/*"]);
    let tg = tgs[0].clone();
    let cluster = v["cluster"].as_str().unwrap().to_string();
    assert_eq!(
        service_lbs(&s, &cluster, "api").await,
        [(tg.clone(), "nginx".to_string(), 80)],
        "the manifest's target container and its port"
    );
    let group = c
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .clone();
    assert_eq!(group.health_check_path(), Some("/api/health-check"));
    assert_eq!(group.protocol_version(), Some("HTTP1"));
    let attrs = c
        .describe_target_group_attributes()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap();
    let attr = |k: &str| {
        attrs
            .attributes()
            .iter()
            .find(|a| a.key() == Some(k))
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    assert_eq!(
        attr("deregistration_delay.timeout_seconds").as_deref(),
        Some("60")
    );
    assert_eq!(attr("stickiness.enabled").as_deref(), Some("false"));

    // Registered in the environment's namespace as `api`, with the target port.
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let described = ecs
        .describe_services()
        .cluster(&cluster)
        .services("api")
        .send()
        .await
        .unwrap();
    let registry = described.services()[0].service_registries()[0].clone();
    assert_eq!(registry.port(), Some(80));
    let sd = aws_sdk_servicediscovery::Client::new(&s.sdk().await);
    let discovery = sd
        .list_services()
        .send()
        .await
        .unwrap()
        .services()
        .iter()
        .find(|x| x.arn() == registry.registry_arn())
        .cloned()
        .expect("the Cloud Map service the ECS service registers in");
    assert_eq!(discovery.name(), Some("api"));

    // Again with nothing changed: nothing is written.
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v}\n{}", r.stderr);

    // A new path: the same rule, in place, at the same priority.
    s.write_manifest(&s.manifest().replace("path: 'api'", "path: 'v2'"));
    let (r, v) = deploy(&s, "api", &["--dry-run"]);
    r.assert_code(0);
    assert!(
        v.to_string().contains("update rule /v2 /v2/*"),
        "the dry run shows the rule's change: {v}"
    );
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(
        changes(&v)
            .iter()
            .filter(|c| c.contains("target group") && c.starts_with("create"))
            .count(),
        0,
        "{v}"
    );
    let after = rules(&c, &listener).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(
        after[1],
        (
            2,
            vec!["/v2".to_string(), "/v2/*".to_string()],
            vec![tg],
            rule_arn
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_services_on_one_listener_get_distinct_priorities_and_the_root_rule_goes_last() {
    let s = Stage::new("httptwo");
    let listener = s.copilot_environment().await;
    // A second web service, `web`, from the same image, under `/web`, with
    // an additional rule for `/`.
    let image = format!(
        "{}.dkr.ecr.{}.amazonaws.com/{}/api:v1",
        s.seed.vars["AWS_ACCOUNT_ID"], s.seed.vars["AWS_REGION"], s.app
    );
    let web = s
        .manifest()
        .replace("name: api", "name: web")
        .replace("build: api/Dockerfile", &format!("location: {image}"))
        .replace(
            "path: 'api'",
            "path: 'web'\n  additional_rules:\n    - path: /\n      target_container: nginx",
        );
    s.ws.write("copilot/web/manifest.yml", &web);
    let (r, _) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let (r, v) = deploy(&s, "web", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    let c = elb::Client::new(&s.sdk().await);
    let all = rules(&c, &listener).await;
    let by_path: Vec<(i32, Vec<String>)> = all.iter().map(|r| (r.0, r.1.clone())).collect();
    assert_eq!(
        by_path,
        [
            (1, vec!["/api".to_string(), "/api/*".to_string()]),
            (2, vec!["/web".to_string(), "/web/*".to_string()]),
            (50000, vec!["/*".to_string()]),
        ],
        "distinct priorities; `/` below every other rule, as Copilot orders them"
    );
    let web_tgs: Vec<&String> = all[1..].iter().map(|r| &r.2[0]).collect();
    assert_ne!(web_tgs[0], web_tgs[1], "a target group per rule");
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_and_response_time_scale_on_the_main_rules_target_group() {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let s = Stage::new("httpscale");
    s.copilot_environment().await;
    let fixed = "  test:\n    count: 2\n";
    let text = s.manifest();
    assert!(text.contains(fixed));
    s.write_manifest(&text.replace(
        fixed,
        "  test:\n    count:\n      range: 1-4\n      requests: 500\n      response_time: 2s\n",
    ));
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let cluster = v["cluster"].as_str().unwrap().to_string();
    let tg = service_lbs(&s, &cluster, "api").await[0].0.clone();
    let client = aws_sdk_applicationautoscaling::Client::new(&s.sdk().await);
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/{cluster}/api"))
        .send()
        .await
        .unwrap();
    let policy = |name: &str| {
        policies
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == name)
            .unwrap_or_else(|| panic!("{name}: {policies:?}"))
            .target_tracking_scaling_policy_configuration()
            .unwrap()
            .clone()
    };
    let requests = policy("api-ALBSumRequestCountPerTarget-ScalingPolicy");
    assert_eq!(requests.target_value(), 500.0);
    let metric = requests.customized_metric_specification().unwrap();
    assert_eq!(metric.metric_name(), Some("RequestCountPerTarget"));
    assert_eq!(metric.namespace(), Some("AWS/ApplicationELB"));
    let dims: Vec<(&str, &str)> = metric
        .dimensions()
        .iter()
        .map(|d| (d.name(), d.value()))
        .collect();
    assert_eq!(dims[1], ("TargetGroup", tg.rsplit(':').next().unwrap()));
    assert!(dims[0].1.starts_with("app/"), "{dims:?}");
    let time = policy("api-ALBAverageResponseTime-ScalingPolicy");
    assert_eq!(time.target_value(), 2.0);
    assert_eq!(
        time.customized_metric_specification()
            .unwrap()
            .metric_name(),
        Some("TargetResponseTime")
    );

    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v}\n{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_load_balancer_gets_the_rule_and_a_missing_one_changes_nothing() {
    let s = Stage::new("httpalb");
    s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    let v = &s.seed.vars;
    let name = format!("{}-imported", s.app);
    let lb = c
        .create_load_balancer()
        .name(&name)
        .subnets(&v["PUBLIC_SUBNET_1"])
        .subnets(&v["PUBLIC_SUBNET_2"])
        .security_groups(&v["SECURITY_GROUP_ID"])
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .clone();
    let listener = c
        .create_listener()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .protocol(elb::types::ProtocolEnum::Http)
        .port(80)
        .default_actions(
            elb::types::Action::builder()
                .r#type(elb::types::ActionTypeEnum::Forward)
                .target_group_arn(&v["TARGET_GROUP_ARN"])
                .build(),
        )
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .listener_arn()
        .unwrap()
        .to_string();

    let text = s.manifest();
    s.write_manifest(&text.replace("path: 'api'", "path: 'api'\n  alb: no-such-lb"));
    let (r, report) = deploy(&s, "api", &[]);
    r.assert_code(3);
    assert_eq!(report["outcome"], "missing");
    assert!(
        r.stderr
            .contains("application load balancer no-such-lb does not exist"),
        "{}",
        r.stderr
    );

    // With an alias in a hosted zone: its A record aliases the load balancer.
    let zone = s.hosted_zone(&format!("{}.example.com", s.app)).await;
    let r53 = aws_sdk_route53::Client::new(&s.sdk().await);
    let host = format!("api.{}.example.com", s.app);
    s.write_manifest(&text.replace(
        "path: 'api'",
        &format!("path: 'api'\n  alb: {name}\n  alias: {host}\n  hosted_zone: {zone}"),
    ));
    let (r, report) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let on_imported = rules(&c, &listener).await;
    assert_eq!(on_imported.len(), 1, "{on_imported:?}");
    assert_eq!(on_imported[0].1, ["/api", "/api/*"]);
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let record = sets
        .resource_record_sets()
        .iter()
        .find(|r| r.name().trim_end_matches('.') == host && r.r#type().as_str() == "A")
        .unwrap_or_else(|| panic!("an A record for {host}: {sets:?}"));
    let target = record.alias_target().unwrap();
    assert_eq!(
        target.dns_name().trim_end_matches('.'),
        lb.dns_name().unwrap()
    );
    assert_eq!(Some(target.hosted_zone_id()), lb.canonical_hosted_zone_id());
    // COPILOT_LB_DNS is the imported load balancer's, as Copilot sets it.
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td = ecs
        .describe_task_definition()
        .task_definition(report["taskDefinition"]["arn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let lb_dns = td.task_definition().unwrap().container_definitions()[0]
        .environment()
        .iter()
        .find(|e| e.name() == Some("COPILOT_LB_DNS"))
        .and_then(|e| e.value())
        .map(str::to_string);
    assert_eq!(lb_dns.as_deref(), lb.dns_name());

    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v}\n{}", r.stderr);
}

/// A rule on the listener at `priority` for `path`, forwarding to the seed's target group.
async fn other_rule(s: &Stage, c: &elb::Client, listener: &str, priority: i32, path: &str) {
    c.create_rule()
        .listener_arn(listener)
        .priority(priority)
        .conditions(
            elb::types::RuleCondition::builder()
                .field("path-pattern")
                .values(path)
                .build(),
        )
        .actions(
            elb::types::Action::builder()
                .r#type(elb::types::ActionTypeEnum::Forward)
                .target_group_arn(&s.seed.vars["TARGET_GROUP_ARN"])
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_priority_taken_while_the_deploy_ran_is_chosen_again_and_a_lost_answer_makes_no_twin() {
    let s = Stage::new("httprace");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    // The deploy's CreateRule is held back; meanwhile another deploy takes
    // the priority it chose (1, on an empty listener).
    s.proxy.faults(serde_json::json!([
        {"op": "elasticloadbalancing:CreateRule", "kind": "slow", "times": 1, "delayMs": 2000}
    ]));
    let child = s
        .cmd()
        .args([
            "deploy",
            "api",
            "--env",
            "test",
            "--image-tag",
            "v1",
            "--no-wait",
        ])
        .args(["-o", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_op("elasticloadbalancing:CreateRule", 1);
    other_rule(&s, &c, &listener, 1, "/other").await;
    let r = crate::support::finish(child);
    r.assert_code(0);
    let all = rules(&c, &listener).await;
    let priorities: Vec<(i32, Vec<String>)> = all.iter().map(|r| (r.0, r.1.clone())).collect();
    assert_eq!(
        priorities,
        [
            (1, vec!["/other".to_string()]),
            (2, vec!["/api".to_string(), "/api/*".to_string()])
        ],
        "{}",
        r.stderr
    );

    // A CreateRule whose answer is lost after it took effect: the SDK sends
    // it again, its priority is taken (by itself), and the read-back
    // recognises the rule as this deploy's: no second rule.
    let s2 = Stage::new("httplost");
    let listener = s2.copilot_environment().await;
    let c = elb::Client::new(&s2.sdk().await);
    s2.proxy.faults(serde_json::json!([
        {"op": "elasticloadbalancing:CreateRule", "kind": "reset-after", "times": 1}
    ]));
    let (r, _) = deploy(&s2, "api", &["--no-wait"]);
    r.assert_code(0);
    let all = rules(&c, &listener).await;
    assert_eq!(all.len(), 1, "one rule, not two: {all:?}");
    assert_eq!(
        s2.proxy
            .counts()
            .get("elasticloadbalancing:CreateRule")
            .copied(),
        Some(2),
        "sent twice"
    );
}

/// The protocol version of a target group, or None when it is gone.
async fn protocol_version(c: &elb::Client, tg: &str) -> Option<String> {
    let out = c
        .describe_target_groups()
        .target_group_arns(tg)
        .send()
        .await;
    out.ok()?
        .target_groups()
        .first()
        .and_then(|g| g.protocol_version())
        .map(str::to_string)
}

/// Where the listener sends `path` now: the target groups its first
/// matching rule gives a weight above 0, each with its healthy targets (as
/// the proxy's simulated ECS registers them).
async fn route(
    c: &elb::Client,
    via_proxy: &elb::Client,
    listener: &str,
    path: &str,
) -> Vec<(String, usize)> {
    let out = c
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<&elb::types::Rule> = out
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .collect();
    rules.sort_by_key(|r| r.priority().and_then(|p| p.parse::<i32>().ok()));
    let matches = |r: &elb::types::Rule| {
        r.conditions()
            .iter()
            .filter(|c| c.field() == Some("path-pattern"))
            .flat_map(|c| c.path_pattern_config().map_or(c.values(), |p| p.values()))
            .any(|p| {
                p == path
                    || p.strip_suffix("/*")
                        .is_some_and(|pre| path.starts_with(&format!("{pre}/")) || pre.is_empty())
            })
    };
    let Some(rule) = rules.into_iter().find(|r| matches(r)) else {
        return Vec::new();
    };
    let action = &rule.actions()[0];
    let serving: Vec<String> = match action.forward_config() {
        Some(f) if !f.target_groups().is_empty() => f
            .target_groups()
            .iter()
            .filter(|t| t.weight().unwrap_or(1) > 0)
            .filter_map(|t| t.target_group_arn().map(str::to_string))
            .collect(),
        _ => action
            .target_group_arn()
            .map(str::to_string)
            .into_iter()
            .collect(),
    };
    let mut out = Vec::new();
    for tg in serving {
        let healthy = via_proxy
            .describe_target_health()
            .target_group_arn(&tg)
            .send()
            .await
            .map(|h| {
                h.target_health_descriptions()
                    .iter()
                    .filter(|t| {
                        t.target_health().and_then(|h| h.state())
                            == Some(&elb::types::TargetHealthStateEnum::Healthy)
                    })
                    .count()
            })
            .unwrap_or(0);
        out.push((tg, healthy));
    }
    out
}

/// Watches, every 50 ms until dropped, that `path` is routed to target
/// groups that all have a healthy target; what it saw otherwise.
struct RouteProbe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<(usize, Vec<String>)>,
}

impl RouteProbe {
    async fn start(s: &Stage, listener: &str, path: &str) -> RouteProbe {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, listener, path) = (stop.clone(), listener.to_string(), path.to_string());
        let c = elb::Client::new(&s.sdk().await);
        let via_proxy = elb::Client::new(&s.sdk_via_proxy().await);
        let task = tokio::spawn(async move {
            let (mut samples, mut seen) = (0, Vec::new());
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let r = route(&c, &via_proxy, &listener, &path).await;
                samples += 1;
                if r.is_empty() || r.iter().any(|(_, n)| *n == 0) {
                    seen.push(format!("{r:?}"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            (samples, seen)
        });
        RouteProbe { stop, task }
    }

    /// Every moment the path was not routed to healthy targets (having
    /// looked many times).
    async fn finish(self) -> Vec<String> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let (samples, seen) = self.task.await.unwrap();
        assert!(samples > 20, "the probe looked {samples} times only");
        seen
    }
}

/// The position of `needle` in `text`, which must hold it.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_protocol_version_moves_the_traffic_to_a_new_target_group_without_a_moment_unrouted()
{
    let s = Stage::new("httpswap");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let cluster = v["cluster"].as_str().unwrap().to_string();
    let before = rules(&c, &listener).await;
    assert_eq!(before.len(), 1, "{before:?}");
    let (_, _, tgs, rule_arn) = before[0].clone();
    let old = tgs[0].clone();
    let old_name = old.split('/').nth(1).unwrap().to_string();
    let probe = RouteProbe::start(&s, &listener, "/api").await;

    // gRPC: a target group's protocol version cannot change in place.
    s.write_manifest(
        &s.manifest()
            .replace("path: 'api'", "path: 'api'\n  version: grpc"),
    );
    let (r, v) = deploy(&s, "api", &["--dry-run"]);
    r.assert_code(0);
    let text = v.to_string();
    assert!(
        text.contains("without dropping traffic") && text.contains("joins the rules at weight 0"),
        "the dry run says how: {v}\n{}",
        r.stderr
    );
    // The deploy carries the replacement on after the rollout: refused
    // without watching, before any write.
    let (r, v) = deploy(&s, "api", &["--no-wait"]);
    r.assert_code(2);
    assert!(v.to_string().contains("target-group-replacement"), "{v}");
    assert_eq!(rules(&c, &listener).await, before, "nothing was written");

    // A rollout that fails (no task ever healthy): ECS's circuit breaker
    // puts the service back on the old group, and the rules forward to it
    // alone again; the new group stays for the next try.
    s.proxy.rollouts(1_500, &["fail"]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(4);
    assert_eq!(v["outcome"], "rolled-back", "{v}\n{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "listener rules forward to target group {old_name} alone again"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(rules(&c, &listener).await, before, "the rule as it was");
    assert_eq!(
        simulated_service_lbs(&s, &cluster, "api").await,
        [(old.clone(), "nginx".to_string(), 80)]
    );

    // Tasks that become healthy, then fail: the traffic never left the old
    // group (it moves only once the first rollout completed).
    s.proxy.rollouts(1_500, &["fail-late"]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(4);
    assert_eq!(v["outcome"], "rolled-back", "{v}\n{}", r.stderr);
    assert!(!r.stderr.contains("send the traffic to"), "{}", r.stderr);
    assert_eq!(rules(&c, &listener).await, before);

    // Both rollouts complete: the service registers in both groups, the
    // traffic moves once the new group is healthy, the service leaves the
    // old group, the rule forwards to the new one alone, the old one goes.
    s.proxy.rollouts(1_500, &[]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    let done = changes(&v);
    assert!(
        !done.iter().any(|c| c.starts_with("create target group")),
        "the group the failed tries made is taken up: {done:?}"
    );
    let e = &r.stderr;
    let shifted = at(e, "listener rules send the traffic to target group api-");
    assert!(
        e[shifted..]
            .lines()
            .next()
            .unwrap()
            .contains(&format!("2 healthy target(s) there, 2 in {old_name}")),
        "moved once the new group had the old one's healthy targets:\n{e}"
    );
    let left = at(e, &format!("service leaves target group {old_name}"));
    let alone = at(e, "listener rules forward to target group api-");
    let deleted = at(
        e,
        &format!("delete target group {old_name} (attached to nothing)"),
    );
    assert!(shifted < left && left < alone && alone < deleted, "{e}");
    let after = rules(&c, &listener).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(
        (after[0].0, &after[0].1, &after[0].3),
        (before[0].0, &before[0].1, &rule_arn),
        "the same rule, at the same priority"
    );
    let new = after[0].2[0].clone();
    assert_ne!(new, old);
    assert_eq!(protocol_version(&c, &new).await.as_deref(), Some("GRPC"));
    assert_eq!(
        simulated_service_lbs(&s, &cluster, "api").await,
        [(new, "nginx".to_string(), 80)]
    );
    assert_eq!(
        protocol_version(&c, &old).await,
        None,
        "the old group is gone"
    );

    let unrouted = probe.finish().await;
    assert!(
        unrouted.is_empty(),
        "the path went without healthy targets: {unrouted:?}"
    );
    // The probe sees it when a rule sends the path to a group without
    // healthy targets.
    let empty = c
        .create_target_group()
        .name(
            format!("{}-empty", s.app)
                .chars()
                .take(32)
                .collect::<String>(),
        )
        .protocol(elb::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&s.seed.vars["VPC_ID"])
        .target_type(elb::types::TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    c.modify_rule()
        .rule_arn(&rule_arn)
        .actions(
            elb::types::Action::builder()
                .r#type(elb::types::ActionTypeEnum::Forward)
                .target_group_arn(&empty)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let via_proxy = elb::Client::new(&s.sdk_via_proxy().await);
    assert_eq!(route(&c, &via_proxy, &listener, "/api").await, [(empty, 0)]);
}

/// `deploy api` started in the background, its output piped.
fn spawn_deploy(s: &Stage) -> std::process::Child {
    s.cmd()
        .args([
            "deploy",
            "api",
            "--env",
            "test",
            "--image-tag",
            "v1",
            "-o",
            "json",
        ])
        .args(["--poll-interval", "50ms", "--timeout", "30s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill(child: &std::process::Child, signal: &str) {
    crate::support::run(
        std::process::Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]),
    )
    .assert_code(0);
}

/// The rule for `/`: (its target groups, by weight).
async fn root_rule(c: &elb::Client, listener: &str) -> Vec<(String, i32)> {
    let out = c
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .unwrap();
    let r = out
        .rules()
        .iter()
        .find(|r| r.is_default() != Some(true))
        .unwrap();
    let a = &r.actions()[0];
    match a.forward_config() {
        Some(f) if !f.target_groups().is_empty() => f
            .target_groups()
            .iter()
            .map(|t| {
                (
                    t.target_group_arn().unwrap().to_string(),
                    t.weight().unwrap_or(1),
                )
            })
            .collect(),
        _ => vec![(a.target_group_arn().unwrap().to_string(), 1)],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_replacement_keeps_the_path_routed_and_the_next_deploy_finishes_it() {
    let s = Stage::new("httpswapkill");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    // The root path: its rule takes Copilot's last priority, 50000.
    s.write_manifest(&s.manifest().replace("path: 'api'", "path: '/'"));
    let (r, _) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let probe = RouteProbe::start(&s, &listener, "/anything").await;
    let version = |v: &str| {
        let m = s.manifest();
        let m = m
            .lines()
            .filter(|l| !l.trim_start().starts_with("version:"))
            .collect::<Vec<_>>()
            .join("\n");
        s.write_manifest(&format!(
            "{}\n",
            m.replace("path: '/'", &format!("path: '/'\n  version: {v}"))
        ));
    };
    let finished = |r: &crate::support::Run| {
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}\n{}\n{}", r.stdout, r.stderr));
        v
    };
    let only = |weights: &[(String, i32)]| {
        assert_eq!(weights.len(), 1, "forwards to one group: {weights:?}");
        weights[0].0.clone()
    };

    // 1. SIGTERM one second into the first rollout; deployed again at once:
    //    the rerun waits for that rollout and finishes the replacement.
    version("grpc");
    let old = only(&root_rule(&c, &listener).await);
    s.proxy.reset();
    s.proxy.rollouts(3_000, &[]);
    let child = spawn_deploy(&s);
    s.wait_for_op("ecs:UpdateService", 1);
    std::thread::sleep(std::time::Duration::from_secs(1));
    kill(&child, "TERM");
    let r = crate::support::finish(child);
    r.assert_code(143);
    let v = finished(&r);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("the service registers in both"),
        "the report says where the replacement stands: {v}"
    );
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    assert!(
        r.stderr.contains("waiting for the rollout under way"),
        "{}",
        r.stderr
    );
    let grpc = only(&root_rule(&c, &listener).await);
    assert_ne!(grpc, old);
    assert_eq!(protocol_version(&c, &grpc).await.as_deref(), Some("GRPC"));
    assert_eq!(protocol_version(&c, &old).await, None);

    // 2. Back to HTTP/1: killed (SIGKILL) right after the traffic moved,
    //    while the service leaves the old group; that rollout then fails
    //    late and ECS puts the service back in both groups. The lock
    //    removed, the next deploy finishes.
    version("http1");
    s.proxy.reset();
    s.proxy.rollouts(1_500, &["complete", "fail-late"]);
    let child = spawn_deploy(&s);
    s.wait_for_op("ecs:UpdateService", 2);
    kill(&child, "KILL");
    crate::support::finish(child);
    std::thread::sleep(std::time::Duration::from_secs(4));
    let weights = root_rule(&c, &listener).await;
    assert_eq!(weights.len(), 2, "{weights:?}");
    assert_eq!(
        weights.iter().find(|(t, _)| *t == grpc).map(|(_, w)| *w),
        Some(0)
    );
    crate::support::run(s.cmd().args(["unlock", "api", "--env", "test"])).assert_code(0);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    let http1 = only(&root_rule(&c, &listener).await);
    assert_eq!(protocol_version(&c, &http1).await.as_deref(), Some("HTTP1"));
    assert_eq!(
        protocol_version(&c, &grpc).await,
        None,
        "the gRPC group is gone"
    );

    // 3. Killed before the traffic moved; ECS completes the rollout with
    //    nobody watching: the old group keeps the traffic and its tasks;
    //    the next deploy finishes.
    version("grpc");
    s.proxy.reset();
    s.proxy.rollouts(1_000, &[]);
    let child = spawn_deploy(&s);
    s.wait_for_op("ecs:UpdateService", 1);
    kill(&child, "KILL");
    crate::support::finish(child);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let weights = root_rule(&c, &listener).await;
    assert_eq!(
        weights.iter().find(|(t, _)| *t == http1).map(|(_, w)| *w),
        Some(1),
        "{weights:?}"
    );
    crate::support::run(s.cmd().args(["unlock", "api", "--env", "test"])).assert_code(0);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    let last = only(&root_rule(&c, &listener).await);
    assert_eq!(protocol_version(&c, &last).await.as_deref(), Some("GRPC"));
    assert_eq!(protocol_version(&c, &http1).await, None);

    let unrouted = probe.finish().await;
    assert!(
        unrouted.is_empty(),
        "the path went without healthy targets: {unrouted:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_target_health_the_traffic_moves_once_ecs_completed_the_rollout() {
    let s = Stage::new("httpswapnohealth");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    let (r, _) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let before = rules(&c, &listener).await;
    s.write_manifest(
        &s.manifest()
            .replace("path: 'api'", "path: 'api'\n  version: http2"),
    );
    // Target health cannot be read (a deployer role without
    // DescribeTargetHealth would see the same): said, and the traffic moves
    // on the proof left, ECS's completed rollout (ECS completes it only once
    // its tasks are healthy in every group of the service). And the old
    // group cannot be deleted: the deploy succeeds and names it.
    s.proxy.faults(serde_json::json!([
        {"op": "elasticloadbalancing:DescribeTargetHealth", "kind": "error500", "times": 1000},
        {"op": "elasticloadbalancing:DeleteTargetGroup", "kind": "error500", "times": 1000}
    ]));
    s.proxy.rollouts(1_000, &[]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    assert!(
        r.stderr.contains("target health could not be read"),
        "{}",
        r.stderr
    );
    assert!(
        changes(&v)
            .iter()
            .any(|c| c.ends_with("(the rollout completed)")),
        "{v}"
    );
    let old = &before[0].2[0];
    assert!(
        r.stderr.contains(&format!(
            "target group {old} takes no traffic and nothing uses it, but could not be deleted"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(protocol_version(&c, old).await.as_deref(), Some("HTTP1"));
    let after = rules(&c, &listener).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].3, before[0].3, "the same rule");
    assert_eq!(
        protocol_version(&c, &after[0].2[0]).await.as_deref(),
        Some("HTTP2")
    );
}
