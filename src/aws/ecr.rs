//! ECR: does an image exist, and what is its digest.

use aws_sdk_ecr::types::ImageIdentifier;

use super::{AwsError, ErrorKind, aws_err};
use crate::names::EcrImage;
use crate::state::{DigestTags, ImageFound};

/// What DescribeImages says of one reference.
enum Lookup {
    Found {
        digest: String,
        registry: Option<String>,
        tags: Vec<String>,
    },
    NoImage,
    NoRepository,
}

async fn lookup(
    client: &aws_sdk_ecr::Client,
    registry: Option<&str>,
    repository: &str,
    reference: &str,
) -> Result<Lookup, AwsError> {
    let id = if reference.starts_with("sha256:") {
        ImageIdentifier::builder().image_digest(reference).build()
    } else {
        ImageIdentifier::builder().image_tag(reference).build()
    };
    let out = client
        .describe_images()
        .set_registry_id(registry.map(str::to_string))
        .repository_name(repository)
        .image_ids(id)
        .send()
        .await
        .map_err(aws_err("ecr:DescribeImages"));
    match out {
        Ok(o) => Ok(o
            .image_details()
            .first()
            .and_then(|d| {
                Some(Lookup::Found {
                    digest: d.image_digest()?.to_string(),
                    registry: d.registry_id().map(str::to_string),
                    tags: d.image_tags().to_vec(),
                })
            })
            .unwrap_or(Lookup::NoImage)),
        Err(e) if e.code.as_deref() == Some("RepositoryNotFoundException") => {
            Ok(Lookup::NoRepository)
        }
        Err(e) if e.is(ErrorKind::NotFound) => Ok(Lookup::NoImage),
        Err(e) => Err(e),
    }
}

/// Whether `repository:reference` (a tag or a digest) exists, with its digest.
pub async fn image(
    client: &aws_sdk_ecr::Client,
    registry: Option<&str>,
    repository: &str,
    reference: &str,
) -> Result<ImageFound, AwsError> {
    Ok(
        match lookup(client, registry, repository, reference).await? {
            Lookup::Found {
                digest,
                registry: found,
                ..
            } => match found.as_deref().or(registry) {
                Some(registry) => ImageFound::Image {
                    digest,
                    registry: registry.to_string(),
                },
                None => ImageFound::NoSuchImage,
            },
            Lookup::NoImage => ImageFound::NoSuchImage,
            Lookup::NoRepository => ImageFound::NoSuchRepository,
        },
    )
}

/// The tags each digest of `images` (ECR URIs pinned by digest) was pushed
/// as; images elsewhere, and lookups that fail, are left out.
pub async fn tags_of_digests(client: &aws_sdk_ecr::Client, images: &[&str]) -> DigestTags {
    let pinned: std::collections::BTreeSet<(String, String, String)> = images
        .iter()
        .filter_map(|i| EcrImage::parse(i).filter(|e| e.is_digest))
        .map(|e| (e.account, e.repository, e.reference))
        .collect();
    let found =
        futures_util::future::join_all(pinned.into_iter().map(|(registry, repo, digest)| {
            let client = client.clone();
            async move {
                let out = client
                    .describe_images()
                    .registry_id(&registry)
                    .repository_name(&repo)
                    .image_ids(ImageIdentifier::builder().image_digest(&digest).build())
                    .send()
                    .await
                    .ok()?;
                let tags = out.image_details().first()?.image_tags().to_vec();
                Some((digest, tags))
            }
        }))
        .await;
    found.into_iter().flatten().collect()
}

