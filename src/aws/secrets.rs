//! Secrets Manager and SSM Parameter Store: does a secret exist, and its ARN.
//! Only metadata is ever read (DescribeSecret, DescribeParameters): never a value.

use aws_sdk_ssm::types::ParameterStringFilter;

use super::{AwsError, ErrorKind, Found, aws_err};

/// The full ARN of a Secrets Manager secret given by name or (partial) ARN;
/// `None` when it does not exist.
pub async fn secret_arn(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<Option<String>, AwsError> {
    let out = client
        .describe_secret()
        .secret_id(id)
        .send()
        .await
        .map_err(aws_err("secretsmanager:DescribeSecret"))
        .found()?;
    Ok(out.and_then(|o| o.arn().map(str::to_string)))
}

/// Which of `names` exist as SSM parameters (one DescribeParameters call per
/// 50 names, the API's limit, each paginated).
pub async fn existing_parameters(
    client: &aws_sdk_ssm::Client,
    names: &[String],
) -> Result<Vec<String>, AwsError> {
    const OP: &str = "ssm:DescribeParameters";
    let mut found = Vec::new();
    for chunk in names.chunks(50) {
        let filter = ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .set_values(Some(chunk.to_vec()))
            .build()
            .map_err(|e| AwsError::new(OP, ErrorKind::Invalid, e.to_string()))?;
        let mut pages = client
            .describe_parameters()
            .parameter_filters(filter)
            .into_paginator()
            .page_size(50)
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(aws_err(OP))?;
            found.extend(
                page.parameters()
                    .iter()
                    .filter_map(|p| p.name().map(str::to_string)),
            );
        }
    }
    Ok(found)
}
