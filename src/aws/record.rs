//! The record `adopt` leaves of a service it took over (an SSM parameter,
//! [`AdoptRecord`]): how deploys find the service, and its add-ons, once
//! Copilot's service stack is gone.

use aws_sdk_ssm::types::ParameterType;

use super::{AwsError, aws_err, ssm_value};
use crate::state::AdoptRecord;

/// The record, if any (a parameter that does not read as one counts as none).
pub async fn read(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<Option<AdoptRecord>, AwsError> {
    Ok(ssm_value(client, name)
        .await?
        .and_then(|v| AdoptRecord::parse(&v)))
}

pub async fn write(
    client: &aws_sdk_ssm::Client,
    name: &str,
    record: &AdoptRecord,
) -> Result<(), AwsError> {
    client
        .put_parameter()
        .name(name)
        .value(record.to_text())
        .r#type(ParameterType::String)
        .overwrite(true)
        .description("sidecarctl: the ECS service adopted from a Copilot service stack")
        .send()
        .await
        .map_err(aws_err("ssm:PutParameter"))?;
    Ok(())
}
