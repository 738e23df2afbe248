//! Every flag, defined once: the subcommands share the structs below
//! (`TargetArgs` for which service where, `ClusterArgs`, `OutputArgs`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::clock::{parse_duration, parse_since};
use crate::term::ColorChoice;

const EXAMPLES: &str = "\
Examples:
  sidecarctl validate api                            check copilot/api/manifest.yml, every environment
  sidecarctl render api --env test                   the ECS task definition, as JSON
  sidecarctl deploy api --env test                   deploy and watch the rollout
  sidecarctl deploy api --env test --image-tag v2 --dry-run
                                                     show what would change, change nothing
  sidecarctl status api --env test                   deployments, containers, recent events
  sidecarctl logs api --env test --follow            follow every container's logs
(They run as written in the repository's examples/ after `eval \"$(localstack/stack env)\"`.)

Exit codes: 0 ok, 1 error, 2 invalid input, 3 missing AWS resources, 4 rolled back,
5 rollout failed and not rolled back, 6 stopped part-way, 7 another deploy in progress,
130 interrupted. See the README for details.";

#[derive(Debug, Parser)]
#[command(
    name = "sidecarctl",
    version,
    about = "Deploy AWS Copilot service manifests (sidecars, FireLens, EFS) straight to ECS, without CloudFormation",
    after_help = EXAMPLES,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// AWS region (default: AWS_REGION, then the profile's region)
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Named AWS profile (default: AWS_PROFILE)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS request to this endpoint (default: AWS_ENDPOINT_URL), e.g. a local emulator
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Give up on one AWS request attempt after this long (it is then retried)
    #[arg(long, global = true, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub api_timeout: Duration,
    /// Colour output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// More detail on stderr (-v: sidecarctl's steps, -vv: AWS SDK requests)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a service manifest and report every problem, with file:line:column
    #[command(
        after_help = "Without --env, the manifest is checked as is and with each environment's overrides."
    )]
    Validate(ValidateArgs),
    /// Print the ECS task definition (or IAM policies) a manifest renders to; no AWS calls
    #[command(
        after_help = "The JSON is what `aws ecs register-task-definition --cli-input-json` accepts.\n\
Without --account, --region or role ARNs, placeholders are used and named on stderr."
    )]
    Render(RenderArgs),
    /// Deploy a service: resolve, register the task definition, update the service, watch the rollout
    #[command(
        after_help = "Nothing is written until everything the manifest points at has been found.\n\
With --output json, one document on stdout at the end (see the README for its fields)."
    )]
    Deploy(Box<DeployArgs>),
    /// Build and push a service's images (`image.build`), printing their references; deploy nothing
    #[command(
        after_help = "An image the repository holds already, built from the same inputs (the context's files\n\
after .dockerignore, the Dockerfile, args, target, platform), is not built again.\n\
With --output json, one document on stdout: each container's image, pinned by digest."
    )]
    Build(BuildArgs),
    /// Run a one-off task of a service's current task definition, in its network, with its roles
    #[command(
        after_help = "With --wait: follows the task's logs and exits with the main container's exit code\n\
(125 when the task stopped without one: it never started; ECS's reason is shown).\n\
Ctrl-C stops waiting and says how to stop the task (--stop-on-interrupt stops it)."
    )]
    Run(RunArgs),
    /// Show a service: its deployments, containers, recent events and deploy lock
    Status(ServiceArgs),
    /// Remove a service's deploy lock (one left by a deploy that is gone), saying whose it was
    #[command(
        after_help = "A deploy killed outright (kill -9, a lost machine) leaves its lock until its lease\n\
runs out (a minute by default). Removing the lock of a deploy that still runs lets another\n\
one start beside it: check `sidecarctl status` first."
    )]
    Unlock(LockArgs),
    /// Hand a Copilot-deployed service over from CloudFormation, leaving what runs in place
    #[command(
        after_help = "Every resource of the stack {app}-{env}-{svc} and of its nested stacks (add-ons) gets\n\
DeletionPolicy and UpdateReplacePolicy: Retain, through change sets that may change nothing\n\
else; only once every template, read back, retains every resource is the service stack\n\
deleted (the nested stacks stay). Refused while another stack imports one of its exports.\n\
A rerun finishes what an earlier run left. See the README, \"Coming from Copilot\"."
    )]
    Adopt(AdoptArgs),
    /// Read or follow a service's logs: every container, and FireLens's CloudWatch destination
    #[command(
        after_help = "Lines read TIME CONTAINER/TASK MESSAGE; -o json writes one object a line.\n\
Without a time filter the last 10 events are shown (as Copilot does). Ctrl-C ends following."
    )]
    Logs(LogsArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(
        after_help = "bash: sidecarctl completions bash > ~/.local/share/bash-completion/completions/sidecarctl\n\
zsh:  sidecarctl completions zsh > \"${fpath[1]}/_sidecarctl\"\n\
fish: sidecarctl completions fish > ~/.config/fish/completions/sidecarctl.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff): sidecarctl man > sidecarctl.1
    Man,
}

/// Which service, in which environment.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Service name: its directory under copilot/
    #[arg(value_name = "SVC")]
    pub svc: Option<String>,
    /// Path to the service manifest instead of a name
    #[arg(long, value_name = "PATH", conflicts_with = "svc")]
    pub manifest: Option<PathBuf>,
    /// Application name (default: copilot/.workspace)
    #[arg(long, value_name = "APP")]
    pub app: Option<String>,
    /// Environment: its overrides apply, and it names the family {app}-{env}-{svc}
    #[arg(long, short = 'e', value_name = "ENV")]
    pub env: Option<String>,
    /// Accept an --env that neither the manifest's environments: nor copilot/environments/ knows
    #[arg(long, requires = "env")]
    pub new_env: bool,
}

