//! Who we are: the account and partition, from STS.

use super::{AwsError, aws_err};
use crate::state::Identity;

pub async fn caller_identity(client: &aws_sdk_sts::Client) -> Result<Identity, AwsError> {
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(aws_err("sts:GetCallerIdentity"))?;
    let partition = out
        .arn()
        .and_then(|a| a.split(':').nth(1))
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_string();
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        partition,
    })
}
