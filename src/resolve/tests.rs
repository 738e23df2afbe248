//! Interpreting lookups, without AWS: the answers are given as data.

use super::*;
use crate::manifest::addons::Addons;
use crate::names::role_names;
use crate::validate::testing::service_in;

const ACCOUNT: &str = "123456789012";

fn manifest() -> Service {
    service_in(
        "name: api\ntype: Backend Service\nimage:\n  build: Dockerfile\n\
secrets:\n  DB: {secretsmanager: 'db:password::'}\n  TOKEN: /app/token\n\
sidecars:\n  proxy:\n    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/proxy:v3\n    credentialsParameter: arn:aws:secretsmanager:us-east-1:123456789012:secret:creds\n\
\x20 far:\n    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/far:v1\n\
\x20 hub:\n    image: nginx:1.27\n\
storage:\n  volumes:\n    data:\n      path: /data\n      efs:\n        id: fs-1\n        auth: {iam: true, access_point_id: fsap-1}\n",
        Some("test"),
    )
}

fn request<'a>(svc: &'a Service, roles: &'a Roles, addons: &'a Addons, pin: bool) -> Request<'a> {
    Request {
        svc,
        app: "demo",
        env: "test",
        cluster: "demo-test",
        cluster_given: false,
        service_name: "api",
        image_tag: Some("v7"),
        pin,
        roles,
        addons,
        env_files: &[],
        region: "us-east-1",
        manage_lb: true,
    }
}

fn everything_found(q: &Questions) -> Answers {
    Answers {
        job: None,
        env_files: None,
        messaging: None,
        alarms: Vec::new(),
        own_addons: None,
        lb: None,
        nlb: None,
        discovery: None,
        imported_alb: None,
        queues: Vec::new(),
        addon_stacks: Vec::new(),
        scaling: None,
        managed_access_point: None,
        missing_exports: Vec::new(),
        placement: crate::model::place(
            crate::model::Who {
                app: "demo",
                env: "test",
                svc: "api",
            },
            None,
            &Default::default(),
        ),
        identity: Identity {
            account: ACCOUNT.into(),
            partition: "aws".into(),
        },
        service: None,
        latest: None,
        cluster_active: true,
        images: q
            .images
            .iter()
            .map(|c| match &c.lookup {
                ImageLookup::Build { .. } => Some(ImageFound::Image {
                    digest: "sha256:main".into(),
                    registry: ACCOUNT.into(),
                }),
                ImageLookup::Ecr { registry, .. } => Some(ImageFound::Image {
                    digest: format!("sha256:{}", c.container),
                    registry: registry.clone(),
                }),
                ImageLookup::Elsewhere => None,
            })
            .collect(),
        secrets: q
            .secrets
            .iter()
            .map(|s| {
                let name = s.rsplit(':').next().unwrap_or(s);
                (
                    s.clone(),
                    format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-AbCdEf"),
                )
            })
            .collect(),
        parameters: q.parameters.clone(),
        file_systems: [(
            "fs-1".to_string(),
            FileSystem {
                state: "available".into(),
            },
        )]
        .into(),
        access_points: [(
            "fsap-1".to_string(),
            AccessPoint {
                file_system_id: "fs-1".into(),
                state: "available".into(),
            },
        )]
        .into(),
        iam: None,
        log_group: None,
    }
}

