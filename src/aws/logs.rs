//! CloudWatch Logs: the service's log group.

use super::{AwsError, ErrorKind, aws_err};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogGroup {
    pub name: String,
    pub retention_days: Option<i32>,
}

/// The log group named exactly `name`, if it exists.
pub async fn log_group(
    client: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
) -> Result<Option<LogGroup>, AwsError> {
    let out = client
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(aws_err("logs:DescribeLogGroups"))?;
    Ok(out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .map(|g| LogGroup {
            name: name.to_string(),
            retention_days: g.retention_in_days(),
        }))
}

/// CreateLogGroup; an existing group is not an error.
pub async fn create_log_group(
    client: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    tags: &[(String, String)],
) -> Result<(), AwsError> {
    const OP: &str = "logs:CreateLogGroup";
    let mut req = client.create_log_group().log_group_name(name);
    for (k, v) in tags {
        req = req.tags(k, v);
    }
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = AwsError::from_sdk(OP, e);
            if e.is(ErrorKind::AlreadyExists) {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

pub async fn set_retention(
    client: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    days: i32,
) -> Result<(), AwsError> {
    client
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map_err(aws_err("logs:PutRetentionPolicy"))?;
    Ok(())
}
