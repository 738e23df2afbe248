//! IAM policies for the task's two roles, naming exact ARNs.
//!
//! The execution role (used by ECS to start the task) pulls the images, writes
//! the service's log group and reads the secrets. The task role (used by the
//! containers) mounts EFS with IAM authorization and lets FireLens write to a
//! CloudWatch destination. `*` appears only for `ecr:GetAuthorizationToken`,
//! which has no resource to name.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::facts::Facts;
use super::taskdef::TaskDefinition;
use crate::manifest::Service;
use crate::names::{EcrImage, arn};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    #[serde(rename = "Sid")]
    pub sid: String,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Action")]
    pub action: Vec<String>,
    #[serde(rename = "Resource")]
    pub resource: Vec<String>,
    /// `StringEquals` conditions: key → value.
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    pub condition: Option<BTreeMap<&'static str, BTreeMap<String, String>>>,
}

impl PolicyDocument {
    fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Every resource of every statement.
    pub fn resources(&self) -> impl Iterator<Item = (&str, &str)> {
        self.statement
            .iter()
            .flat_map(|s| s.resource.iter().map(move |r| (s.sid.as_str(), r.as_str())))
    }
}

fn allow(sid: &str, actions: &[&str], resources: impl IntoIterator<Item = String>) -> Statement {
    let resource: BTreeSet<String> = resources.into_iter().collect();
    Statement {
        sid: sid.to_string(),
        effect: "Allow",
        action: actions.iter().map(|a| a.to_string()).collect(),
        resource: resource.into_iter().collect(),
        condition: None,
    }
}

/// The trust policy of both roles: ECS tasks may assume them.
pub fn ecs_tasks_trust_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policies {
    pub execution: PolicyDocument,
    /// `None` when the containers need no AWS permission from sidecarctl.
    pub task: Option<PolicyDocument>,
}

/// The two roles' policies for a rendered task definition.
pub fn render_policies(svc: &Service, facts: &Facts, td: &TaskDefinition) -> Policies {
    let (p, r, a) = (&facts.partition, &facts.region, &facts.account);
    let mut exec = Vec::new();

    let repos: BTreeSet<String> = td
        .container_definitions
        .iter()
        .filter(|c| c.repository_credentials.is_none())
        .filter_map(|c| EcrImage::parse(&c.image))
        .map(|i| i.repository_arn(p))
        .collect();
    if !repos.is_empty() {
        exec.push(allow(
            "PullImages",
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            repos,
        ));
        exec.push(allow(
            "GetRegistryToken",
            &["ecr:GetAuthorizationToken"],
            ["*".to_string()],
        ));
    }

    let log_group = facts.log_group(&svc.name);
    exec.push(allow(
        "WriteServiceLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        [arn::log_streams(p, r, a, &log_group)],
    ));

    let mut ssm = BTreeSet::new();
    let mut sm = BTreeSet::new();
    let mut value_froms: Vec<&str> = Vec::new();
    for c in &td.container_definitions {
        value_froms.extend(c.secrets.iter().map(|s| s.value_from.as_str()));
        if let Some(l) = &c.log_configuration {
            value_froms.extend(l.secret_options.iter().map(|s| s.value_from.as_str()));
        }
        if let Some(rc) = &c.repository_credentials {
            value_froms.push(&rc.credentials_parameter);
        }
    }
    for vf in value_froms {
        if vf.split(':').nth(2) == Some("ssm") {
            ssm.insert(vf.to_string());
        } else {
            sm.insert(arn::secret_policy_resource(vf));
        }
    }
    if !ssm.is_empty() {
        exec.push(allow("ReadParameters", &["ssm:GetParameters"], ssm));
    }
    if !sm.is_empty() {
        exec.push(allow("ReadSecrets", &["secretsmanager:GetSecretValue"], sm));
    }

    exec.extend(env_file_statements(facts, td));

    let task = task_statements(svc, facts, td);
    Policies {
        execution: PolicyDocument::new(exec),
        task: (!task.is_empty()).then(|| PolicyDocument::new(task)),
    }
}

/// Reading the containers' env files: exactly their objects, their
/// buckets' location, and Copilot's application key when its bucket holds
/// them (its objects are encrypted with it).
fn env_file_statements(facts: &Facts, td: &TaskDefinition) -> Vec<Statement> {
    let objects: BTreeSet<String> = td
        .container_definitions
        .iter()
        .flat_map(|c| &c.environment_files)
        .map(|f| f.value.clone())
        .collect();
    if objects.is_empty() {
        return Vec::new();
    }
    let buckets: BTreeSet<String> = objects
        .iter()
        .filter_map(|o| o.split_once('/').map(|(b, _)| b.to_string()))
        .collect();
    let mut out = vec![
        allow("ReadEnvFiles", &["s3:GetObject"], objects),
        allow("LocateEnvFileBuckets", &["s3:GetBucketLocation"], buckets),
    ];
    if let Some(key) = facts.env_files.as_ref().and_then(|e| e.kms_key.clone()) {
        out.push(allow("DecryptEnvFiles", &["kms:Decrypt"], [key]));
    }
    out
}