impl TargetArgs {
    /// The environment (required by the commands that call this).
    pub fn env(&self) -> &str {
        self.env.as_deref().unwrap_or_default()
    }
}

/// The ECS cluster.
#[derive(Debug, Args, Clone, Default)]
pub struct ClusterArgs {
    /// ECS cluster (default: the environment stack's ClusterId, else {app}-{env})
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TextOrJson {
    #[default]
    Text,
    Json,
}

/// `-o text|json`.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Output format: text for people, json for programs (data on stdout)
    #[arg(long, short = 'o', value_enum, default_value_t = TextOrJson::Text)]
    pub output: TextOrJson,
}

impl OutputArgs {
    pub fn json(&self) -> bool {
        self.output == TextOrJson::Json
    }
}

/// `--strict`.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct StrictArgs {
    /// Make keys Copilot ignores (unknown or misplaced ones) errors instead of warnings
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub strict: StrictArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DataFormat {
    #[default]
    Json,
    Yaml,
}

#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct RenderArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub strict: StrictArgs,
    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = DataFormat::Json)]
    pub output: DataFormat,
    /// Print the IAM policies of the execution and task roles instead
    #[arg(long)]
    pub iam: bool,
    /// AWS account id for ARNs (placeholder: 000000000000)
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Image tag for `image.build` (default: latest)
    #[arg(long, value_name = "TAG", env = "SIDECARCTL_IMAGE_TAG")]
    pub image_tag: Option<String>,
    /// Execution role ARN (default: {app}-{env}-{svc}-ExecutionRole in the account)
    #[arg(long, value_name = "ARN")]
    pub execution_role_arn: Option<String>,
    /// Task role ARN (default: {app}-{env}-{svc}-TaskRole in the account)
    #[arg(long, value_name = "ARN")]
    pub task_role_arn: Option<String>,
}

#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct DeployArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub strict: StrictArgs,
    /// Deploy every service under copilot/, concurrently
    #[arg(long, conflicts_with_all = ["svc", "manifest"])]
    pub all: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Tag for `image.build`: built and pushed as it, or deployed as pushed
    /// when the repository holds it (default: the git commit, else the time)
    #[arg(long, value_name = "TAG", env = "SIDECARCTL_IMAGE_TAG")]
    pub image_tag: Option<String>,
    /// Deploy the pushed --image-tag without building (`image.build` then needs --image-tag)
    #[arg(long)]
    pub no_build: bool,
    #[command(flatten)]
    pub builder: BuilderArgs,
    /// Keep image tags in the task definition instead of pinning them to digests
    #[arg(long)]
    pub no_pin: bool,
    /// Resolve and compare, print the plan, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Return once the service is updated, without watching the rollout
    /// (refused when a target group is replaced: the deploy carries it on after the rollout)
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the rollout before rolling back
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Time between rollout checks
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// On failure, leave the service as it is instead of rolling back
    #[arg(long)]
    pub no_rollback: bool,
    /// Let the add-ons stack's change delete or replace resources (a table,
    /// a bucket): without it such a change is refused before it runs
    #[arg(long)]
    pub allow_addons_replacement: bool,
    /// If another deploy of the service is under way, wait for it instead of refusing
    #[arg(long)]
    pub wait_for_lock: bool,
    /// The deploy lock's lease: renewed every quarter of it while this deploy
    /// works; a deploy killed outright frees the lock when it runs out
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_lease)]
    pub lock_lease: Duration,
    /// Use this execution role; sidecarctl then writes no IAM
    #[arg(long, value_name = "ARN", requires = "task_role_arn")]
    pub execution_role_arn: Option<String>,
    /// Use this task role; sidecarctl then writes no IAM
    #[arg(long, value_name = "ARN", requires = "execution_role_arn")]
    pub task_role_arn: Option<String>,
    /// Subnets for a new service (default: the environment manifest's, by placement)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub subnets: Vec<String>,
    /// Security groups for a new service (default: network.vpc.security_groups)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub security_groups: Vec<String>,
    /// A target group the load balancer is managed with elsewhere (default:
    /// sidecarctl manages the service's target groups and rules on the
    /// environment's listeners)
    #[arg(long, value_name = "ARN", conflicts_with = "all")]
    pub target_group_arn: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The container engine for `image.build`.
