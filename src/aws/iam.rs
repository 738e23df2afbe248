//! IAM: the task's roles, their inline policies, and add-on managed policies.
//! Policy documents come back URL-encoded; they are decoded and compared as JSON.

use aws_sdk_iam::types::Tag;

use super::{AwsError, ErrorKind, Found, aws_err};
use crate::state::Role;

pub async fn role(client: &aws_sdk_iam::Client, name: &str) -> Result<Option<Role>, AwsError> {
    const OP: &str = "iam:GetRole";
    let r = client
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(aws_err(OP))
        .map(|out| {
            let role = out.role();
            Role {
                arn: role.map(|r| r.arn().to_string()).unwrap_or_default(),
                trust_policy: role
                    .and_then(|r| r.assume_role_policy_document())
                    .map(url_decode)
                    .unwrap_or_default(),
                tags: role
                    .map(|r| r.tags())
                    .unwrap_or_default()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
            }
        });
    r.found()
}

fn iam_tags(op: &'static str, tags: &[(String, String)]) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::new(op, ErrorKind::Invalid, e.to_string()))
        })
        .collect()
}

pub async fn create_role(
    client: &aws_sdk_iam::Client,
    name: &str,
    trust_policy: &str,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    const OP: &str = "iam:CreateRole";
    let req = client
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy)
        .description("ECS task role managed by sidecarctl");
    let req = req.set_tags(Some(iam_tags(OP, tags)?));
    let out = req.send().await.map_err(aws_err(OP))?;
    Ok(out.role().map(|r| r.arn().to_string()).unwrap_or_default())
}

pub async fn update_trust_policy(
    client: &aws_sdk_iam::Client,
    name: &str,
    trust_policy: &str,
) -> Result<(), AwsError> {
    client
        .update_assume_role_policy()
        .role_name(name)
        .policy_document(trust_policy)
        .send()
        .await
        .map_err(aws_err("iam:UpdateAssumeRolePolicy"))?;
    Ok(())
}

/// An inline policy's document, decoded; `None` when the role has no such policy.
pub async fn role_policy(
    client: &aws_sdk_iam::Client,
    role: &str,
    policy: &str,
) -> Result<Option<String>, AwsError> {
    const OP: &str = "iam:GetRolePolicy";
    let r = client
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .map_err(aws_err(OP))
        .map(|out| url_decode(out.policy_document()));
    r.found()
}

pub async fn put_role_policy(
    client: &aws_sdk_iam::Client,
    role: &str,
    policy: &str,
    document: &str,
) -> Result<(), AwsError> {
    client
        .put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(document)
        .send()
        .await
        .map_err(aws_err("iam:PutRolePolicy"))?;
    Ok(())
}

pub async fn delete_role_policy(
    client: &aws_sdk_iam::Client,
    role: &str,
    policy: &str,
) -> Result<(), AwsError> {
    client
        .delete_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .map_err(aws_err("iam:DeleteRolePolicy"))
        .found()?;
    Ok(())
}

/// ARNs of the managed policies attached to a role.
pub async fn attached_policies(
    client: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<String>, AwsError> {
    const OP: &str = "iam:ListAttachedRolePolicies";
    let r = client
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(aws_err(OP))
        .map(|out| {
            out.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect::<Vec<_>>()
        });
    Ok(r.found()?.unwrap_or_default())
}

pub async fn attach_policy(
    client: &aws_sdk_iam::Client,
    role: &str,
    policy_arn: &str,
) -> Result<(), AwsError> {
    client
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .map_err(aws_err("iam:AttachRolePolicy"))?;
    Ok(())
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded).
pub fn url_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_policy_documents() {
        assert_eq!(
            url_decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            "{\"Version\":\"2012-10-17\"}"
        );
        assert_eq!(url_decode("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(url_decode("100%"), "100%");
    }
}
