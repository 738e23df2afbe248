//! EFS: does a file system or access point exist, and is it usable; the
//! access point of a managed volume (`efs: true`).

use super::{AwsError, Found, aws_err, build_err};
use crate::names::copilot::ManagedAccessPoint;
use crate::state::{AccessPoint, FileSystem};

pub async fn file_system(
    client: &aws_sdk_efs::Client,
    id: &str,
) -> Result<Option<FileSystem>, AwsError> {
    let out = client
        .describe_file_systems()
        .file_system_id(id)
        .send()
        .await
        .map_err(aws_err("elasticfilesystem:DescribeFileSystems"))
        .found()?;
    Ok(out.and_then(|o| {
        o.file_systems().first().map(|f| FileSystem {
            state: f.life_cycle_state().as_str().to_string(),
        })
    }))
}

pub async fn access_point(
    client: &aws_sdk_efs::Client,
    id: &str,
) -> Result<Option<AccessPoint>, AwsError> {
    let out = client
        .describe_access_points()
        .access_point_id(id)
        .send()
        .await
        .map_err(aws_err("elasticfilesystem:DescribeAccessPoints"))
        .found()?;
    Ok(out.and_then(|o| {
        o.access_points().first().map(|a| AccessPoint {
            file_system_id: a.file_system_id().unwrap_or_default().to_string(),
            state: a
                .life_cycle_state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        })
    }))
}

/// The access point of `fs` that Copilot (or an earlier deploy) created for a
/// service: the one with its client token, or else its root directory and
/// POSIX user.
pub async fn managed_access_point(
    client: &aws_sdk_efs::Client,
    fs: &str,
    want: &ManagedAccessPoint,
) -> Result<Option<String>, AwsError> {
    let mut pages = client
        .describe_access_points()
        .file_system_id(fs)
        .into_paginator()
        .send();
    let mut by_shape = None;
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(aws_err("elasticfilesystem:DescribeAccessPoints"))
            .found()?;
        let Some(page) = page else { return Ok(None) };
        for a in page.access_points() {
            let id = a.access_point_id().unwrap_or_default().to_string();
            if a.client_token() == Some(want.client_token.as_str()) {
                return Ok(Some(id));
            }
            let root = a.root_directory().and_then(|r| r.path());
            let user = a.posix_user().map(|u| (u.uid(), u.gid()));
            if root == Some(want.root.as_str()) && user == Some((want.uid, want.gid)) {
                by_shape = Some(id);
            }
        }
    }
    Ok(by_shape)
}

/// Creates the access point as Copilot's template does; idempotent by its
/// client token.
pub async fn create_managed_access_point(
    client: &aws_sdk_efs::Client,
    fs: &str,
    want: &ManagedAccessPoint,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    use aws_sdk_efs::types::{CreationInfo, PosixUser, RootDirectory, Tag};
    const OP: &str = "elasticfilesystem:CreateAccessPoint";
    let mut req = client
        .create_access_point()
        .client_token(&want.client_token)
        .file_system_id(fs)
        .posix_user(
            PosixUser::builder()
                .uid(want.uid)
                .gid(want.gid)
                .build()
                .map_err(build_err(OP))?,
        )
        .root_directory(
            RootDirectory::builder()
                .path(&want.root)
                .creation_info(
                    CreationInfo::builder()
                        .owner_uid(want.uid)
                        .owner_gid(want.gid)
                        .permissions(want.permissions)
                        .build()
                        .map_err(build_err(OP))?,
                )
                .build(),
        );
    for (k, v) in tags {
        req = req.tags(
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(build_err(OP))?,
        );
    }
    let out = req.send().await.map_err(aws_err(OP))?;
    Ok(out.access_point_id().unwrap_or_default().to_string())
}
