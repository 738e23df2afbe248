//! ECR: does an image tag exist, and what is its digest.

use aws_sdk_ecr::types::ImageIdentifier;

use super::{AwsError, Found, aws_err};
use crate::names::EcrImage;
use crate::state::{DigestTags, Repository};

/// DescribeRepositories for one name; `None` when it does not exist.
pub async fn repository(
    client: &aws_sdk_ecr::Client,
    name: &str,
) -> Result<Option<Repository>, AwsError> {
    let out = client
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .map_err(aws_err("ecr:DescribeRepositories"))
        .found()?;
    Ok(out.and_then(|o| {
        o.repositories().first().map(|r| Repository {
            uri: r.repository_uri().unwrap_or_default().to_string(),
        })
    }))
}

/// The digest of `repository:reference` (a tag or a digest); `None` when the
/// repository or the image does not exist.
pub async fn image_digest(
    client: &aws_sdk_ecr::Client,
    registry: Option<&str>,
    repository: &str,
    reference: &str,
) -> Result<Option<String>, AwsError> {
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
        .map_err(aws_err("ecr:DescribeImages"))
        .found()?;
    Ok(out.and_then(|o| {
        o.image_details()
            .first()
            .and_then(|d| d.image_digest())
            .map(str::to_string)
    }))
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
