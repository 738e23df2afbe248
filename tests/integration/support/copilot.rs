//! Stacks shaped like the ones Copilot deploys, created through the
//! emulator's CloudFormation, for the tests of "deploy into what Copilot
//! already runs".
//!
//! The shapes come from Copilot's templates (aws/copilot-cli):
//! - the environment stack `{app}-{env}`: `internal/pkg/template/templates/
//!   environment/cf.yml` — an `AWS::ECS::Cluster` named `Cluster` with no
//!   name (so CloudFormation generates `{app}-{env}-Cluster-XXXX`), a public
//!   load balancer `PublicLoadBalancer` with the listener `HTTPListener`, and
//!   the outputs `ClusterId`, `PublicSubnets`, `PrivateSubnets`,
//!   `EnvironmentSecurityGroup`, `VpcId`, `HTTPListenerArn`,
//!   `PublicLoadBalancerDNSName`, each exported as `${AWS::StackName}-{Key}`
//!   (the DNS name as `-PublicLoadBalancerDNS`);
//! - the service stack `{app}-{env}-{svc}`: `internal/pkg/template/templates/
//!   workloads/services/lb-web/cf.yml` — `TaskDefinition` (family
//!   `{app}-{env}-{svc}`), `LogGroup` (`/copilot/{app}-{env}-{svc}`),
//!   `TargetGroup`, a listener rule on the environment's `HTTPListenerArn`
//!   (imported), and `Service` (no name: `{app}-{env}-{svc}-Service-XXXX`) in
//!   the imported cluster.
//!
//! The emulator's CloudFormation leaves out an ECS service's tags (and its
//! load balancers and network configuration): the tags Copilot puts on it
//! are added with ECS's TagResource, as the emulator's notes say.

use serde_json::{Value, json};

use super::Stage;

/// What the Copilot-shaped stacks created.
pub struct CopilotStacks {
    pub env_stack: String,
    pub svc_stack: String,
    pub cluster: String,
    pub service_arn: String,
    pub lb_dns: String,
    pub revision: i32,
}

fn env_template(s: &Stage) -> Value {
    let v = &s.seed.vars;
    let export = |key: &str| json!({"Name": {"Fn::Sub": format!("${{AWS::StackName}}-{key}")}});
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudFormation environment template for infrastructure shared among Copilot workloads.",
        "Resources": {
            "Cluster": {
                "Type": "AWS::ECS::Cluster",
                "Properties": {"CapacityProviders": ["FARGATE", "FARGATE_SPOT"]}
            },
            "PublicLoadBalancer": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {
                    "Scheme": "internet-facing",
                    "SecurityGroups": [v["SECURITY_GROUP_ID"]],
                    "Subnets": [v["PUBLIC_SUBNET_1"], v["PUBLIC_SUBNET_2"]],
                    "Type": "application"
                }
            },
            "DefaultHTTPTargetGroup": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": v["VPC_ID"], "TargetType": "ip"}
            },
            "HTTPListener": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "DefaultActions": [{"TargetGroupArn": {"Ref": "DefaultHTTPTargetGroup"}, "Type": "forward"}],
                    "LoadBalancerArn": {"Ref": "PublicLoadBalancer"},
                    "Port": 80,
                    "Protocol": "HTTP"
                }
            }
        },
        "Outputs": {
            "VpcId": {"Value": v["VPC_ID"], "Export": export("VpcId")},
            "PublicSubnets": {
                "Value": format!("{},{}", v["PUBLIC_SUBNET_1"], v["PUBLIC_SUBNET_2"]),
                "Export": export("PublicSubnets")
            },
            "PrivateSubnets": {"Value": v["PRIVATE_SUBNET_1"], "Export": export("PrivateSubnets")},
            "EnvironmentSecurityGroup": {
                "Value": v["SECURITY_GROUP_ID"],
                "Export": export("EnvironmentSecurityGroup")
            },
            "PublicLoadBalancerDNSName": {
                "Value": {"Fn::GetAtt": ["PublicLoadBalancer", "DNSName"]},
                "Export": export("PublicLoadBalancerDNS")
            },
            "HTTPListenerArn": {"Value": {"Ref": "HTTPListener"}, "Export": export("HTTPListenerArn")},
            "ClusterId": {"Value": {"Ref": "Cluster"}, "Export": export("ClusterId")},
            "ManagedFileSystemID": {"Value": v["EFS_ID"], "Export": export("FilesystemID")}
        }
    })
}

