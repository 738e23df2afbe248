//! ECS one-off tasks: how a service launches them, RunTask, DescribeTasks,
//! StopTask; a family's recent tasks (a job's last runs).

use aws_sdk_ecs::types as ecs;

use crate::aws::{AwsError, ErrorKind, aws_err};
use crate::state::CapacityProvider;
use crate::state::task::{Launch, TaskContainer, TaskState};

fn epoch_ms(t: Option<&aws_smithy_types::DateTime>) -> Option<i64> {
    t.map(|t| t.secs() * 1000 + i64::from(t.subsec_nanos() / 1_000_000))
}

/// How `service` launches its tasks: its task definition, network and
/// capacity; none when there is no such active service.
pub async fn service_launch(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<Option<Launch>, AwsError> {
    let out = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(aws_err("ecs:DescribeServices"))?;
    let Some(s) = out.services().iter().find(|s| s.status() == Some("ACTIVE")) else {
        return Ok(None);
    };
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    Ok(Some(Launch {
        cluster: s.cluster_arn().unwrap_or(cluster).to_string(),
        task_definition: s.task_definition().unwrap_or_default().to_string(),
        subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
        security_groups: vpc
            .map(|v| v.security_groups().to_vec())
            .unwrap_or_default(),
        public_ip: vpc.and_then(|v| v.assign_public_ip()) == Some(&ecs::AssignPublicIp::Enabled),
        capacity: s
            .capacity_provider_strategy()
            .iter()
            .map(|c| CapacityProvider {
                provider: c.capacity_provider().to_string(),
                weight: c.weight(),
                base: c.base(),
            })
            .collect(),
    }))
}

/// What a one-off task runs differently: the main container's command and
/// extra variables.
#[derive(Clone, Debug, Default)]
pub struct RunOverrides {
    pub container: String,
    pub command: Option<Vec<String>>,
    pub variables: Vec<(String, String)>,
    pub started_by: String,
}

/// Starts one task; its ARN.
pub async fn run_task(
    client: &aws_sdk_ecs::Client,
    launch: &Launch,
    o: &RunOverrides,
) -> Result<String, AwsError> {
    const OP: &str = "ecs:RunTask";
    let vpc = super::service::awsvpc(
        &launch.subnets,
        &launch.security_groups,
        launch.public_ip,
        OP,
    )?;
    let container = ecs::ContainerOverride::builder()
        .name(&o.container)
        .set_command(o.command.clone())
        .set_environment(Some(
            o.variables
                .iter()
                .map(|(k, v)| ecs::KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ))
        .build();
    let mut req = client
        .run_task()
        .cluster(&launch.cluster)
        .task_definition(&launch.task_definition)
        .count(1)
        .started_by(&o.started_by)
        .network_configuration(
            ecs::NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        .overrides(
            ecs::TaskOverride::builder()
                .container_overrides(container)
                .build(),
        )
        .propagate_tags(ecs::PropagateTags::TaskDefinition)
        .enable_ecs_managed_tags(true);
    req = if launch.capacity.is_empty() {
        req.launch_type(ecs::LaunchType::Fargate)
    } else {
        req.set_capacity_provider_strategy(Some(super::service::strategy(&launch.capacity)?))
    };
    let out = req.send().await.map_err(aws_err(OP))?;
    if let Some(t) = out.tasks().first().and_then(|t| t.task_arn()) {
        return Ok(t.to_string());
    }
    let why = out
        .failures()
        .iter()
        .map(|f| {
            format!(
                "{}{}",
                f.reason().unwrap_or("a failure"),
                f.detail().map(|d| format!(" ({d})")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(AwsError::new(
        OP,
        ErrorKind::Other,
        if why.is_empty() {
            "no task was started".into()
        } else {
            why
        },
    ))
}

/// The task as ECS describes it now.
pub async fn describe_task(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    arn: &str,
) -> Result<Option<TaskState>, AwsError> {
    let out = client
        .describe_tasks()
        .cluster(cluster)
        .tasks(arn)
        .send()
        .await
        .map_err(aws_err("ecs:DescribeTasks"))?;
    Ok(out.tasks().first().map(task_state))
}

fn task_state(t: &ecs::Task) -> TaskState {
    TaskState {
        arn: t.task_arn().unwrap_or_default().to_string(),
        last_status: t.last_status().unwrap_or_default().to_string(),
        stop_code: t.stop_code().map(|c| c.as_str().to_string()),
        stopped_reason: t.stopped_reason().map(str::to_string),
        started_by: t.started_by().map(str::to_string),
        created_at_ms: epoch_ms(t.created_at()),
        started_at_ms: epoch_ms(t.started_at()),
        stopped_at_ms: epoch_ms(t.stopped_at()),
        containers: t
            .containers()
            .iter()
            .map(|c| TaskContainer {
                name: c.name().unwrap_or_default().to_string(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_string),
            })
            .collect(),
    }
}

/// Whose tasks: a task definition family's (a job's runs), or a service's.
#[derive(Clone, Copy, Debug)]
pub enum TasksOf<'a> {
    Family(&'a str),
    Service(&'a str),
}

/// The tasks ECS still knows of in the cluster, running and stopped (ECS
/// keeps a stopped task for about an hour; `stopped_only` leaves the
/// running out), newest first: a ListTasks per desired status at once,
/// then one DescribeTasks per hundred.
pub async fn tasks(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    of: TasksOf<'_>,
    stopped_only: bool,
) -> Result<Vec<TaskState>, AwsError> {
    const LIST: &str = "ecs:ListTasks";
    let list = |status: ecs::DesiredStatus| async move {
        if stopped_only && status == ecs::DesiredStatus::Running {
            return Ok(Vec::new());
        }
        let req = client.list_tasks().cluster(cluster).desired_status(status);
        let req = match of {
            TasksOf::Family(f) => req.family(f),
            TasksOf::Service(s) => req.service_name(s),
        };
        let mut arns = Vec::new();
        let mut pages = req.into_paginator().send();
        while let Some(page) = pages.next().await {
            arns.extend(page.map_err(aws_err(LIST))?.task_arns().iter().cloned());
        }
        Ok::<_, AwsError>(arns)
    };
    let (running, stopped) = tokio::join!(
        list(ecs::DesiredStatus::Running),
        list(ecs::DesiredStatus::Stopped)
    );
    let arns: Vec<String> = running?.into_iter().chain(stopped?).collect();
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let out = client
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err("ecs:DescribeTasks"))?;
        tasks.extend(out.tasks().iter().map(task_state));
    }
    tasks.sort_by_key(|t| std::cmp::Reverse(t.created_at_ms.or(t.started_at_ms)));
    Ok(tasks)
}

pub async fn stop_task(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    arn: &str,
    reason: &str,
) -> Result<(), AwsError> {
    client
        .stop_task()
        .cluster(cluster)
        .task(arn)
        .reason(reason)
        .send()
        .await
        .map_err(aws_err("ecs:StopTask"))?;
    Ok(())
}
