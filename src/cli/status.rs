//! `sidecarctl status`: the service, its deployments, recent events, the
//! containers of its task definition, and who holds its deploy lock (a
//! Scheduled Job's: [`super::job_status`]).

use super::args::{GlobalArgs, ServiceArgs};
use super::load::load_for_env;
use super::output::print_data;
use super::{connect, print_diagnostics, runtime};
use crate::aws::ecs::describe_task_definition;
use crate::aws::lock::{self, lock_name};
use crate::clock::{now_ms, rfc3339_ms};
use crate::exit::Exit;
use crate::names::arn::short_task_definition as short_td;
use crate::state::{LockHolder, Registered, RolloutState, ServiceState};

/// Events shown.
const EVENTS: usize = 10;

pub fn run(args: &ServiceArgs, global: &GlobalArgs) -> Exit {
    let loaded = match load_for_env(&args.target, false) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d, global);
            return Exit::Invalid;
        }
    };
    if loaded.service.job.is_some() {
        return super::job_status::run(args, global, &loaded);
    }
    let app = &loaded.target.app;
    let env = args.target.env();
    let name = crate::deploy::service_name(&loaded.service);
    let result = runtime().block_on(async {
        let aws = connect(global).await?;
        let lock = lock_name(app, env, &name);
        // Where it runs, found as deploy finds it, with the lock.
        let (located, holder) = tokio::join!(
            super::load::locate_loaded(&aws, &loaded, env, args.cluster.cluster.as_deref()),
            lock::read(&aws.ssm, &lock),
        );
        let located = located?;
        let cluster = located.placement.cluster;
        let svc = located.service;
        let holder = holder?;
        let td = match &svc {
            Some(s) => describe_task_definition(&aws.ecs, &s.task_definition).await?,
            None => None,
        };
        Ok::<_, crate::aws::AwsError>((cluster, svc, td, holder))
    });
    let p = global.color.for_stderr();
    let (cluster, svc, td, holder) = match result {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{}: {e}", p.error("error"));
            return super::connect_failed(&e);
        }
    };
    let Some(svc) = svc else {
        eprintln!(
            "{}: service {name} does not exist in cluster {cluster}",
            p.error("error")
        );
        eprintln!(
            "  {} it has not been deployed yet: sidecarctl deploy {name} --env {env}",
            p.cyan("help:")
        );
        return Exit::Missing;
    };
    let now = now_ms();
    if args.output.json() {
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json(&cluster, &svc, td.as_ref(), holder.as_ref(), now))
                .unwrap_or_default()
        ));
    } else {
        print_data(&text(
            &cluster,
            &svc,
            td.as_ref(),
            holder.as_ref(),
            now,
            global,
        ));
    }
    Exit::Ok
}

/// Who holds the deploy lock, for people.
pub(super) fn lock_text(holder: Option<&LockHolder>, now: i64) -> String {
    match holder {
        None => "free".to_string(),
        Some(h) if h.expires <= now => format!(
            "expired: {} since {} (the next deploy takes it over)",
            h.owner,
            rfc3339_ms(h.since)
        ),
        Some(h) => format!(
            "held by {} since {}, until {}",
            h.owner,
            rfc3339_ms(h.since),
            rfc3339_ms(h.expires)
        ),
    }
}

pub(super) fn lock_json(h: &LockHolder, now: i64) -> serde_json::Value {
    serde_json::json!({
        "holder": h.owner,
        "since": rfc3339_ms(h.since),
        "expires": rfc3339_ms(h.expires),
        "expired": h.expires <= now,
    })
}

fn json(
    cluster: &str,
    svc: &ServiceState,
    td: Option<&Registered>,
    holder: Option<&LockHolder>,
    now: i64,
) -> serde_json::Value {
    serde_json::json!({
        "service": svc.name,
        "serviceArn": svc.arn,
        "cluster": cluster,
        "status": svc.status,
        "taskDefinition": svc.task_definition,
        "desired": svc.desired,
        "running": svc.running,
        "exec": svc.exec,
        "pending": svc.pending,
        "deployments": svc.deployments.iter().map(|d| serde_json::json!({
            "id": d.id, "status": d.status.as_str(), "taskDefinition": d.task_definition,
            "rolloutState": d.rollout_state.as_str(), "desired": d.desired, "running": d.running,
            "pending": d.pending, "failedTasks": d.failed_tasks,
            "createdAt": (d.created_at_ms > 0).then(|| rfc3339_ms(d.created_at_ms)),
        })).collect::<Vec<_>>(),
        "containers": td.map(|t| t.definition.container_definitions.iter().map(|c| serde_json::json!({
            "name": c.name, "image": c.image, "essential": c.essential,
            "ports": c.port_mappings.iter().map(|p| format!("{}/{}", p.container_port, p.protocol)).collect::<Vec<_>>(),
            "logDriver": c.log_configuration.as_ref().map(|l| l.log_driver.clone()),
        })).collect::<Vec<_>>()),
        "events": svc.events.iter().take(EVENTS).map(|e| serde_json::json!({
            "at": rfc3339_ms(e.at_epoch_ms), "message": e.message,
        })).collect::<Vec<_>>(),
        "lock": holder.map(|h| lock_json(h, now)),
    })
}

fn text(
    cluster: &str,
    svc: &ServiceState,
    td: Option<&Registered>,
    holder: Option<&LockHolder>,
    now: i64,
    global: &GlobalArgs,
) -> String {
    let p = global.color.for_stdout();
    let mut out = format!(
        "{} {} in cluster {cluster}: {}\n",
        p.bold("service"),
        svc.name,
        svc.status
    );
    out.push_str(&format!(
        "  task definition  {}\n",
        short_td(&svc.task_definition)
    ));
    out.push_str(&format!(
        "  tasks            {} running, {} pending, {} desired\n",
        svc.running, svc.pending, svc.desired
    ));
    out.push_str(&format!(
        "  ECS Exec         {}\n",
        if svc.exec {
            "on (aws ecs execute-command)"
        } else {
            "off"
        }
    ));
    out.push_str(&format!("  deploy lock      {}\n", lock_text(holder, now)));
    out.push_str(&format!("{}\n", p.bold("deployments")));
    for d in &svc.deployments {
        out.push_str(&format!(
            "  {:<8} {:<12} {:<28} {}/{} running{}\n",
            d.status.as_str(),
            if d.rollout_state == RolloutState::Unknown {
                "-"
            } else {
                d.rollout_state.as_str()
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
    if let Some(td) = td {
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
        for e in svc.events.iter().take(EVENTS) {
            out.push_str(&format!(
                "  {} {}\n",
                p.dim(&rfc3339_ms(e.at_epoch_ms)),
                e.message
            ));
        }
    }
    out
}
