//! Add-ons: the service's add-on templates, merged as Copilot merges them,
//! deployed as a stack of their own (`{app}-{env}-{svc}-AddonsStack`) through
//! a change set read before it runs; its outputs reach every container and
//! its managed policies the task role; a stack already as wanted is not
//! touched, and a change that would remove or replace a resource is refused
//! unless `--allow-addons-replacement` says so.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::Stage;

const QUEUE: &str = "\
Parameters:
  App:
    Type: String
  Env:
    Type: String
  Name:
    Type: String
  RetentionSeconds:
    Type: Number
Resources:
  JobsQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: !Ref RetentionSeconds
Outputs:
  JobsQueueURL:
    Value: !Ref JobsQueue
";

const SECRET: &str = "\
Parameters:
  App:
    Type: String
  Env:
    Type: String
  Name:
    Type: String
Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub '${App}/${Env}/${Name}/db'
      GenerateSecretString:
        SecretStringTemplate: '{\"username\": \"app\"}'
        GenerateStringKey: password
Outputs:
  DbSecret:
    Value: !Ref DbSecret
";

const PARAMETERS: &str = "\
Parameters:
  RetentionSeconds: 3600
";

struct AddonsStack {
    tags: BTreeMap<String, String>,
    parameters: BTreeMap<String, String>,
    outputs: BTreeMap<String, String>,
}

async fn addons_stack(s: &Stage) -> AddonsStack {
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    let out = cfn
        .describe_stacks()
        .stack_name(format!("{}-test-api-AddonsStack", s.app))
        .send()
        .await
        .unwrap();
    let st = &out.stacks()[0];
    assert!(
        matches!(
            st.stack_status().map(|x| x.as_str()),
            Some("CREATE_COMPLETE" | "UPDATE_COMPLETE")
        ),
        "{st:?}"
    );
    AddonsStack {
        tags: st
            .tags()
            .iter()
            .map(|t| (t.key().unwrap().into(), t.value().unwrap().into()))
            .collect(),
        parameters: st
            .parameters()
            .iter()
            .map(|p| {
                let v = p.parameter_value().unwrap_or_default();
                (p.parameter_key().unwrap().into(), v.into())
            })
            .collect(),
        outputs: st
            .outputs()
            .iter()
            .map(|o| {
                (
                    o.output_key().unwrap().into(),
                    o.output_value().unwrap().into(),
                )
            })
            .collect(),
    }
}

/// Each container's value of `name` among its variables.
async fn variable(s: &Stage, name: &str) -> BTreeMap<String, Option<String>> {
    from(s, "environment", "value", name).await
}

/// Each container's `field` of the member of `list` named `name`.
async fn from(s: &Stage, list: &str, field: &str, name: &str) -> BTreeMap<String, Option<String>> {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td: Value = sidecarctl::aws::ecs::describe_task_definition(&ecs, &s.family())
        .await
        .unwrap()
        .expect("the family is registered")
        .document;
    td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let value = c[list].as_array().and_then(|vars| {
                vars.iter()
                    .find(|v| v["name"] == name)
                    .and_then(|v| v[field].as_str().map(str::to_string))
            });
            (c["name"].as_str().unwrap().to_string(), value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_addons_stack_is_laid_by_change_set_kept_by_its_hash_and_never_loses_a_resource() {
    let s = Stage::new("addons");
    s.ws.write("copilot/api/addons/queue.yml", QUEUE);
    s.ws.write("copilot/api/addons/secret.yml", SECRET);
    s.ws.write("copilot/api/addons/addons.parameters.yml", PARAMETERS);
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    let name = format!("{}-test-api-AddonsStack", s.app);
    assert!(
        report["changes"]
            .to_string()
            .contains(&format!("create add-ons stack {name}")),
        "{report}"
    );

    // Both files in one stack, with Copilot's parameters and the file's own.
    let stack = addons_stack(&s).await;
    assert_eq!(stack.parameters["App"], s.app);
    assert_eq!(stack.parameters["Env"], "test");
    assert_eq!(stack.parameters["Name"], "api");
    assert_eq!(stack.parameters["RetentionSeconds"], "3600");
    assert!(
        stack.outputs.contains_key("AssetsReadPolicyArn"),
        "{:?}",
        stack.outputs
    );
    let hash = stack.tags["sidecarctl:addons-hash"].clone();
    assert_eq!(stack.tags["copilot-application"], s.app);
    assert_eq!(stack.tags["copilot-service"], "api");

    // The queue's URL reaches every container, as Copilot names it.
    let url = stack.outputs["JobsQueueURL"].clone();
    let vars = variable(&s, "JOBS_QUEUE_URL").await;
    assert!(vars.len() >= 3, "{vars:?}");
    assert!(
        vars.values().all(|v| v.as_deref() == Some(url.as_str())),
        "{vars:?}"
    );
    // The secret's ARN is the main container's secret, as Copilot wires it.
    let secret = stack.outputs["DbSecret"].clone();
    let secrets = from(&s, "secrets", "valueFrom", "DB_SECRET").await;
    assert_eq!(secrets["api"].as_deref(), Some(secret.as_str()));
    assert!(
        secrets.iter().all(|(c, v)| c == "api" || v.is_none()),
        "{secrets:?}"
    );

    // As wanted already: CloudFormation is only read.
    s.proxy.reset();
    let (r, _) = s.deploy_json(&["--image-tag", "v2"]);
    r.assert_code(0);
    let writes = s.proxy.writes();
    assert!(
        writes.keys().all(|op| !op.starts_with("cloudformation:")),
        "{writes:?}"
    );

    // A change that removes the queue: refused, the change set deleted,
    // nothing else written, the queue still there.
    std::fs::remove_file(s.ws.path().join("copilot/api/addons/queue.yml")).unwrap();
    std::fs::remove_file(s.ws.path().join("copilot/api/addons/addons.parameters.yml")).unwrap();
    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v2"]);
    r.assert_code(1);
    let error = report["error"].as_str().unwrap();
    assert!(
        error.contains("JobsQueue (AWS::SQS::Queue) would be removed")
            && error.contains("--allow-addons-replacement"),
        "{error}"
    );
    let writes = s.proxy.changes();
    assert_eq!(
        writes.keys().collect::<Vec<_>>(),
        [
            "cloudformation:CreateChangeSet",
            "cloudformation:DeleteChangeSet"
        ],
        "{writes:?}"
    );
    assert_eq!(addons_stack(&s).await.tags["sidecarctl:addons-hash"], hash);
    let sqs = aws_sdk_sqs::Client::new(&s.sdk().await);
    sqs.get_queue_attributes()
        .queue_url(&url)
        .send()
        .await
        .expect("the queue stays");

    // Said so: applied, and the containers no longer get the URL.
    let (r, _) = s.deploy_json(&["--image-tag", "v2", "--allow-addons-replacement"]);
    r.assert_code(0);
    let stack = addons_stack(&s).await;
    assert!(
        !stack.outputs.contains_key("JobsQueueURL"),
        "{:?}",
        stack.outputs
    );
    assert_ne!(stack.tags["sidecarctl:addons-hash"], hash);
    let vars = variable(&s, "JOBS_QUEUE_URL").await;
    assert!(vars.values().all(Option::is_none), "{vars:?}");
}