fn service_template(s: &Stage, env_stack: &str) -> Value {
    let v = &s.seed.vars;
    let (app, family) = (&s.app, s.family());
    let image = format!(
        "{}.dkr.ecr.{}.amazonaws.com/{app}/api:v1",
        v["AWS_ACCOUNT_ID"], v["AWS_REGION"]
    );
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudFormation template that represents a load balanced web service on Amazon ECS.",
        "Resources": {
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": format!("/copilot/{family}"), "RetentionInDays": 30}
            },
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": family,
                    "RequiresCompatibilities": ["FARGATE"],
                    "NetworkMode": "awsvpc",
                    "Cpu": "256",
                    "Memory": "512",
                    "ContainerDefinitions": [{
                        "Name": "api",
                        "Image": image,
                        "Essential": true,
                        "PortMappings": [{"ContainerPort": 3000}],
                        "Environment": [
                            {"Name": "COPILOT_APPLICATION_NAME", "Value": app},
                            {"Name": "COPILOT_ENVIRONMENT_NAME", "Value": "test"},
                            {"Name": "COPILOT_SERVICE_NAME", "Value": "api"}
                        ]
                    }]
                }
            },
            "TargetGroup": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {
                    "HealthCheckPath": "/api/health-check",
                    "Port": 80,
                    "Protocol": "HTTP",
                    "TargetGroupAttributes": [
                        {"Key": "deregistration_delay.timeout_seconds", "Value": 60},
                        {"Key": "stickiness.enabled", "Value": false}
                    ],
                    "VpcId": v["VPC_ID"],
                    "TargetType": "ip"
                }
            },
            "HTTPListenerRule": {
                "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
                "Properties": {
                    "Actions": [{"TargetGroupArn": {"Ref": "TargetGroup"}, "Type": "forward"}],
                    "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api", "/api/*"]}}],
                    "ListenerArn": {"Fn::ImportValue": format!("{env_stack}-HTTPListenerArn")},
                    "Priority": 100
                }
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": {"Fn::ImportValue": format!("{env_stack}-ClusterId")},
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "DesiredCount": 1,
                    "HealthCheckGracePeriodSeconds": 60,
                    "LaunchType": "FARGATE",
                    "LoadBalancers": [{
                        "ContainerName": "nginx",
                        "ContainerPort": 80,
                        "TargetGroupArn": {"Ref": "TargetGroup"}
                    }]
                }
            }
        },
        // Copilot exports its service discovery ARN as `${AWS::StackName}-DiscoveryServiceARN`.
        "Outputs": {
            "DiscoveryServiceARN": {
                "Value": {"Ref": "Service"},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-DiscoveryServiceARN"}}
            }
        }
    })
}

/// The add-ons template of `copilot/api/addons/`, as Copilot merges and
/// uploads it: Copilot's parameters, and an output of each kind Copilot wires
/// into the task (`workloads/partials/cf/envvars-common.yml`, `secrets.yml`,
/// `taskrole.yml`): a queue's URL and a table's name (variables), a secret's
/// ARN (a secret), a managed policy's ARN (attached to the task role).
pub fn addons_template(s: &Stage) -> Value {
    let app = &s.app;
    json!({
        "Parameters": {
            "App": {"Type": "String"},
            "Env": {"Type": "String"},
            "Name": {"Type": "String"}
        },
        "Resources": {
            "JobsQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("{app}-test-api-jobs")}},
            "DbSecret": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Name": format!("{app}/test/api/db"),
                    "GenerateSecretString": {"SecretStringTemplate": "{\"username\": \"app\"}", "GenerateStringKey": "password"}
                }
            },
            "OrdersTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": format!("{app}-test-api-orders"),
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST"
                }
            },
            "OrdersAccessPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": "*"}]
                    }
                }
            }
        },
        "Outputs": {
            "JobsQueueURL": {"Value": {"Ref": "JobsQueue"}},
            "OrdersTableName": {"Value": {"Ref": "OrdersTable"}},
            "DbSecret": {"Value": {"Ref": "DbSecret"}},
            "OrdersAccessPolicy": {"Value": {"Ref": "OrdersAccessPolicy"}}
        }
    })
}