#[test]
fn the_questions_are_deduplicated_and_local() {
    let svc = manifest();
    let roles = Roles::Managed(role_names("demo", "test", "api"));
    let addons = Addons::default();
    let q = questions(&request(&svc, &roles, &addons, true));
    assert_eq!(q.family, "demo-test-api");
    assert_eq!(q.log_group, "/copilot/demo-test-api");
    let lookups: Vec<(&str, &ImageLookup)> = q
        .images
        .iter()
        .map(|c| (c.container.as_str(), &c.lookup))
        .collect();
    assert!(matches!(lookups[0], ("api", ImageLookup::Build { tag, .. }) if tag == "v7"));
    assert!(
        lookups
            .iter()
            .any(|(c, l)| *c == "far" && **l == ImageLookup::Elsewhere),
        "ECR in another region is used as written"
    );
    assert!(
        lookups
            .iter()
            .any(|(c, l)| *c == "hub" && **l == ImageLookup::Elsewhere)
    );
    assert!(
        lookups
            .iter()
            .any(|(c, l)| *c == "proxy" && matches!(l, ImageLookup::Ecr { .. }))
    );
    assert_eq!(
        q.secrets.iter().collect::<Vec<_>>(),
        [
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:creds",
            "db"
        ]
    );
    assert_eq!(q.parameters.iter().collect::<Vec<_>>(), ["/app/token"]);
    assert_eq!(q.file_systems.iter().collect::<Vec<_>>(), ["fs-1"]);
}

#[test]
fn found_things_become_facts_pinned_to_digests() {
    let svc = manifest();
    let roles = Roles::Managed(role_names("demo", "test", "api"));
    let addons = Addons::default();
    let req = request(&svc, &roles, &addons, true);
    let q = questions(&req);
    let r = interpret(&req, &q, everything_found(&q)).unwrap();
    let f = &r.facts;
    assert_eq!(
        f.images["api"],
        format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/demo/api@sha256:main")
    );
    assert_eq!(
        f.images["proxy"],
        format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team/proxy@sha256:proxy")
    );
    assert_eq!(f.images["hub"], "nginx:1.27");
    assert_eq!(r.digests["proxy"], "sha256:proxy");
    assert_eq!(
        f.secret_arns[&SecretRef::SecretsManagerName("db:password::".into())],
        format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf:password::"),
        "the full ARN, with the JSON key kept"
    );
    assert_eq!(
        f.credential_arns["arn:aws:secretsmanager:us-east-1:123456789012:secret:creds"],
        format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:creds-AbCdEf")
    );
    assert_eq!(
        f.execution_role_arn,
        format!("arn:aws:iam::{ACCOUNT}:role/demo-test-api-ExecutionRole")
    );
    assert!(r.managed_roles.is_some());

    // --no-pin keeps the tags.
    let req = request(&svc, &roles, &addons, false);
    let r = interpret(&req, &q, everything_found(&q)).unwrap();
    assert!(r.facts.images["api"].ends_with("/demo/api:v7"));
    assert!(r.facts.images["proxy"].ends_with("/team/proxy:v3"));
}

#[test]
fn every_missing_thing_is_reported_at_its_place() {
    let svc = manifest();
    let roles = Roles::Given {
        execution: "arn:aws:iam::1:role/e".into(),
        task: "arn:aws:iam::1:role/t".into(),
    };
    let addons = Addons::default();
    let req = request(&svc, &roles, &addons, true);
    let q = questions(&req);
    let mut a = everything_found(&q);
    a.cluster_active = false;
    a.images[0] = Some(ImageFound::NoSuchImage); // the tag was never pushed
    a.secrets.clear();
    a.parameters.clear();
    a.access_points.get_mut("fsap-1").unwrap().file_system_id = "fs-2".into();
    a.file_systems.get_mut("fs-1").unwrap().state = "deleting".into();
    let Err(ResolveError::Missing(d)) = interpret(&req, &q, a) else {
        panic!("missing things are an error")
    };
    let found: Vec<(Option<&str>, &str)> = d
        .iter()
        .map(|d| (d.field.as_deref(), d.message.as_str()))
        .collect();
    for (field, message) in [
        (None, "ECS cluster demo-test does not exist in us-east-1"),
        (
            Some("image.build"),
            "image demo/api:v7 does not exist in ECR",
        ),
        (
            Some("secrets.DB"),
            "Secrets Manager secret db does not exist",
        ),
        (
            Some("secrets.TOKEN"),
            "SSM parameter /app/token does not exist",
        ),
        (
            Some("sidecars.proxy.credentialsParameter"),
            "registry credentials secret arn:aws:secretsmanager:us-east-1:123456789012:secret:creds does not exist",
        ),
        (
            Some("storage.volumes.data.efs.id"),
            "EFS file system fs-1 is deleting, not available",
        ),
        (
            Some("storage.volumes.data.efs.auth.access_point_id"),
            "EFS access point fsap-1 belongs to file system fs-2, not fs-1",
        ),
    ] {
        assert!(found.contains(&(field, message)), "{message}: {found:#?}");
    }
    assert_eq!(d.error_count(), 7);
}

