//! `sidecarctl status`: the service, its deployments, recent events and the
//! containers of its task definition.

use super::args::{GlobalArgs, StatusArgs, TextOrJson};
use super::exit::Exit;
use super::load::load_for_env;
use super::output::print_data;
use super::{connect, print_diagnostics, runtime};
use crate::aws::ecs::{describe_service, describe_task_definition};
use crate::deploy::watch::short_td;

pub fn run(args: &StatusArgs, global: &GlobalArgs) -> Exit {
    let loaded = match load_for_env(&args.target, &args.env) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d, global);
            return Exit::Invalid;
        }
    };
    let app = &loaded.target.app;
    let name = crate::deploy::service_name(&loaded.service);
    let cluster = args
        .cluster
        .clone()
        .unwrap_or_else(|| format!("{app}-{}", args.env));
    let result = runtime().block_on(async {
        let aws = connect(global).await?;
        let Some(svc) = describe_service(&aws.ecs, &cluster, &name).await? else {
            return Ok(None);
        };
        let td = describe_task_definition(&aws.ecs, &svc.task_definition).await?;
        Ok::<_, crate::aws::AwsError>(Some((svc, td)))
    });
    let (svc, td) = match result {
        Ok(Some(x)) => x,
        Ok(None) => {
            eprintln!(
                "{}: service {name} does not exist in cluster {cluster}",
                global.color.for_stderr().error("error")
            );
            return Exit::Missing;
        }
        Err(e) => {
            eprintln!("{}: {e}", global.color.for_stderr().error("error"));
            return Exit::Failure;
        }
    };
    if args.output == TextOrJson::Json {
        let doc = serde_json::json!({
            "service": svc.name,
            "serviceArn": svc.arn,
            "cluster": cluster,
            "status": svc.status,
            "taskDefinition": svc.task_definition,
            "desired": svc.desired,
            "running": svc.running,
            "pending": svc.pending,
            "deployments": svc.deployments.iter().map(|d| serde_json::json!({
                "id": d.id, "status": d.status, "taskDefinition": d.task_definition,
                "rolloutState": d.rollout_state, "desired": d.desired, "running": d.running,
                "pending": d.pending, "failedTasks": d.failed_tasks,
            })).collect::<Vec<_>>(),
            "containers": td.as_ref().map(|t| t.definition.container_definitions.iter().map(|c| serde_json::json!({
                "name": c.name, "image": c.image, "essential": c.essential,
                "ports": c.port_mappings.iter().map(|p| format!("{}/{}", p.container_port, p.protocol)).collect::<Vec<_>>(),
                "logDriver": c.log_configuration.as_ref().map(|l| l.log_driver.clone()),
            })).collect::<Vec<_>>()),
            "events": svc.events.iter().take(10).map(|e| &e.message).collect::<Vec<_>>(),
        });
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
        return Exit::Ok;
    }
    let p = global.color.for_stdout();
    let mut out = String::new();
    out.push_str(&format!(
        "{} {} in cluster {cluster}: {}\n",
        p.bold("service"),
        svc.name,
        svc.status
    ));
    out.push_str(&format!(
        "  task definition  {}\n",
        short_td(&svc.task_definition)
    ));
    out.push_str(&format!(
        "  tasks            {} running, {} pending, {} desired\n",
        svc.running, svc.pending, svc.desired
    ));
    out.push_str(&format!("{}\n", p.bold("deployments")));
    for d in &svc.deployments {
        out.push_str(&format!(
            "  {:<8} {:<12} {:<28} {}/{} running{}\n",
            d.status,
            if d.rollout_state.is_empty() {
                "-"
            } else {
                &d.rollout_state
            },
            short_td(&d.task_definition),
            d.running,
            d.desired,
            if d.failed_tasks > 0 {
                format!(", {} failed", d.failed_tasks)
            } else {
                String::new()
            }
        ));
    }
    if let Some(td) = &td {
        out.push_str(&format!("{}\n", p.bold("containers")));
        for c in &td.definition.container_definitions {
            let ports: Vec<String> = c
                .port_mappings
                .iter()
                .map(|p| format!("{}/{}", p.container_port, p.protocol))
                .collect();
            let log = c
                .log_configuration
                .as_ref()
                .map_or("-", |l| l.log_driver.as_str());
            out.push_str(&format!(
                "  {:<20} {:<9} logs:{:<11} {:<10} {}\n",
                c.name,
                if c.essential { "essential" } else { "optional" },
                log,
                if ports.is_empty() {
                    "-".to_string()
                } else {
                    ports.join(",")
                },
                c.image
            ));
        }
    }
    if !svc.events.is_empty() {
        out.push_str(&format!("{}\n", p.bold("recent events")));
        for e in svc.events.iter().take(5) {
            out.push_str(&format!("  {}\n", e.message));
        }
    }
    print_data(&out);
    Exit::Ok
}
