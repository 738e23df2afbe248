//! A deploy lock per service in SSM Parameter Store.
//!
//! Taking the lock is `PutParameter` without overwrite: atomic, so of two
//! deploys that try at once exactly one succeeds. The lock names its holder
//! and when its lease runs out; the holder renews the lease while it works,
//! so a lock whose lease ran out belongs to a deploy that died, and is taken
//! over.
//!
//! SSM has no conditional delete, so deleting a lock is guarded: only whoever
//! creates the *release marker* for the lock's token (again a create-if-absent)
//! may delete the lock with that token, after reading it back. Two deploys
//! that see the same expired holder therefore cannot both delete it, and a
//! release or takeover never deletes a lock someone else took in between. A
//! marker left by a process killed inside that short section goes stale after
//! [`MARKER_STALE_MS`] and is then removed.

use aws_sdk_ssm::types::ParameterType;

use super::{AwsError, ErrorKind, Found, aws_err};
use crate::state::LockHolder;

#[derive(Debug)]
pub enum Acquire {
    Acquired(Lock),
    Held(LockHolder),
}

/// A lock this process holds.
#[derive(Clone, Debug)]
pub struct Lock {
    pub name: String,
    pub token: String,
}

/// A release marker older than this was left by a process that died holding
/// it (or whose delete failed).
pub const MARKER_STALE_MS: i64 = 90_000;
/// Past this, a marker's holder gives up rather than delete (its marker could
/// be taken for stale by then, allowing for clocks a minute apart).
const MARKER_WORK_MS: i64 = 20_000;

/// The parameter that locks a service.
pub fn lock_name(cluster: &str, service: &str) -> String {
    format!("/sidecarctl/locks/{cluster}/{service}")
}

fn marker_name(lock: &str, token: &str) -> String {
    format!("{lock}.release-{token}")
}

/// Who holds the lock, if anyone.
pub async fn read(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<Option<LockHolder>, AwsError> {
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

/// Creates a parameter unless it exists; `false` when it does.
async fn create(client: &aws_sdk_ssm::Client, name: &str, value: &str) -> Result<bool, AwsError> {
    let put = client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(false)
        .description("sidecarctl deploy lock")
        .send()
        .await;
    match put {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = AwsError::from_sdk("ssm:PutParameter", e);
            if e.is(ErrorKind::AlreadyExists) {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

async fn delete(client: &aws_sdk_ssm::Client, name: &str) -> Result<(), AwsError> {
    client
        .delete_parameter()
        .name(name)
        .send()
        .await
        .map_err(aws_err("ssm:DeleteParameter"))
        .found()?;
    Ok(())
}

/// Deletes the lock if it still holds `token`, with the exclusive right to do
/// so (the release marker). `Ok(false)` when someone else holds that right.
async fn delete_if_held_by(
    client: &aws_sdk_ssm::Client,
    name: &str,
    token: &str,
    now: fn() -> i64,
) -> Result<bool, AwsError> {
    let marker = marker_name(name, token);
    let since = now();
    if !create(client, &marker, &since.to_string()).await? {
        // Someone holds it; if they died inside, remove their stale marker.
        let stale = client
            .get_parameter()
            .name(&marker)
            .send()
            .await
            .map_err(aws_err("ssm:GetParameter"))
            .found()?
            .and_then(|o| o.parameter().and_then(|p| p.value()).map(str::to_string))
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|at| now() - at > MARKER_STALE_MS);
        if stale {
            delete(client, &marker).await?;
        }
        return Ok(false);
    }
    let result = async {
        if read(client, name).await?.is_some_and(|h| h.token == token) {
            if now() - since >= MARKER_WORK_MS {
                return Err(AwsError::new(
                    "ssm:DeleteParameter",
                    ErrorKind::Transient,
                    format!("gave up deleting the lock {name}: SSM answered too slowly"),
                ));
            }
            delete(client, name).await?;
        }
        Ok(true)
    }
    .await;
    let cleanup = delete(client, &marker).await;
    let done = result?;
    cleanup?;
    Ok(done)
}

/// Takes the lock, or says who holds it.
pub async fn acquire(
    client: &aws_sdk_ssm::Client,
    name: &str,
    me: &LockHolder,
    now: fn() -> i64,
) -> Result<Acquire, AwsError> {
    let value = serde_json::to_string(me).unwrap_or_default();
    let mut last_seen = None;
    for attempt in 0..8u32 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
        }
        if create(client, name, &value).await? {
            return Ok(Acquire::Acquired(Lock {
                name: name.to_string(),
                token: me.token.clone(),
            }));
        }
        match read(client, name).await? {
            // Ours: a retried PutParameter whose first attempt went through.
            Some(h) if h.token == me.token => {
                return Ok(Acquire::Acquired(Lock {
                    name: name.to_string(),
                    token: me.token.clone(),
                }));
            }
            Some(h) if h.expires > now() => return Ok(Acquire::Held(h)),
            // Expired: its holder died. Exactly one taker deletes it; then
            // everyone tries to create again.
            Some(h) => {
                delete_if_held_by(client, name, &h.token, now).await?;
                last_seen = Some(h);
            }
            // Released meanwhile: try again.
            None => {}
        }
    }
    match last_seen {
        Some(h) => Ok(Acquire::Held(h)),
        None => Err(AwsError::new(
            "ssm:PutParameter",
            ErrorKind::Other,
            format!("could not take the lock {name}: it kept changing hands"),
        )),
    }
}

/// Renews the lease: the lock now says `holder` (its token, a later expiry).
/// `Ok(false)` when the lock is no longer this holder's (it was taken over or
/// removed), or another process is deleting it right now.
pub async fn renew(
    client: &aws_sdk_ssm::Client,
    lock: &Lock,
    holder: &LockHolder,
    now: fn() -> i64,
) -> Result<bool, AwsError> {
    let marker = marker_name(&lock.name, &lock.token);
    let since = now();
    if !create(client, &marker, &since.to_string()).await? {
        return Ok(false);
    }
    let result = async {
        let ours = read(client, &lock.name)
            .await?
            .is_some_and(|h| h.token == lock.token);
        if !ours || now() - since >= MARKER_WORK_MS {
            return Ok(false);
        }
        client
            .put_parameter()
            .name(&lock.name)
            .value(serde_json::to_string(holder).unwrap_or_default())
            .r#type(ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .map_err(aws_err("ssm:PutParameter"))?;
        Ok(true)
    }
    .await;
    let cleanup = delete(client, &marker).await;
    let renewed = result?;
    cleanup?;
    Ok(renewed)
}

/// Removes the lock whoever holds it, and its release marker if one was left
/// behind (`sidecarctl unlock`, a deliberate act); returns whose it was.
pub async fn remove(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<Option<LockHolder>, AwsError> {
    let Some(h) = read(client, name).await? else {
        return Ok(None);
    };
    delete(client, name).await?;
    delete(client, &marker_name(name, &h.token)).await?;
    Ok(Some(h))
}

/// Releases the lock if it is still ours.
pub async fn release(
    client: &aws_sdk_ssm::Client,
    lock: &Lock,
    now: fn() -> i64,
) -> Result<(), AwsError> {
    for _ in 0..3 {
        if delete_if_held_by(client, &lock.name, &lock.token, now).await? {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(AwsError::new(
        "ssm:DeleteParameter",
        ErrorKind::Other,
        format!("could not release the lock {}", lock.name),
    ))
}

/// A fresh lock token, unique to one deploy.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().to_string()
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
