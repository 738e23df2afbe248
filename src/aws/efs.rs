//! EFS: does a file system or access point exist, and is it usable.

use super::{AwsError, Found, aws_err};
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
