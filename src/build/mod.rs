//! Building and pushing what a manifest builds (`image.build` of the main
//! container and of sidecars), before anything else is written to AWS.
//!
//! Per image: its inputs are hashed ([`inputs`]); an image the repository
//! already holds — pushed with an explicit `--image-tag`, or built before
//! from the same inputs (its `inputs-{hash}` tag) — is pinned as it is and
//! the builder never starts. The rest are built concurrently by the local
//! engine ([`engine`]), then pushed with ECR's credentials, which only a
//! private temporary file holds. The result: each container's image pinned
//! by digest.

pub mod engine;
pub mod inputs;
pub mod tag;

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::future::{join_all, try_join_all};
use tokio::sync::mpsc::UnboundedSender;

use crate::aws::{Aws, AwsError, ecr};
use crate::manifest::{Build, Service};
use crate::state::ImageFound;
use engine::{AuthDir, Engine};
use inputs::BuildSpec;

/// Copilot's labels, with sidecarctl as the builder.
const LABEL_BUILDER: &str = "com.aws.copilot.image.builder";
const LABEL_CONTAINER: &str = "com.aws.copilot.image.container.name";
/// The label (and, as `inputs-{hash}`, the tag) that records the inputs.
const LABEL_INPUTS: &str = "com.sidecarctl.image.inputs";

/// What to build, and how.
pub struct Request<'a> {
    pub app: &'a str,
    pub svc: &'a Service,
    /// The workspace root: build paths are relative to it, as in Copilot.
    pub root: &'a Path,
    /// `--image-tag`, when given.
    pub tag: Option<&'a str>,
    /// `--builder`, when given.
    pub engine: Option<Engine>,
    /// Only find what is there (a dry run): build nothing, push nothing.
    pub dry_run: bool,
    /// Pin images by digest (else by their first tag: `--no-pin`).
    pub pin: bool,
}

/// One container's image.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub container: String,
    /// `URI@sha256:...`, or `URI:tag` in a dry run that would build.
    pub image: String,
    /// `built`, `reused` (same inputs), `pushed` (the explicit tag was
    /// there), `to build` (dry run).
    pub how: &'static str,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

#[derive(Debug)]
pub enum BuildError {
    Aws(AwsError),
    /// Nothing to build with, or bad inputs: said in words.
    Setup(String),
    /// The engine failed: the container, and the engine's last lines.
    Failed {
        container: String,
        step: &'static str,
        lines: Vec<String>,
    },
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Aws(e) => write!(f, "{e}"),
            BuildError::Setup(s) => f.write_str(s),
            BuildError::Failed {
                container,
                step,
                lines,
            } => write!(
                f,
                "the {step} of the image of {container} failed; its last lines:\n  {}",
                lines.join("\n  ")
            ),
        }
    }
}

impl BuildError {
    /// Whether it stopped before any write (a read, a build, the set-up);
    /// otherwise images may have been pushed.
    pub fn changed_nothing(&self) -> bool {
        match self {
            BuildError::Aws(e) => !matches!(e.op, "ecr:CreateRepository" | "ecr:PutImage"),
            BuildError::Setup(_) => true,
            BuildError::Failed { step, .. } => *step == "build",
        }
    }
}

impl From<AwsError> for BuildError {
    fn from(e: AwsError) -> Self {
        BuildError::Aws(e)
    }
}

/// The builds the manifest asks for, with their paths resolved.
pub fn specs(svc: &Service, root: &Path) -> Vec<BuildSpec> {
    let platform = build_platform(svc);
    let spec = |container: &str, b: &Build| {
        let dockerfile = b.dockerfile.as_ref().map(|d| root.join(&d.value));
        let context = b.context.as_ref().map(|c| root.join(&c.value));
        let (dockerfile, context) = match (dockerfile, context) {
            (Some(d), Some(c)) => (d, c),
            (Some(d), None) => {
                let c = d.parent().map(Path::to_path_buf).unwrap_or_default();
                (d, c)
            }
            (None, Some(c)) => (c.join("Dockerfile"), c),
            (None, None) => (root.join("Dockerfile"), root.to_path_buf()),
        };
        BuildSpec {
            container: container.to_string(),
            dockerfile,
            context,
            target: b.target.as_ref().map(|t| t.value.clone()),
            args: b
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            cache_from: b.cache_from.clone(),
            platform: platform.clone(),
        }
    };
    let main = svc
        .image
        .build
        .as_ref()
        .filter(|_| svc.image.location.is_none())
        .map(|b| spec(&svc.name.value, &b.value));
    let sidecars = svc
        .sidecars
        .iter()
        .filter(|(_, sc)| sc.image.is_none())
        .filter_map(|(name, sc)| sc.build.as_ref().map(|b| spec(name, &b.value)));
    main.into_iter().chain(sidecars).collect()
}