/// A repository's URI, or none when it does not exist.
pub async fn repository_uri(
    client: &aws_sdk_ecr::Client,
    name: &str,
) -> Result<Option<String>, AwsError> {
    let out = client
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .map_err(aws_err("ecr:DescribeRepositories"));
    match out {
        Ok(o) => Ok(o
            .repositories()
            .first()
            .and_then(|r| r.repository_uri().map(str::to_string))),
        Err(e) if e.code.as_deref() == Some("RepositoryNotFoundException") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates the repository as Copilot's application stack did (its tags),
/// with scan on push; its URI. One that exists already (a race) is found.
pub async fn create_repository(
    client: &aws_sdk_ecr::Client,
    name: &str,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    use aws_sdk_ecr::types::{ImageScanningConfiguration, Tag};
    let out = client
        .create_repository()
        .repository_name(name)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(true)
                .build(),
        )
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    AwsError::new("ecr:CreateRepository", ErrorKind::Invalid, e.to_string())
                })?,
        ))
        .send()
        .await
        .map_err(aws_err("ecr:CreateRepository"));
    match out {
        Ok(o) => o
            .repository()
            .and_then(|r| r.repository_uri())
            .map(str::to_string)
            .ok_or_else(|| {
                AwsError::new(
                    "ecr:CreateRepository",
                    ErrorKind::Other,
                    "no repository URI in the answer",
                )
            }),
        Err(e) if e.code.as_deref() == Some("RepositoryAlreadyExistsException") => {
            repository_uri(client, name).await?.ok_or(e)
        }
        Err(e) => Err(e),
    }
}

/// A registry login: where to push, and the credentials (never printed:
/// `Debug` hides the password).
#[derive(Clone)]
pub struct RegistryLogin {
    /// `https://HOST` (or `http://` for a local registry).
    pub endpoint: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryLogin")
            .field("endpoint", &self.endpoint)
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl RegistryLogin {
    /// The registry's host (and port), as image references name it.
    pub fn host(&self) -> &str {
        self.endpoint
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
    }

    /// A registry reached over plain HTTP (a local one).
    pub fn insecure(&self) -> bool {
        self.endpoint.starts_with("http://")
    }
}

/// GetAuthorizationToken: the registry's endpoint and its credentials.
pub async fn login(client: &aws_sdk_ecr::Client) -> Result<RegistryLogin, AwsError> {
    const OP: &str = "ecr:GetAuthorizationToken";
    let out = client
        .get_authorization_token()
        .send()
        .await
        .map_err(aws_err(OP))?;
    let data = out
        .authorization_data()
        .first()
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "no authorization data"))?;
    let token = data.authorization_token().unwrap_or_default();
    let decoded = aws_smithy_types::base64::decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the token is not base64 text"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the token is not USER:PASSWORD"))?;
    Ok(RegistryLogin {
        endpoint: data.proxy_endpoint().unwrap_or_default().to_string(),
        username: username.to_string(),
        password: password.to_string(),
    })
}

/// Tags the image `digest` as each of `tags` too, as ECR's documentation
/// retags: its manifest (BatchGetImage) put again under each tag
/// (PutImage); nothing is uploaded again, and the digest stays the same. A
/// tag the image has already is left as it is.
pub async fn retag(
    client: &aws_sdk_ecr::Client,
    repository: &str,
    digest: &str,
    tags: &[String],
) -> Result<(), AwsError> {
    const GET: &str = "ecr:BatchGetImage";
    let out = client
        .batch_get_image()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_digest(digest).build())
        .send()
        .await
        .map_err(aws_err(GET))?;
    let image = out.images().first().ok_or_else(|| {
        AwsError::new(
            GET,
            ErrorKind::NotFound,
            format!("{repository}@{digest} is not there"),
        )
    })?;
    let manifest = image.image_manifest().unwrap_or_default();
    let media = image.image_manifest_media_type();
    let puts = tags.iter().map(|t| async move {
        let r = client
            .put_image()
            .repository_name(repository)
            .image_manifest(manifest)
            .set_image_manifest_media_type(media.map(str::to_string))
            .image_digest(digest)
            .image_tag(t)
            .send()
            .await
            .map_err(aws_err("ecr:PutImage"));
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.code.as_deref() == Some("ImageAlreadyExistsException") => Ok(()),
            Err(e) => Err(e),
        }
    });
    futures_util::future::try_join_all(puts).await.map(|_| ())
}

/// The digest and tags of `repository:tag`, when it is there.
pub async fn image_tags(
    client: &aws_sdk_ecr::Client,
    repository: &str,
    tag: &str,
) -> Result<Option<(String, Vec<String>)>, AwsError> {
    Ok(match lookup(client, None, repository, tag).await? {
        Lookup::Found { digest, tags, .. } => Some((digest, tags)),
        Lookup::NoImage | Lookup::NoRepository => None,
    })
}
