//! ECR: does an image exist, and what is its digest.

use aws_sdk_ecr::types::ImageIdentifier;

use super::{AwsError, ErrorKind, aws_err};
use crate::names::EcrImage;
use crate::state::{DigestTags, ImageFound};

/// Whether `repository:reference` (a tag or a digest) exists, with its digest.
pub async fn image(
    client: &aws_sdk_ecr::Client,
    registry: Option<&str>,
    repository: &str,
    reference: &str,
) -> Result<ImageFound, AwsError> {
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
                Some(ImageFound::Image {
                    digest: d.image_digest()?.to_string(),
                    registry: d.registry_id().or(registry)?.to_string(),
                })
            })
            .unwrap_or(ImageFound::NoSuchImage)),
        Err(e) if e.code.as_deref() == Some("RepositoryNotFoundException") => {
            Ok(ImageFound::NoSuchRepository)
        }
        Err(e) if e.is(ErrorKind::NotFound) => Ok(ImageFound::NoSuchImage),
        Err(e) => Err(e),
    }
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