/// `platform` as a builder takes it: Copilot's default is `linux/amd64`.
pub fn build_platform(svc: &Service) -> String {
    match &svc.platform {
        Some(p) if p.value.windows => "windows/amd64".into(),
        Some(p) if p.value.arch == "ARM64" => "linux/arm64".into(),
        _ => "linux/amd64".into(),
    }
}

/// The tags an image is pushed as: Copilot's (`tag` and `latest` for the
/// main container, `{container}-tag` and `{container}-latest` for a
/// sidecar) and `inputs-{hash}`.
pub fn push_tags(svc: &str, container: &str, tag: &str, hash: &str) -> Vec<String> {
    let mut t = if container == svc {
        vec![tag.to_string(), "latest".to_string()]
    } else {
        vec![format!("{container}-{tag}"), format!("{container}-latest")]
    };
    t.push(inputs_tag(hash));
    t
}

fn inputs_tag(hash: &str) -> String {
    format!("inputs-{hash}")
}

/// Builds and pushes what has to be; every container's image, pinned.
/// Builder output goes to `lines` as `(container, line)`.
pub async fn build_and_push(
    aws: &Aws,
    req: &Request<'_>,
    lines: UnboundedSender<(String, String)>,
) -> Result<Vec<Image>, BuildError> {
    let specs = specs(req.svc, req.root);
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let repo = crate::names::copilot::build_repository(req.app, &req.svc.name);
    let tag = match req.tag {
        Some(t) => t.to_string(),
        None => tag::default_tag(req.root).await,
    };
    // The inputs, hashed beside the repository's reads.
    let hashing = join_all(specs.iter().map(|s| {
        let s = s.clone();
        async move {
            tokio::task::spawn_blocking(move || inputs::inputs_hash(&s))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r)
        }
    }));
    let repo_name = repo.as_str();
    let explicit = try_join_all(specs.iter().map(|s| {
        let t = push_tags(&req.svc.name, &s.container, &tag, "")[0].clone();
        async move {
            match req.tag {
                Some(_) => ecr::image(&aws.ecr, None, repo_name, &t).await.map(Some),
                None => Ok(None),
            }
        }
    }));
    let (hashes, uri, explicit) =
        tokio::join!(hashing, ecr::repository_uri(&aws.ecr, &repo), explicit);
    let (uri, explicit) = (uri?, explicit?);
    // Each image: as pushed, reused by its inputs, or to build; found
    // concurrently.
    let found = try_join_all(specs.iter().zip(hashes).enumerate().map(|(i, (s, h))| {
        let (uri, explicit, tag) = (uri.as_deref(), explicit.get(i).cloned().flatten(), &tag);
        existing(aws, req, repo_name, uri, tag, s, h, explicit)
    }))
    .await?;
    let mut images = Vec::new();
    let mut todo = Vec::new();
    for f in found {
        match f {
            Ok(image) => images.push(image),
            Err(build) => todo.push(build),
        }
    }
    if todo.is_empty() {
        return Ok(images);
    }
    if req.dry_run {
        let uri = uri.unwrap_or_else(|| repo.clone());
        images.extend(todo.into_iter().map(|(s, tags, _)| Image {
            container: s.container,
            image: format!("{uri}:{}", tags[0]),
            how: "to build",
            tags,
            seconds: None,
        }));
        return Ok(images);
    }
    let engine = Engine::find(req.engine).await.map_err(BuildError::Setup)?;
    // The registry's address names the images; its credentials wait in a
    // private file. Every build runs before the first write (the repository,
    // the pushes): a failed build leaves AWS as it was.
    let login = ecr::login(&aws.ecr).await?;
    let auth = AuthDir::new(login.host(), &login.username, &login.password)
        .map_err(|e| BuildError::Setup(format!("cannot write the registry credentials: {e}")))?;
    let push_to = format!("{}/{repo}", login.host());
    let started = Instant::now();
    try_join_all(todo.iter().map(|(s, tags, h)| {
        let (push_to, lines) = (&push_to, lines.clone());
        async move { build_one(engine, s, tags, h, push_to, &lines).await }
    }))
    .await?;
    let built_in = round(started.elapsed());
    let uri = repository(aws, req, &repo, uri).await?;
    let (uri, insecure, pin) = (&uri, login.insecure(), req.pin);
    let pushed = try_join_all(todo.iter().map(|(s, tags, _)| {
        let (push_to, auth, lines) = (&push_to, &auth, lines.clone());
        async move {
            let started = Instant::now();
            let digest = push(
                aws, repo_name, engine, s, tags, push_to, auth, insecure, &lines,
            )
            .await?;
            Ok::<_, BuildError>(Image {
                container: s.container.clone(),
                image: reference(uri, &digest, &tags[0], pin),
                how: "built",
                tags: tags.clone(),
                seconds: Some(built_in + round(started.elapsed())),
            })
        }
    }))
    .await?;
    images.extend(pushed);
    Ok(images)
}