#[test]
fn the_current_revision_is_read_again_only_when_it_is_not_the_latest() {
    let svc = manifest();
    let roles = Roles::Managed(role_names("demo", "test", "api"));
    let addons = Addons::default();
    let req = request(&svc, &roles, &addons, true);
    let q = questions(&req);
    let facts = Facts::offline(&svc, "demo", "test", None, None, None);
    let td = crate::render::render_task_definition(&svc, &facts);
    let latest = Registered::of("arn:td:2", 2, td);
    let mut a = everything_found(&q);
    a.latest = Some(latest.clone());
    a.service = Some(ServiceState {
        task_definition: "arn:td:2".into(),
        ..Default::default()
    });
    let r = interpret(&req, &q, a.clone()).unwrap();
    assert_eq!(r.current.td.as_ref().map(|t| t.revision), Some(2));
    assert_eq!(current_to_fetch(&r), None);
    a.service.as_mut().unwrap().task_definition = "arn:td:1".into();
    let r = interpret(&req, &q, a).unwrap();
    assert!(r.current.td.is_none());
    assert_eq!(current_to_fetch(&r), Some("arn:td:1"));
}

#[test]
fn the_service_or_its_family_tells_the_account_and_that_the_cluster_is_there() {
    let service = ServiceState {
        arn: "arn:aws-cn:ecs:cn-north-1:210987654321:service/demo-test/api".into(),
        ..Default::default()
    };
    let svc = manifest();
    let facts = Facts::offline(&svc, "demo", "test", None, None, None);
    let latest = Registered::of(
        "arn:aws:ecs:us-east-1:123456789012:task-definition/demo-test-api:4",
        4,
        crate::render::render_task_definition(&svc, &facts),
    );
    let identity = |account: &str, partition: &str| Identity {
        account: account.into(),
        partition: partition.into(),
    };
    // The running service answers both.
    assert_eq!(
        known_from(Some(&service), Some(&latest)),
        (Some(identity("210987654321", "aws-cn")), Some(true))
    );
    // A family registered before (a service deleted since): the account only.
    assert_eq!(
        known_from(None, Some(&latest)),
        (Some(identity(ACCOUNT, "aws")), None)
    );
    // A first deploy: both are asked in round trip 2.
    assert_eq!(known_from(None, None), (None, None));
    // An ARN that does not parse tells nothing.
    let odd = ServiceState {
        arn: "not-an-arn".into(),
        ..Default::default()
    };
    assert_eq!(known_from(Some(&odd), None), (None, Some(true)));
}

#[test]
fn a_missing_repository_is_told_apart_from_a_missing_tag() {
    let svc = manifest();
    let roles = Roles::Managed(role_names("demo", "test", "api"));
    let addons = Addons::default();
    let req = request(&svc, &roles, &addons, true);
    let q = questions(&req);
    let message = |found: ImageFound| {
        let mut a = everything_found(&q);
        a.images[0] = Some(found);
        let Err(ResolveError::Missing(d)) = interpret(&req, &q, a) else {
            panic!("a missing image is an error")
        };
        let d = d.iter().next().unwrap();
        assert_eq!(d.field.as_deref(), Some("image.build"));
        d.message.clone()
    };
    assert_eq!(
        message(ImageFound::NoSuchRepository),
        "ECR repository demo/api does not exist"
    );
    assert_eq!(
        message(ImageFound::NoSuchImage),
        "image demo/api:v7 does not exist in ECR"
    );
}