/// The task role's statements: EFS with IAM authorization, the managed file
/// system through the service's access point, ECS Exec, FireLens's
/// CloudWatch destination.
fn task_statements(svc: &Service, facts: &Facts, td: &TaskDefinition) -> Vec<Statement> {
    let (p, r, a) = (&facts.partition, &facts.region, &facts.account);
    let log_group = facts.log_group(&svc.name);
    let mut task = Vec::new();
    for vol in svc.storage.volumes.values() {
        let Some(efs) = vol.efs.as_ref().filter(|e| e.iam() && !e.managed) else {
            continue;
        };
        let Some(id) = &efs.id else { continue };
        let writable = td.container_definitions.iter().any(|c| {
            c.mount_points
                .iter()
                .any(|m| m.source_volume == vol.name.value && !m.read_only)
        });
        let actions: &[&str] = if writable {
            &[
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ]
        } else {
            &["elasticfilesystem:ClientMount"]
        };
        task.push(allow(
            &format!("MountEfs{}", sid_safe(&vol.name)),
            actions,
            [arn::efs_file_system(p, r, a, &id.value)],
        ));
    }
    if let (Some((name, _)), Some(m)) = (svc.managed_volume(), &facts.managed_efs) {
        // As Copilot's GrantAccessCopilotManagedEFS: mount and write, through
        // the service's own access point only.
        let mut st = allow(
            &format!("MountManagedEfs{}", sid_safe(name)),
            &[
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
            [arn::efs_file_system(p, r, a, &m.file_system_id)],
        );
        st.condition = Some(BTreeMap::from([(
            "StringEquals",
            BTreeMap::from([(
                "elasticfilesystem:AccessPointArn".to_string(),
                arn::efs_access_point(p, r, a, &m.access_point_id),
            )]),
        )]));
        task.push(st);
    }
    if svc.exec.as_ref().is_some_and(|e| e.value) {
        // ECS Exec, as Copilot's taskrole.yml grants it: the SSM channels
        // (their only resource is `*`), and the session's logs in the
        // service's own log group rather than any group.
        task.push(allow(
            "ExecuteCommand",
            &[
                "ssmmessages:CreateControlChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenDataChannel",
            ],
            ["*".to_string()],
        ));
        task.push(allow(
            "ExecuteCommandLogs",
            &[
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            [
                arn::log_group(p, r, a, &log_group),
                arn::log_streams(p, r, a, &log_group),
            ],
        ));
        task.push(allow(
            "ExecuteCommandLogGroups",
            &["logs:DescribeLogGroups"],
            [format!("arn:{p}:logs:{r}:{a}:log-group:*")],
        ));
    }
    if let Some(dest) = firelens_cloudwatch_group(svc) {
        task.push(firelens_statement(&dest, facts));
    }
    task.extend(messaging_statements(&facts.messaging));
    if svc.xray {
        // X-Ray's actions take no resource but `*`. Copilot also let the
        // collector write any log group; its ecs-xray configuration sends
        // traces only, so that is left out.
        task.push(allow(
            "SendTracesToXRay",
            &[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            ["*".to_string()],
        ));
    }
    task
}

/// `publish` and `subscribe`: publish to exactly the service's topics
/// (Copilot's `Publish2SNS`), receive from and delete in exactly its queues,
/// and decrypt with the keys of queues Copilot encrypted with its own.
fn messaging_statements(m: &crate::render::MessagingFacts) -> Vec<Statement> {
    let mut out = Vec::new();
    if !m.publish.is_empty() {
        out.push(allow("Publish2SNS", &["sns:Publish"], m.publish.clone()));
    }
    if !m.receive.is_empty() {
        out.push(allow(
            "ReceiveMessages",
            &["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            m.receive.clone(),
        ));
    }
    if !m.keys.is_empty() {
        out.push(allow("DecryptMessages", &["kms:Decrypt"], m.keys.clone()));
    }
    out
}

/// FireLens's CloudWatch destination: create and write that group only.
fn firelens_statement(dest: &CloudWatchDestination, facts: &Facts) -> Statement {
    let (p, a) = (&facts.partition, &facts.account);
    let region = dest.region.as_deref().unwrap_or(&facts.region);
    allow(
        "FireLensCloudWatch",
        &[
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        ],
        [
            arn::log_group(p, region, a, &dest.group),
            arn::log_streams(p, region, a, &dest.group),
        ],
    )
}

fn sid_safe(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// A FireLens destination that writes to CloudWatch Logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudWatchDestination {
    pub group: String,
    pub region: Option<String>,
}

/// `logging.destination` with `Name: cloudwatch` or `cloudwatch_logs` and a
/// `log_group_name`.
pub fn firelens_cloudwatch_group(svc: &Service) -> Option<CloudWatchDestination> {
    let l = svc.logging.as_ref().filter(|l| l.wants_router)?;
    let name = l.destination.get("Name")?;
    if !matches!(name.value.as_str(), "cloudwatch" | "cloudwatch_logs") {
        return None;
    }
    let group = l.destination.get("log_group_name")?.value.clone();
    Some(CloudWatchDestination {
        group,
        region: l.destination.get("region").map(|r| r.value.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::render_task_definition;
    use crate::validate::testing::service_in;

    #[test]
    fn policies_name_exact_resources() {
        let svc = service_in(
            "name: api\ntype: Load Balanced Web Service\nimage:\n  build: Dockerfile\n  port: 80\nsecrets:\n  A: /app/a\nstorage:\n  volumes:\n    data:\n      path: /d\n      read_only: false\n      efs:\n        id: fs-1234\n        auth: {iam: true}\n    ro:\n      path: /r\n      efs:\n        id: fs-5678\n        auth: {iam: true}\nlogging:\n  destination:\n    Name: cloudwatch\n    log_group_name: /firelens/api\n  secretOptions:\n    key: {secretsmanager: apikey}\n",
            Some("test"),
        );
        let facts = Facts::offline(
            &svc,
            "demo",
            "test",
            Some("123456789012"),
            Some("us-east-1"),
            Some("v1"),
        );
        let td = render_task_definition(&svc, &facts);
        let p = render_policies(&svc, &facts, &td);
        let exec: Vec<(&str, &str)> = p.execution.resources().collect();
        assert!(exec.contains(&(
            "PullImages",
            "arn:aws:ecr:us-east-1:123456789012:repository/demo/api"
        )));
        assert!(exec.contains(&(
            "ReadParameters",
            "arn:aws:ssm:us-east-1:123456789012:parameter/app/a"
        )));
        assert!(exec.contains(&(
            "ReadSecrets",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:apikey-??????"
        )));
        assert!(exec.contains(&(
            "WriteServiceLogs",
            "arn:aws:logs:us-east-1:123456789012:log-group:/copilot/demo-test-api:log-stream:*"
        )));
        let stars: Vec<&str> = exec
            .iter()
            .filter(|(_, r)| r.contains('*') && !r.ends_with(":log-stream:*"))
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(stars, ["GetRegistryToken"]);
        let task = p.task.unwrap();
        let data = task
            .statement
            .iter()
            .find(|s| s.sid == "MountEfsdata")
            .unwrap();
        assert_eq!(
            data.action,
            [
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite"
            ]
        );
        let ro = task
            .statement
            .iter()
            .find(|s| s.sid == "MountEfsro")
            .unwrap();
        assert_eq!(ro.action, ["elasticfilesystem:ClientMount"]);
        let fl = task
            .statement
            .iter()
            .find(|s| s.sid == "FireLensCloudWatch")
            .unwrap();
        assert_eq!(
            fl.resource[0],
            "arn:aws:logs:us-east-1:123456789012:log-group:/firelens/api"
        );
    }

    #[test]
    fn no_task_policy_when_nothing_is_needed() {
        let svc = service_in(
            "name: w\ntype: Worker Service\nimage:\n  location: busybox\n",
            Some("test"),
        );
        let facts = Facts::offline(&svc, "demo", "test", None, None, None);
        let td = render_task_definition(&svc, &facts);
        let p = render_policies(&svc, &facts, &td);
        assert!(p.task.is_none());
        assert!(p.execution.statement.iter().all(|s| s.sid != "PullImages"));
    }

    #[test]
    fn ecs_exec_opens_the_ssm_channels_and_logs_to_the_services_group_only() {
        let base = "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\n";
        let facts_for = |svc: &Service| {
            Facts::offline(
                svc,
                "demo",
                "test",
                Some("123456789012"),
                Some("us-east-1"),
                None,
            )
        };
        for exec in ["exec: true\n", "exec:\n  enable: true\n"] {
            let svc = service_in(&format!("{base}{exec}"), Some("test"));
            let facts = facts_for(&svc);
            let td = render_task_definition(&svc, &facts);
            let task = render_policies(&svc, &facts, &td)
                .task
                .expect("a task policy");
            let res: Vec<(&str, &str)> = task.resources().collect();
            assert!(res.contains(&("ExecuteCommand", "*")), "{res:?}");
            assert!(res.contains(&(
                "ExecuteCommandLogs",
                "arn:aws:logs:us-east-1:123456789012:log-group:/copilot/demo-test-api:log-stream:*"
            )));
            assert_eq!(
                res.iter().filter(|(_, r)| *r == "*").count(),
                1,
                "only the SSM channels, which have no other resource"
            );
        }
        let off = service_in(&format!("{base}exec: false\n"), Some("test"));
        let facts = facts_for(&off);
        let td = render_task_definition(&off, &facts);
        assert!(render_policies(&off, &facts, &td).task.is_none());
    }
}