/// One image the repository holds already (`Ok`): pushed with the explicit
/// tag, or built before from the same inputs (then given the commit's tag);
/// else what to build (`Err`).
#[allow(clippy::too_many_arguments)]
async fn existing(
    aws: &Aws,
    req: &Request<'_>,
    repo: &str,
    uri: Option<&str>,
    tag: &str,
    s: &BuildSpec,
    hash: Result<String, String>,
    explicit: Option<ImageFound>,
) -> Result<Result<Image, (BuildSpec, Vec<String>, String)>, BuildError> {
    // An explicit tag the repository holds is deployed as pushed: a
    // pipeline built it elsewhere (its context need not be here).
    if let (Some(u), Some(ImageFound::Image { digest, .. })) = (uri, &explicit) {
        let tags = vec![push_tags(&req.svc.name, &s.container, tag, "")[0].clone()];
        return Ok(Ok(Image {
            container: s.container.clone(),
            image: reference(u, digest, &tags[0], req.pin),
            how: "pushed",
            tags,
            seconds: None,
        }));
    }
    let h = hash.map_err(|e| BuildError::Setup(format!("the build of {}: {e}", s.container)))?;
    let tags = push_tags(&req.svc.name, &s.container, tag, &h);
    let Some(u) = uri else {
        return Ok(Err((s.clone(), tags, h)));
    };
    let Some((digest, has)) = ecr::image_tags(&aws.ecr, repo, &inputs_tag(&h)).await? else {
        return Ok(Err((s.clone(), tags, h)));
    };
    // The same image for a new commit: it gets the commit's tag.
    if !has.contains(&tags[0]) && !req.dry_run {
        ecr::retag(&aws.ecr, repo, &digest, &tags[..1]).await?;
    }
    Ok(Ok(Image {
        container: s.container.clone(),
        image: reference(u, &digest, &tags[0], req.pin),
        how: "reused",
        tags,
        seconds: None,
    }))
}

/// How the task definition names an image: by digest, or by its tag.
fn reference(uri: &str, digest: &str, tag: &str, pin: bool) -> String {
    if pin {
        format!("{uri}@{digest}")
    } else {
        format!("{uri}:{tag}")
    }
}