#[test]
fn copilots_environment_stack_places_the_service_and_gives_copilot_lb_dns() {
    let svc = service_in(
        "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1\n  port: 8080\n",
        Some("test"),
    );
    let roles = Roles::Managed(role_names("demo", "test", "api"));
    let addons = Addons::default();
    let req = request(&svc, &roles, &addons, true);
    let q = questions(&req);
    let outputs = [
        ("ClusterId", "demo-test-Cluster-Q1"),
        (
            "PublicLoadBalancerDNSName",
            "demo-Publi-1.us-east-1.elb.example",
        ),
        (
            "InternalLoadBalancerDNSName",
            "internal-demo-Inter-1.elb.example",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let stacks = crate::model::CopilotStacks {
        env_outputs: Some(outputs),
        service_arn: Some(
            "arn:aws:ecs:us-east-1:1:service/demo-test-Cluster-Q1/demo-test-api-Service-Z9".into(),
        ),
        adopted_arn: None,
        ..Default::default()
    };
    let who = crate::model::Who {
        app: "demo",
        env: "test",
        svc: "api",
    };
    let placement = crate::model::place(who, None, &stacks);
    let a = Answers {
        placement: placement.clone(),
        ..everything_found(&q)
    };
    let r = interpret(&req, &q, a).unwrap();
    assert_eq!(r.placement.cluster, "demo-test-Cluster-Q1");
    assert_eq!(r.placement.service, "demo-test-api-Service-Z9");
    assert_eq!(
        r.facts.lb_dns.as_deref(),
        Some("demo-Publi-1.us-east-1.elb.example"),
        "a Load Balanced Web Service gets the public load balancer's name"
    );
    let td = crate::render::render_task_definition(&svc, &r.facts);
    let main = td
        .container_definitions
        .iter()
        .find(|c| c.name == "api")
        .unwrap();
    assert!(
        main.environment
            .iter()
            .any(|kv| kv.name == "COPILOT_LB_DNS"
                && kv.value == "demo-Publi-1.us-east-1.elb.example"),
        "{:?}",
        main.environment
    );

    // A Backend Service without `http` sits behind no load balancer.
    let backend = manifest();
    let req = request(&backend, &roles, &addons, true);
    let q = questions(&req);
    let a = Answers {
        placement,
        ..everything_found(&q)
    };
    assert_eq!(interpret(&req, &q, a).unwrap().facts.lb_dns, None);
}

#[test]
fn a_managed_volume_uses_the_environments_file_system_and_creates_its_access_point() {
    let svc = service_in(
        "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\n\
storage:\n  volumes:\n    data:\n      path: /data\n      efs: true\n",
        Some("test"),
    );
    let roles = Roles::Managed(role_names("demo", "test", "api"));
    let addons = Addons::default();
    let req = request(&svc, &roles, &addons, true);
    let q = questions(&req);
    let who = crate::model::Who {
        app: "demo",
        env: "test",
        svc: "api",
    };
    // No environment stack: missing, at the volume.
    let err = interpret(&req, &q, everything_found(&q)).unwrap_err();
    let ResolveError::Missing(d) = err else {
        panic!("missing")
    };
    assert!(d.iter().any(|d| d.message.contains("managed file system")));

    let stacks = crate::model::CopilotStacks {
        env_outputs: Some(
            [("ManagedFileSystemID".to_string(), "fs-0abc".to_string())]
                .into_iter()
                .collect(),
        ),
        ..Default::default()
    };
    let a = Answers {
        placement: crate::model::place(who, None, &stacks),
        ..everything_found(&q)
    };
    let r = interpret(&req, &q, a).unwrap();
    let (fs, want) = r
        .create_access_point
        .clone()
        .expect("an access point to create");
    assert_eq!(fs, "fs-0abc");
    assert_eq!(
        (want.root.as_str(), want.client_token.as_str()),
        ("/api", "demo-test-api")
    );
    let r = r.with_access_point("fsap-0def");
    let td = crate::render::render_task_definition(&svc, &r.facts);
    let efs = td.volumes[0].efs_volume_configuration.as_ref().unwrap();
    assert_eq!(efs.file_system_id, "fs-0abc");
    assert_eq!(
        efs.authorization_config
            .as_ref()
            .unwrap()
            .access_point_id
            .as_deref(),
        Some("fsap-0def")
    );
    let policies = crate::render::render_policies(&svc, &r.facts, &td);
    let task = serde_json::to_string(&policies.task).unwrap();
    assert!(
        task.contains("access-point/fsap-0def") && task.contains("file-system/fs-0abc"),
        "mount through the service's own access point only: {task}"
    );
}

#[test]
fn the_addons_stacks_outputs_reach_the_task_as_copilot_wired_them_and_a_lost_stack_stops_the_deploy()
 {
    let svc = manifest();
    let roles = Roles::Managed(role_names("demo", "test", "api"));
    let addons = Addons::default();
    let req = request(&svc, &roles, &addons, true);
    let q = questions(&req);
    let template = r#"{"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Db": {"Type": "AWS::SecretsManager::Secret"},
        "Access": {"Type": "AWS::IAM::ManagedPolicy"},
        "Group": {"Type": "AWS::EC2::SecurityGroup"}},
      "Outputs": {
        "StoreBucketName": {"Value": {"Ref": "Bucket"}},
        "DbSecret": {"Value": {"Ref": "Db"}},
        "AccessPolicy": {"Value": {"Ref": "Access"}},
        "ClientGroup": {"Value": {"Ref": "Group"}}}}"#;
    let stack = crate::state::stack::Stack {
        name: "demo-test-api-AddonsStack-X".into(),
        outputs: [
            ("StoreBucketName", "demo-bucket"),
            (
                "DbSecret",
                "arn:aws:secretsmanager:us-east-1:1:secret:db-AbC",
            ),
            ("AccessPolicy", "arn:aws:iam::1:policy/access"),
            ("ClientGroup", "sg-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..Default::default()
    };
    let mut a = everything_found(&q);
    a.addon_stacks = vec![("id".into(), Some((stack.clone(), template.to_string())))];
    let r = interpret(&req, &q, a).unwrap();
    let o = &r.facts.addon_outputs;
    assert_eq!(o.variables["STORE_BUCKET_NAME"], "demo-bucket");
    assert_eq!(
        o.variables["CLIENT_GROUP"], "sg-1",
        "a group is a variable too"
    );
    assert_eq!(
        o.secrets["DB_SECRET"],
        "arn:aws:secretsmanager:us-east-1:1:secret:db-AbC"
    );
    assert_eq!(o.policies, ["arn:aws:iam::1:policy/access"]);
    assert_eq!(o.security_groups, ["sg-1"]);
    assert!(
        r.addons.is_none(),
        "Copilot's service stack deploys its add-ons: sidecarctl keeps none"
    );
    let td = crate::render::render_task_definition(&svc, &r.facts);
    for c in &td.container_definitions {
        assert!(
            c.environment
                .iter()
                .any(|kv| kv.name == "STORE_BUCKET_NAME" && kv.value == "demo-bucket"),
            "every container: {}",
            c.name
        );
    }
    let main = &td
        .container_definitions
        .iter()
        .find(|c| c.name == "api")
        .unwrap();
    assert!(main.secrets.iter().any(|s| s.name == "DB_SECRET"));

    // The stack is gone, or an output has no value: nothing may be written.
    let mut a = everything_found(&q);
    a.addon_stacks = vec![("arn:gone".into(), None)];
    let Err(ResolveError::Missing(d)) = interpret(&req, &q, a) else {
        panic!("a lost add-ons stack stops the deploy")
    };
    assert!(d.iter().next().unwrap().message.contains("arn:gone"));
    let mut partial = stack;
    partial.outputs.remove("DbSecret");
    let mut a = everything_found(&q);
    a.addon_stacks = vec![("id".into(), Some((partial, template.to_string())))];
    let Err(ResolveError::Missing(d)) = interpret(&req, &q, a) else {
        panic!("an output without a value stops the deploy")
    };
    assert!(d.iter().next().unwrap().message.contains("output DbSecret"));
}