#[derive(Debug, Args, Clone, Default)]
pub struct BuilderArgs {
    /// Container engine that builds: docker, podman or buildah (default: the first that works, in that order)
    #[arg(long, value_name = "ENGINE", env = "SIDECARCTL_BUILDER", value_parser = ["docker", "podman", "buildah"])]
    pub builder: Option<String>,
}

impl BuilderArgs {
    pub fn engine(&self) -> Option<crate::build::engine::Engine> {
        self.builder
            .as_deref()
            .and_then(crate::build::engine::Engine::from_name)
    }
}

/// `run`: a one-off task.
#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The main container's command instead of the task definition's, split as a shell would
    #[arg(long, value_name = "COMMAND")]
    pub command: Option<String>,
    /// A variable for the main container (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Wait for the task to stop, following its logs; exit with the main container's exit code
    #[arg(long)]
    pub wait: bool,
    /// With --wait, Ctrl-C stops the task too (without it, the task runs on)
    #[arg(long, requires = "wait")]
    pub stop_on_interrupt: bool,
    /// Time between checks of the task
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `build`: build and push a service's images, deploy nothing.
#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct BuildArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub strict: StrictArgs,
    /// Tag to push as (default: the git commit, else the time)
    #[arg(long, value_name = "TAG", env = "SIDECARCTL_IMAGE_TAG")]
    pub image_tag: Option<String>,
    #[command(flatten)]
    pub builder: BuilderArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A deployed service: `status`.
#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct ServiceArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct AdoptArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Adopt every service under copilot/, one after another
    #[arg(long, conflicts_with_all = ["svc", "manifest"])]
    pub all: bool,
    /// Say what would be done, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// How long to wait for CloudFormation, per stack update or deletion
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A service's deploy lock (`unlock`): it is named by application,
/// environment and service, whatever the cluster.
#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct LockArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A lease of at least 4 seconds (it is renewed every quarter of it).
fn parse_lease(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d >= Duration::from_secs(4) => Ok(d),
        _ => Err(format!("{s}: a lease lasts at least 4s")),
    }
}

#[derive(Debug, Args)]
#[command(mut_arg("env", |a| a.required(true)))]
pub struct LogsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Keep printing new events as they arrive
    #[arg(long, short = 'f', conflicts_with = "end_time")]
    pub follow: bool,
    /// Only events newer than this: 30s, 10m, 2h, 3d
    #[arg(long, value_name = "DURATION", conflicts_with = "start_time", value_parser = parse_since)]
    pub since: Option<Duration>,
    /// Only events at or after this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub start_time: Option<String>,
    /// Only events before this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub end_time: Option<String>,
    /// At most this many events (1 to 10000; 10 when no time is given)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub limit: Option<u32>,
    /// Only these containers (repeatable): main, sidecar names, firelens_log_router
    #[arg(long = "container", value_name = "NAME")]
    pub containers: Vec<String>,
    /// Only these task ids; a prefix is enough (repeatable)
    #[arg(long = "tasks", value_name = "ID", value_delimiter = ',')]
    pub tasks: Vec<String>,
    /// A CloudWatch Logs filter pattern
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Read exactly this log group instead of the service's
    #[arg(long, value_name = "NAME")]
    pub log_group: Option<String>,
    /// The logs of the most recently stopped task (to see why it stopped)
    #[arg(long, conflicts_with = "tasks")]
    pub previous: bool,
    /// Times in UTC (default: the local time zone, with its offset)
    #[arg(long)]
    pub utc: bool,
    /// Follow by polling FilterLogEvents, not with Live Tail (which AWS
    /// bills by the minute)
    #[arg(long, requires = "follow")]
    pub poll: bool,
    /// CloudWatch Logs read calls a second, reading and following alike (the
    /// account's quota is shared with every other reader: 5 by default)
    #[arg(long, value_name = "N", default_value_t = crate::logs::DEFAULT_READ_RATE,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub read_rate: u32,
    #[command(flatten)]
    pub output: OutputArgs,
    /// One JSON object per line (the same as -o json)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn env_is_required_where_it_names_the_family() {
        for cmd in ["render", "deploy", "status", "logs", "unlock"] {
            let e = Cli::try_parse_from(["sidecarctl", cmd, "api"]).unwrap_err();
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::MissingRequiredArgument,
                "{cmd}"
            );
        }
        assert!(Cli::try_parse_from(["sidecarctl", "validate", "api"]).is_ok());
    }

    #[test]
    fn logs_takes_the_same_output_flag_as_the_others() {
        let Command::Logs(a) =
            Cli::try_parse_from(["sidecarctl", "logs", "api", "-e", "t", "-o", "json"])
                .unwrap()
                .command
        else {
            panic!("logs")
        };
        assert!(a.output.json());
    }
}