/// The service stack with Copilot's nested `AddonsStack` (its template in the
/// application's bucket), whose outputs reach the main container as Copilot
/// renders them.
fn service_with_addons_template(s: &Stage, env_stack: &str) -> Value {
    let mut t = service_template(s, env_stack);
    let url = format!(
        "https://{}.s3.amazonaws.com/api/addons.json",
        addons_bucket(s)
    );
    t["Resources"]["AddonsStack"] = json!({
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {
            "TemplateURL": url,
            "Parameters": {"App": s.app, "Env": "test", "Name": "api"}
        }
    });
    let get = |out: &str| json!({"Fn::GetAtt": ["AddonsStack", format!("Outputs.{out}")]});
    let api = &mut t["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0];
    let env = api["Environment"].as_array_mut().unwrap();
    env.push(json!({"Name": "JOBS_QUEUE_URL", "Value": get("JobsQueueURL")}));
    env.push(json!({"Name": "ORDERS_TABLE_NAME", "Value": get("OrdersTableName")}));
    api["Secrets"] = json!([{"Name": "DB_SECRET", "ValueFrom": get("DbSecret")}]);
    t
}

/// The bucket Copilot keeps an application's templates in (here, one per stage).
pub fn addons_bucket(s: &Stage) -> String {
    format!("{}-copilot-templates", s.app.to_lowercase())
}

/// A Load Balanced Web Service with `http: false` and `nlb: {port: 80/tcp,
/// target_container: nginx}`, shaped as Copilot's `nlb.yml` (and its fixture
/// `svc-nlb-test.stack.yml`) make it: `PublicNetworkLoadBalancerV2` in the
/// public subnets with `NetworkLoadBalancerSecurityGroup` (open on 80/tcp),
/// `EnvironmentSecurityGroupIngressFromNetworkLoadBalancerSecurityGroup`,
/// `NetworkLoadBalancerTargetGroup`; and `PublicNetworkLoadBalancerV2` with
/// its `NLBListener`, which the emulator's CloudFormation cannot make (it
/// makes every load balancer an application one, and then refuses a TCP
/// listener): they are made with Elastic Load Balancing's API once the stack
/// is there.
fn nlb_service_template(s: &Stage, env_stack: &str) -> Value {
    let mut t = service_template(s, env_stack);
    let resources = t["Resources"].as_object_mut().unwrap();
    resources.remove("TargetGroup");
    resources.remove("HTTPListenerRule");
    let import = |key: &str| json!({"Fn::ImportValue": format!("{env_stack}-{key}")});
    resources.insert(
        "NetworkLoadBalancerSecurityGroup".into(),
        json!({
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "Allow traffic to the public facing load balancer on listener ports",
                "SecurityGroupIngress": [{
                    "CidrIp": "0.0.0.0/0",
                    "Description": "Allow TCP traffic from anyone on listener port 80",
                    "FromPort": 80,
                    "IpProtocol": "TCP",
                    "ToPort": 80
                }],
                "VpcId": import("VpcId")
            }
        }),
    );
    resources.insert(
        "EnvironmentSecurityGroupIngressFromNetworkLoadBalancerSecurityGroup".into(),
        json!({
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": import("EnvironmentSecurityGroup"),
                "IpProtocol": -1,
                "SourceSecurityGroupId": {"Fn::GetAtt": ["NetworkLoadBalancerSecurityGroup", "GroupId"]}
            }
        }),
    );
    resources.insert(
        "NetworkLoadBalancerTargetGroup".into(),
        json!({
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {
                "Port": 80,
                "Protocol": "TCP",
                "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": 60}],
                "TargetType": "ip",
                "VpcId": import("VpcId")
            }
        }),
    );
    t["Resources"]["Service"]["Properties"]["LoadBalancers"][0]["TargetGroupArn"] =
        json!({"Ref": "NetworkLoadBalancerTargetGroup"});
    t
}

impl Stage {
    /// Creates the environment and service stacks Copilot would have, and
    /// tags the service as Copilot does.
    pub async fn copilot_stacks(&self) -> CopilotStacks {
        self.copilot_stacks_with(service_template, "TargetGroup")
            .await
    }

    /// As [`Stage::copilot_stacks`], with the nested add-ons stack Copilot
    /// deploys from `copilot/api/addons/` ([`addons_template`]).
    pub async fn copilot_stacks_with_addons(&self) -> CopilotStacks {
        let emu = super::emulator();
        // The workspace holds what Copilot deployed from it.
        let dir = self.ws.path().join("copilot/api/addons");
        std::fs::remove_file(dir.join("policies.yml")).unwrap();
        std::fs::write(
            dir.join("addons.yml"),
            serde_json::to_string_pretty(&addons_template(self)).unwrap(),
        )
        .unwrap();
        emu.s3_put(&format!("/{}", addons_bucket(self)), b"");
        emu.s3_put(
            &format!("/{}/api/addons.json", addons_bucket(self)),
            addons_template(self).to_string().as_bytes(),
        );
        self.copilot_stacks_with(service_with_addons_template, "TargetGroup")
            .await
    }

