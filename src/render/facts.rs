//! What rendering needs to know about the AWS account, given as data: resolved
//! by `deploy`, or taken from flags and marked placeholders by `render`.

use std::collections::BTreeMap;

use crate::manifest::env_files::EnvFile;
use crate::manifest::{DEFAULT_FLUENT_BIT_IMAGE, FIRELENS_CONTAINER, SecretRef, Service};
use crate::names::{self, arn, copilot};

#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    pub app: String,
    pub env: String,
    pub account: String,
    pub region: String,
    pub partition: String,
    pub execution_role_arn: String,
    pub task_role_arn: String,
    /// The image each container runs (pinned to a digest where resolved).
    pub images: BTreeMap<String, String>,
    /// Full `valueFrom` ARNs for secrets given by name.
    pub secret_arns: BTreeMap<SecretRef, String>,
    /// Full ARNs of registry credentials given as partial ARNs.
    pub credential_arns: BTreeMap<String, String>,
    /// `COPILOT_LB_DNS`: the environment's load balancer the service sits
    /// behind, when Copilot's environment stack names it.
    pub lb_dns: Option<String>,
    /// The managed file system and the service's access point, for an
    /// `efs: true` volume.
    pub managed_efs: Option<ManagedEfs>,
    /// What the add-ons stack Copilot deployed for the service gives its task.
    pub addon_outputs: AddonOutputs,
    /// Where the containers' env files are, when the manifest has any.
    pub env_files: Option<EnvFileFacts>,
    /// What `publish` and `subscribe` give the task.
    pub messaging: MessagingFacts,
}

/// The topics and queues of `publish` and `subscribe`, as the task sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessagingFacts {
    /// Copilot's variables of every container (`COPILOT_SNS_TOPIC_ARNS`,
    /// `COPILOT_QUEUE_URI`, `COPILOT_TOPIC_QUEUE_URIS`).
    pub variables: Vec<(String, String)>,
    /// The topics the task role may publish to.
    pub publish: Vec<String>,
    /// The queues it may receive from (and delete from).
    pub receive: Vec<String>,
    /// The KMS keys of queues encrypted with a key of their own.
    pub keys: Vec<String>,
}

/// The env files' objects in S3.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvFileFacts {
    pub bucket: String,
    /// Copilot's application key, which encrypts its bucket's objects.
    pub kms_key: Option<String>,
    /// Container → the ARN of its env file's object.
    pub objects: BTreeMap<String, String>,
}

/// The outputs of the service's add-ons stack (Copilot's nested
/// `AddonsStack`), wired into the task as Copilot wired them
/// (`workloads/partials/cf/envvars-common.yml`, `secrets.yml`,
/// `taskrole.yml`, `service-base-properties.yml`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddonOutputs {
    /// The stack they come from.
    pub stack: Option<String>,
    /// Variables of every container (the main one, each sidecar, the
    /// FireLens router): output names in Copilot's snake case → values.
    pub variables: BTreeMap<String, String>,
    /// Secrets of the main container: names → Secrets Manager ARNs.
    pub secrets: BTreeMap<String, String>,
    /// Managed policies attached to the task role.
    pub policies: Vec<String>,
    /// Security groups of the service's network configuration.
    pub security_groups: Vec<String>,
}

/// The environment's managed file system and the service's access point on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedEfs {
    pub file_system_id: String,
    pub access_point_id: String,
}

impl ManagedEfs {
    /// What `render` shows without AWS.
    pub fn placeholder() -> ManagedEfs {
        ManagedEfs {
            file_system_id: "{ManagedFileSystemID}".into(),
            access_point_id: "{the service's access point}".into(),
        }
    }
}

/// The account used when none is given to `render`.
pub const PLACEHOLDER_ACCOUNT: &str = "000000000000";
pub const PLACEHOLDER_REGION: &str = "us-east-1";

impl Facts {
    pub fn family(&self, svc: &str) -> String {
        names::family(&self.app, &self.env, svc)
    }

    pub fn log_group(&self, svc: &str) -> String {
        names::log_group(&self.app, &self.env, svc)
    }

