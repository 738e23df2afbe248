//! The imperative shell: every AWS call sidecarctl makes, each a thin function
//! returning plain domain types (`state`, `render::TaskDefinition`) or an
//! [`AwsError`]. What to do is decided by the callers; what is decided here
//! belongs to a call's own meaning: "not found" as an answer, a retry that
//! recognises its first attempt's effect, and the deploy lock's protocol on
//! SSM (`lock`), which only makes sense with its calls.

pub mod autoscaling;
pub mod cfn;
pub mod cloudwatch;
pub mod config;
pub mod discovery;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod efs;
pub mod elb;
pub mod error;
pub mod events;
pub mod iam;
pub mod limit;
pub mod lock;
pub mod logs;
pub mod nlb;
pub mod record;
pub mod route53;
pub mod s3;
pub mod scheduler;
pub mod secrets;
pub mod sns;
pub mod sqs;
pub mod sts;
pub mod wire;
mod xml;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

pub use error::{AwsError, ErrorKind, Found, aws_err};

/// An SSM parameter's value as stored (sidecarctl's own lock, markers and
/// records; never a secret's); `None` when it does not exist.
pub(crate) async fn ssm_value(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<Option<String>, AwsError> {
    let out = client
        .get_parameter()
        .name(name)
        .send()
        .await
        .map_err(aws_err("ssm:GetParameter"))
        .found()?;
    Ok(out.and_then(|o| o.parameter().and_then(|p| p.value()).map(str::to_string)))
}

/// A request the SDK's builders refused to build (a required field missing).
pub(crate) fn build_err(
    op: &'static str,
) -> impl FnOnce(aws_smithy_types::error::operation::BuildError) -> AwsError {
    move |e| AwsError::new(op, ErrorKind::Invalid, e.to_string())
}

/// Attempts per request (the first and four retries) for throttling, 5xx
/// answers and timeouts.
pub const MAX_ATTEMPTS: u32 = 5;

/// How to reach AWS: the global flags, over the SDK's own defaults
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, the credential chain).
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// One attempt's limit (slow answers are retried).
    pub attempt_timeout: Option<Duration>,
    pub max_attempts: Option<u32>,
    /// Client-side rate limiting on top of retries (many deploys at once).
    pub adaptive: bool,
}

/// One client per service, sharing one configuration.
#[derive(Clone, Debug)]
pub struct Aws {
    pub region: String,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub cfn: aws_sdk_cloudformation::Client,
    pub ecs: aws_sdk_ecs::Client,
    /// ECS without automatic retries, for calls that are not idempotent
    /// (RegisterTaskDefinition): the caller checks before trying again.
    pub ecs_single_attempt: aws_sdk_ecs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub efs: aws_sdk_efs::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    /// EC2's security groups (see [`ec2`] for why not `aws-sdk-ec2`).
    pub ec2: ec2::Ec2,
    pub iam: aws_sdk_iam::Client,
    /// S3's objects for env files (see [`s3`] for why not `aws-sdk-s3`).
    pub s3: s3::S3,
    /// CloudWatch's alarms (see [`cloudwatch`] for why not its SDK crate).
    pub cloudwatch: cloudwatch::CloudWatch,
    /// EventBridge Scheduler, for Scheduled Jobs (see [`scheduler`]).
    pub scheduler: scheduler::Scheduler,
    /// The rules of the Scheduled Jobs Copilot deployed (see [`events`]).
    pub events: events::Events,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sts: aws_sdk_sts::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub discovery: aws_sdk_servicediscovery::Client,
    pub route53: aws_sdk_route53::Client,
    /// Whether requests go to a custom endpoint (an emulator).
    pub custom_endpoint: bool,
}

impl Aws {
    /// Loads the configuration; fails early, with advice, when there is no region.
    pub async fn connect(opts: &ConnectOptions) -> Result<Aws, AwsError> {
        config::check_profile(opts.profile.as_deref()).await?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(r) = &opts.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let attempts = opts.max_attempts.unwrap_or(MAX_ATTEMPTS);
        let retry = if opts.adaptive {
            RetryConfig::adaptive()
        } else {
            RetryConfig::standard()
        };
        loader = loader.retry_config(
            retry
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(10)),
        );
        let attempt = opts.attempt_timeout.unwrap_or(Duration::from_secs(20));
        loader = loader.timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(attempt)
                .build(),
        );
        let config = loader.load().await;
        let Some(region) = config.region().map(|r| r.to_string()) else {
            return Err(AwsError::new(
                "config",
                ErrorKind::Invalid,
                "no AWS region: pass --region, or set AWS_REGION or a region in your profile",
            ));
        };
        let custom_endpoint =
            opts.endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let wire = wire::Wire::new(&config, &region, attempts, attempt);
        Ok(Aws {
            ec2: ec2::Ec2::new(wire.clone()),
            cloudwatch: cloudwatch::CloudWatch::new(wire.clone()),
            scheduler: scheduler::Scheduler::new(wire.clone()),
            events: events::Events::new(wire.clone()),
            s3: s3::S3::new(wire),
            region,
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
            cfn: aws_sdk_cloudformation::Client::new(&config),
            ecs: aws_sdk_ecs::Client::new(&config),
            ecs_single_attempt: aws_sdk_ecs::Client::from_conf(
                aws_sdk_ecs::config::Builder::from(&config)
                    .retry_config(RetryConfig::disabled())
                    .build(),
            ),
            ecr: aws_sdk_ecr::Client::new(&config),
            efs: aws_sdk_efs::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            discovery: aws_sdk_servicediscovery::Client::new(&config),
            route53: aws_sdk_route53::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            custom_endpoint,
        })
    }
}