    /// As [`Stage::copilot_stacks`], the service with a network load
    /// balancer of its own instead of the environment's application one.
    pub async fn copilot_nlb_stacks(&self) -> CopilotStacks {
        self.copilot_stacks_with(nlb_service_template, "NetworkLoadBalancerTargetGroup")
            .await
    }

    async fn copilot_stacks_with(
        &self,
        template: fn(&Stage, &str) -> Value,
        target_group: &str,
    ) -> CopilotStacks {
        let sdk = self.sdk().await;
        let cfn = aws_sdk_cloudformation::Client::new(&sdk);
        let ecs = aws_sdk_ecs::Client::new(&sdk);
        let env_stack = format!("{}-test", self.app);
        let svc_stack = format!("{}-test-api", self.app);
        for (name, body) in [
            (&env_stack, env_template(self)),
            (&svc_stack, template(self, &env_stack)),
        ] {
            cfn.create_stack()
                .stack_name(name)
                .template_body(body.to_string())
                .tags(tag("copilot-application", &self.app))
                .tags(tag("copilot-environment", "test"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
        }
        let outputs = stack_outputs(&cfn, &env_stack).await;
        let service_arn = physical_id(&cfn, &svc_stack, "Service").await;
        let cluster = outputs["ClusterId"].clone();
        self.what_cloudformation_would_have_set(&svc_stack, target_group, &cluster, &service_arn)
            .await;
        for (k, v) in [
            ("copilot-application", self.app.as_str()),
            ("copilot-environment", "test"),
            ("copilot-service", "api"),
        ] {
            ecs.tag_resource()
                .resource_arn(&service_arn)
                .tags(aws_sdk_ecs::types::Tag::builder().key(k).value(v).build())
                .send()
                .await
                .unwrap();
        }
        let td = ecs
            .describe_task_definition()
            .task_definition(self.family())
            .send()
            .await
            .unwrap();
        CopilotStacks {
            env_stack,
            svc_stack,
            cluster,
            service_arn,
            lb_dns: outputs["PublicLoadBalancerDNSName"].clone(),
            revision: td.task_definition().unwrap().revision(),
        }
    }
}

impl Stage {
    /// The emulator's CloudFormation ignores a service's `LoadBalancers` and
    /// a target group's `TargetGroupAttributes`: set them as AWS's would have.
    async fn what_cloudformation_would_have_set(
        &self,
        stack: &str,
        target_group: &str,
        cluster: &str,
        service: &str,
    ) {
        let sdk = self.sdk().await;
        let cfn = aws_sdk_cloudformation::Client::new(&sdk);
        let tg = physical_id(&cfn, stack, target_group).await;
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
        if target_group == "NetworkLoadBalancerTargetGroup" {
            use aws_sdk_elasticloadbalancingv2::types as t;
            let v = &self.seed.vars;
            let group = physical_id(&cfn, stack, "NetworkLoadBalancerSecurityGroup").await;
            let lb = elb
                .create_load_balancer()
                .name(
                    format!("{}-test-api-Publi", self.app)
                        .chars()
                        .take(32)
                        .collect::<String>(),
                )
                .r#type(t::LoadBalancerTypeEnum::Network)
                .scheme(t::LoadBalancerSchemeEnum::InternetFacing)
                .subnets(&v["PUBLIC_SUBNET_1"])
                .subnets(&v["PUBLIC_SUBNET_2"])
                .security_groups(group)
                .send()
                .await
                .unwrap()
                .load_balancers()[0]
                .load_balancer_arn()
                .unwrap()
                .to_string();
            elb.create_listener()
                .load_balancer_arn(lb)
                .port(80)
                .protocol(t::ProtocolEnum::Tcp)
                .default_actions(
                    t::Action::builder()
                        .r#type(t::ActionTypeEnum::Forward)
                        .target_group_arn(&tg)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
        let attr = |k: &str, v: &str| {
            aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute::builder()
                .key(k)
                .value(v)
                .build()
        };
        elb.modify_target_group_attributes()
            .target_group_arn(&tg)
            .attributes(attr("deregistration_delay.timeout_seconds", "60"))
            .attributes(attr("stickiness.enabled", "false"))
            .send()
            .await
            .unwrap();
        aws_sdk_ecs::Client::new(&sdk)
            .update_service()
            .cluster(cluster)
            .service(service)
            .load_balancers(
                aws_sdk_ecs::types::LoadBalancer::builder()
                    .target_group_arn(&tg)
                    .container_name("nginx")
                    .container_port(80)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// A public hosted zone for `name`: its id, without `/hostedzone/`.
    pub async fn hosted_zone(&self, name: &str) -> String {
        let r53 = aws_sdk_route53::Client::new(&self.sdk().await);
        r53.create_hosted_zone()
            .name(name)
            .caller_reference(format!("{}-{name}", self.app))
            .send()
            .await
            .unwrap()
            .hosted_zone()
            .unwrap()
            .id()
            .trim_start_matches("/hostedzone/")
            .to_string()
    }

    /// Only the environment stack, as `copilot env deploy` leaves it before
    /// any service: returns the HTTP listener's ARN.
    pub async fn copilot_environment(&self) -> String {
        self.copilot_environment_with(json!({})).await
    }

    /// As [`Stage::copilot_environment`], with more outputs (an
    /// environment with a domain has `EnvironmentHostedZone` and
    /// `EnvironmentSubdomain`).
    pub async fn copilot_environment_with(&self, outputs: Value) -> String {
        let sdk = self.sdk().await;
        let cfn = aws_sdk_cloudformation::Client::new(&sdk);
        let name = format!("{}-test", self.app);
        // The environment's Cloud Map namespace `{env}.{app}.local`, made
        // beforehand (the emulator's CloudFormation does not create one).
        let sd = aws_sdk_servicediscovery::Client::new(&sdk);
        sd.create_private_dns_namespace()
            .name(format!("test.{}.local", self.app))
            .vpc(&self.seed.vars["VPC_ID"])
            .send()
            .await
            .unwrap();
        let namespace = sd
            .list_namespaces()
            .send()
            .await
            .unwrap()
            .namespaces()
            .iter()
            .find(|n| n.name() == Some(format!("test.{}.local", self.app).as_str()))
            .and_then(|n| n.id())
            .unwrap()
            .to_string();
        let mut template = env_template(self);
        template["Outputs"]["ServiceDiscoveryNamespaceID"] = json!({"Value": namespace});
        for (k, v) in outputs.as_object().into_iter().flatten() {
            template["Outputs"][k] = json!({"Value": v});
        }
        cfn.create_stack()
            .stack_name(&name)
            .template_body(template.to_string())
            .send()
            .await
            .unwrap();
        stack_outputs(&cfn, &name).await["HTTPListenerArn"].clone()
    }

    /// A stack that exports what the `from_cfn` tests read (as an add-on or
    /// another team's stack would): a queue URL, a secret's ARN, an SSM
    /// parameter's name. Returns the exported values by output key.
    pub async fn shared_exports(&self) -> std::collections::BTreeMap<String, String> {
        let cfn = aws_sdk_cloudformation::Client::new(&self.sdk().await);
        let v = &self.seed.vars;
        let values: std::collections::BTreeMap<String, String> = [
            (
                "QueueURL",
                format!("https://sqs.us-east-1.example/1/{}-queue", self.app),
            ),
            ("DbSecretArn", v["DB_PASSWORD_SECRET_ARN"].clone()),
            ("LogApiKeyParam", format!("/{}/test/log-api-key", self.app)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let outputs: serde_json::Map<String, Value> = values
            .iter()
            .map(|(k, val)| {
                (
                    k.clone(),
                    json!({"Value": val, "Export": {"Name": format!("{}-test-{k}", self.app)}}),
                )
            })
            .collect();
        let body = json!({
            "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": outputs
        });
        cfn.create_stack()
            .stack_name(format!("{}-test-shared", self.app))
            .template_body(body.to_string())
            .send()
            .await
            .unwrap();
        values
    }
}

/// A stack's outputs by key.
async fn stack_outputs(
    cfn: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> std::collections::BTreeMap<String, String> {
    cfn.describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap()
        .stacks()[0]
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap().to_string(),
                o.output_value().unwrap().to_string(),
            )
        })
        .collect()
}

/// A stack resource's physical id (for an ECS service or a target group, its ARN).
async fn physical_id(cfn: &aws_sdk_cloudformation::Client, stack: &str, logical: &str) -> String {
    cfn.describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(logical)
        .send()
        .await
        .unwrap()
        .stack_resource_detail()
        .unwrap()
        .physical_resource_id()
        .unwrap()
        .to_string()
}

fn tag(k: &str, v: &str) -> aws_sdk_cloudformation::types::Tag {
    aws_sdk_cloudformation::types::Tag::builder()
        .key(k)
        .value(v)
        .build()
}