    /// The DNS suffix of the partition's service endpoints.
    pub fn dns_suffix(&self) -> &'static str {
        arn::dns_suffix(&self.partition)
    }

    /// The `valueFrom` of a secret: resolved, or built as Copilot builds it.
    pub fn secret_value_from(&self, r: &SecretRef) -> String {
        if let Some(a) = self.secret_arns.get(r) {
            return a.clone();
        }
        match r {
            SecretRef::Arn(a) => a.clone(),
            SecretRef::SsmName(n) => {
                arn::ssm_parameter(&self.partition, &self.region, &self.account, n)
            }
            SecretRef::SecretsManagerName(n) => {
                arn::secret_by_name(&self.partition, &self.region, &self.account, n)
            }
        }
    }

    /// The ARN of a registry credentials secret: resolved, or as written.
    pub fn credentials(&self, declared: &str) -> String {
        self.credential_arns
            .get(declared)
            .cloned()
            .unwrap_or_else(|| declared.to_string())
    }

    /// Facts for rendering without AWS: the given values, or placeholders.
    /// Images are the ones written in the manifest; `image.build` becomes the
    /// service's ECR repository at `image_tag`.
    pub fn offline(
        svc: &Service,
        app: &str,
        env: &str,
        account: Option<&str>,
        region: Option<&str>,
        image_tag: Option<&str>,
    ) -> Facts {
        let account = account.unwrap_or(PLACEHOLDER_ACCOUNT).to_string();
        let region = region.unwrap_or(PLACEHOLDER_REGION).to_string();
        let partition = arn::partition_of(&region).to_string();
        let roles = names::role_names(app, env, &svc.name);
        let mut facts = Facts {
            app: app.to_string(),
            env: env.to_string(),
            execution_role_arn: arn::role(&partition, &account, &roles.execution),
            task_role_arn: arn::role(&partition, &account, &roles.task),
            account,
            region,
            partition,
            images: BTreeMap::new(),
            secret_arns: BTreeMap::new(),
            credential_arns: BTreeMap::new(),
            lb_dns: None,
            managed_efs: svc.managed_volume().map(|_| ManagedEfs::placeholder()),
            addon_outputs: AddonOutputs::default(),
            env_files: None,
            messaging: MessagingFacts::default(),
        };
        facts.images = declared_images(svc, &facts, image_tag.unwrap_or("latest"));
        facts
    }
}

impl Facts {
    /// The env files' objects: in the bucket found (with the key that
    /// encrypts it, for Copilot's), or (without AWS) in sidecarctl's bucket
    /// for the facts' account and region.
    pub fn with_env_files(
        mut self,
        files: &[EnvFile],
        found: Option<(&str, Option<&str>)>,
    ) -> Facts {
        if files.is_empty() {
            return self;
        }
        let (bucket, kms_key) = match found {
            Some((b, k)) => (b.to_string(), k.map(str::to_string)),
            None => (
                names::sidecarctl::artifact_bucket(&self.app, &self.region, &self.account),
                None,
            ),
        };
        let objects = files
            .iter()
            .flat_map(|f| {
                let arn = arn::s3_object(&self.partition, &bucket, &f.key());
                f.containers.iter().map(move |c| (c.clone(), arn.clone()))
            })
            .collect();
        self.env_files = Some(EnvFileFacts {
            bucket,
            kms_key,
            objects,
        });
        self
    }
}

/// The images as the manifest writes them, before any pinning.
pub fn declared_images(svc: &Service, facts: &Facts, image_tag: &str) -> BTreeMap<String, String> {
    let mut images = BTreeMap::new();
    let main = match &svc.image.location {
        Some(l) => l.value.clone(),
        None => names::image::ecr_uri(
            &facts.account,
            &facts.region,
            facts.dns_suffix(),
            &copilot::build_repository(&facts.app, &svc.name),
            image_tag,
        ),
    };
    images.insert(svc.name.value.clone(), main);
    if let Some(l) = &svc.logging
        && l.wants_router
    {
        let img = l
            .image
            .as_ref()
            .map_or(DEFAULT_FLUENT_BIT_IMAGE.to_string(), |i| i.value.clone());
        images.insert(FIRELENS_CONTAINER.to_string(), img);
    }
    if svc.xray {
        images.insert(
            crate::manifest::XRAY_COLLECTOR.to_string(),
            super::taskdef::XRAY_COLLECTOR_IMAGE.to_string(),
        );
    }
    for (name, sc) in &svc.sidecars {
        if let Some(i) = &sc.image {
            images.insert(name.clone(), i.value.clone());
        } else if sc.build.is_some() {
            // Copilot pushes a sidecar's build to the service's repository,
            // tagged `{container}-{tag}`.
            let uri = names::image::ecr_uri(
                &facts.account,
                &facts.region,
                facts.dns_suffix(),
                &copilot::build_repository(&facts.app, &svc.name),
                &format!("{name}-{image_tag}"),
            );
            images.insert(name.clone(), uri);
        }
    }
    images
}
