//! EFS: does a file system or access point exist, and is it usable.

use super::{AwsError, ErrorKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSystem {
    pub id: String,
    pub arn: String,
    /// `available`, `creating`, `deleting`, ...
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessPoint {
    pub id: String,
    pub file_system_id: String,
    pub state: String,
}

pub async fn file_system(
    client: &aws_sdk_efs::Client,
    id: &str,
) -> Result<Option<FileSystem>, AwsError> {
    const OP: &str = "elasticfilesystem:DescribeFileSystems";
    match client
        .describe_file_systems()
        .file_system_id(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.file_systems().first().map(|f| FileSystem {
            id: f.file_system_id().to_string(),
            arn: f.file_system_arn().unwrap_or_default().to_string(),
            state: f.life_cycle_state().as_str().to_string(),
        })),
        Err(e) => {
            let e = AwsError::from_sdk(OP, e);
            if e.is(ErrorKind::NotFound) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

pub async fn access_point(
    client: &aws_sdk_efs::Client,
    id: &str,
) -> Result<Option<AccessPoint>, AwsError> {
    const OP: &str = "elasticfilesystem:DescribeAccessPoints";
    match client
        .describe_access_points()
        .access_point_id(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.access_points().first().map(|a| AccessPoint {
            id: a.access_point_id().unwrap_or_default().to_string(),
            file_system_id: a.file_system_id().unwrap_or_default().to_string(),
            state: a
                .life_cycle_state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        })),
        Err(e) => {
            let e = AwsError::from_sdk(OP, e);
            if e.is(ErrorKind::NotFound) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}
