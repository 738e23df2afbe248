//! A deploy lock per service: an SSM parameter created only if it does not
//! exist (PutParameter without overwrite is atomic), holding who took it and
//! until when. An expired lock (its owner was killed) is taken over.

use aws_sdk_ssm::types::ParameterType;
use serde::{Deserialize, Serialize};

use super::{AwsError, ErrorKind, Found, aws_err};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub owner: String,
    pub token: String,
    /// Epoch milliseconds.
    pub since: i64,
    pub expires: i64,
}

#[derive(Debug)]
pub enum Acquire {
    Acquired(Lock),
    Held(Holder),
}

#[derive(Clone, Debug)]
pub struct Lock {
    pub name: String,
    pub token: String,
}

/// The parameter that locks a service.
pub fn lock_name(cluster: &str, service: &str) -> String {
    format!("/sidecarctl/locks/{cluster}/{service}")
}

async fn read(client: &aws_sdk_ssm::Client, name: &str) -> Result<Option<Holder>, AwsError> {
    let out = client
        .get_parameter()
        .name(name)
        .send()
        .await
        .map_err(aws_err("ssm:GetParameter"))
        .found()?;
    Ok(out.and_then(|o| {
        o.parameter()
            .and_then(|p| p.value())
            .and_then(|v| serde_json::from_str(v).ok())
    }))
}

/// Takes the lock, or says who holds it.
pub async fn acquire(
    client: &aws_sdk_ssm::Client,
    name: &str,
    me: &Holder,
    now: i64,
) -> Result<Acquire, AwsError> {
    const OP: &str = "ssm:PutParameter";
    let value = serde_json::to_string(me).unwrap_or_default();
    for _ in 0..3 {
        let put = client
            .put_parameter()
            .name(name)
            .value(&value)
            .r#type(ParameterType::String)
            .overwrite(false)
            .description("sidecarctl deploy lock")
            .send()
            .await;
        match put {
            Ok(_) => {
                return Ok(Acquire::Acquired(Lock {
                    name: name.to_string(),
                    token: me.token.clone(),
                }));
            }
            Err(e) => {
                let e = AwsError::from_sdk(OP, e);
                if !e.is(ErrorKind::AlreadyExists) {
                    return Err(e);
                }
            }
        }
        match read(client, name).await? {
            // Ours: a retried PutParameter whose first attempt went through.
            Some(h) if h.token == me.token => {
                return Ok(Acquire::Acquired(Lock {
                    name: name.to_string(),
                    token: me.token.clone(),
                }));
            }
            Some(h) if h.expires > now => return Ok(Acquire::Held(h)),
            // Expired (its owner died) or unreadable: take it over.
            _ => {
                let _ = client.delete_parameter().name(name).send().await;
            }
        }
    }
    Err(AwsError::new(
        OP,
        ErrorKind::Other,
        format!("could not take the lock {name}"),
    ))
}

/// Releases the lock if it is still ours.
pub async fn release(client: &aws_sdk_ssm::Client, lock: &Lock) -> Result<(), AwsError> {
    if let Some(h) = read(client, &lock.name).await?
        && h.token == lock.token
    {
        client
            .delete_parameter()
            .name(&lock.name)
            .send()
            .await
            .map_err(aws_err("ssm:DeleteParameter"))?;
    }
    Ok(())
}

/// Who is deploying, for the message another deploy prints.
pub fn whoami() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "someone".into());
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "unknown host".into());
    format!("{user}@{host} (pid {})", std::process::id())
}
