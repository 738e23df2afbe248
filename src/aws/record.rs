//! The record `adopt` leaves of a service it took over (an SSM parameter
//! holding the service's ARN): how deploys find the service once Copilot's
//! service stack is gone.

use aws_sdk_ssm::types::ParameterType;

use super::{AwsError, aws_err, ssm_value};

/// The recorded service ARN, if any.
pub async fn read(client: &aws_sdk_ssm::Client, name: &str) -> Result<Option<String>, AwsError> {
    ssm_value(client, name).await
}

pub async fn write(client: &aws_sdk_ssm::Client, name: &str, arn: &str) -> Result<(), AwsError> {
    client
        .put_parameter()
        .name(name)
        .value(arn)
        .r#type(ParameterType::String)
        .overwrite(true)
        .description("sidecarctl: the ECS service adopted from a Copilot service stack")
        .send()
        .await
        .map_err(aws_err("ssm:PutParameter"))?;
    Ok(())
}