fn round(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// The repository's URI, creating it (Copilot's tags, scan on push) when missing.
async fn repository(
    aws: &Aws,
    req: &Request<'_>,
    repo: &str,
    uri: Option<String>,
) -> Result<String, AwsError> {
    if let Some(u) = uri {
        return Ok(u);
    }
    let (k, v) = crate::names::sidecarctl::MANAGED_BY;
    let tags = vec![
        ("copilot-application".to_string(), req.app.to_string()),
        ("copilot-service".to_string(), req.svc.name.value.clone()),
        (k.to_string(), v.to_string()),
    ];
    ecr::create_repository(&aws.ecr, repo, &tags).await
}

/// Builds one image, tagged as each of its tags under `push_to`.
async fn build_one(
    engine: Engine,
    spec: &BuildSpec,
    tags: &[String],
    hash: &str,
    push_to: &str,
    lines: &UnboundedSender<(String, String)>,
) -> Result<(), BuildError> {
    let refs: Vec<String> = tags.iter().map(|t| format!("{push_to}:{t}")).collect();
    let labels = vec![
        (LABEL_BUILDER.to_string(), "sidecarctl".to_string()),
        (LABEL_CONTAINER.to_string(), spec.container.clone()),
        (LABEL_INPUTS.to_string(), hash.to_string()),
    ];
    let args = engine.build_args(spec, &refs, &labels);
    engine::run(engine, &args, &[], &spec.container, lines)
        .await
        .map(|_| ())
        .map_err(|lines| BuildError::Failed {
            container: spec.container.clone(),
            step: "build",
            lines,
        })
}

/// Pushes a built image as its first tag, and gives it the others in ECR
/// (a second push could compress the layers anew: another digest); its
/// digest.
#[allow(clippy::too_many_arguments)]
async fn push(
    aws: &Aws,
    repo: &str,
    engine: Engine,
    spec: &BuildSpec,
    tags: &[String],
    push_to: &str,
    auth: &AuthDir,
    insecure: bool,
    lines: &UnboundedSender<(String, String)>,
) -> Result<String, BuildError> {
    let failed = |lines| BuildError::Failed {
        container: spec.container.clone(),
        step: "push",
        lines,
    };
    let image = format!("{push_to}:{}", tags[0]);
    let file = auth.path().join(format!("digest-{}", spec.container));
    let args = engine.push_args(&image, auth.path(), &file, insecure);
    let out = engine::run(engine, &args, &[], &spec.container, lines)
        .await
        .map_err(failed)?;
    let digest = std::fs::read_to_string(&file)
        .ok()
        .map(|d| d.trim().to_string())
        .filter(|d| d.starts_with("sha256:"))
        .or_else(|| engine::digest_in_push_output(&out))
        .ok_or_else(|| failed(vec!["the engine did not say which digest it pushed".into()]))?;
    ecr::retag(&aws.ecr, repo, &digest, &tags[1..]).await?;
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_copilots_and_record_the_inputs() {
        assert_eq!(
            push_tags("api", "api", "abc1234", "ff"),
            ["abc1234", "latest", "inputs-ff"]
        );
        assert_eq!(
            push_tags("api", "nginx", "abc1234", "ff"),
            ["nginx-abc1234", "nginx-latest", "inputs-ff"]
        );
    }

    #[test]
    fn paths_are_the_workspaces_and_the_context_defaults_to_the_dockerfiles_directory() {
        let root = Path::new("/ws");
        let m = crate::validate::testing::service(
            "name: api\ntype: Backend Service\nimage:\n  build: api/Dockerfile\nsidecars:\n  nginx:\n    image:\n      build:\n        context: proxy\n        args: {A: '1'}\n  log:\n    image: public.ecr.aws/x/y:1\n",
        );
        let specs = specs(&m, root);
        assert_eq!(specs.len(), 2, "{specs:?}");
        assert_eq!(specs[0].container, "api");
        assert_eq!(specs[0].dockerfile, Path::new("/ws/api/Dockerfile"));
        assert_eq!(specs[0].context, Path::new("/ws/api"));
        assert_eq!(specs[0].platform, "linux/amd64");
        assert_eq!(specs[1].container, "nginx");
        assert_eq!(specs[1].dockerfile, Path::new("/ws/proxy/Dockerfile"));
        assert_eq!(specs[1].args, [("A".to_string(), "1".to_string())]);
    }
}
