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
//! may delete the lock with that token, after reading it back unchanged. Two
//! deploys that see the same expired holder therefore cannot both delete it, a
//! takeover never deletes a lease its holder renewed meanwhile, and a release
//! or takeover never deletes a lock someone else took in between. A marker
//! left by a process killed inside that short section goes stale after
//! [`MARKER_STALE_MS`] and is then removed.
//!
//! Others act on a lock only once its lease has run out, so a holder that
//! releases well before then needs no marker: it reads the lock back and
//! deletes it, two round trips instead of four.
//!
//! A delete of the lock is never resent blindly: one whose answer was lost
//! may have gone through, and a resend could delete a lock another deploy
//! took since. The lock is read back before each further attempt.

use aws_sdk_ssm::types::ParameterType;

use super::{AwsError, ErrorKind, Found, aws_err, ssm_value};
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
/// A holder whose lease has at least this long to run releases without the
/// marker: no other deploy acts on the lock before the lease runs out,
/// allowing for clocks this far apart.
const QUICK_RELEASE_MARGIN_MS: i64 = 30_000;

/// The parameter that locks a service: by application, environment and
/// service, so that it is known before any read (the cluster and the ECS
/// service's name may come from Copilot's stacks).
pub fn lock_name(app: &str, env: &str, service: &str) -> String {
    format!("/sidecarctl/locks/{app}/{env}/{service}")
}

fn marker_name(lock: &str, token: &str) -> String {
    format!("{lock}.release-{token}")
}

/// Who holds the lock, if anyone.
pub async fn read(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<Option<LockHolder>, AwsError> {
    Ok(ssm_value(client, name)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok()))
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

/// Deletes the lock while it is still the one `meant` names, never retrying
/// blindly. A DeleteParameter whose answer was lost may have gone through,
/// and another deploy may have created a new lock since: a blind retry (the
/// SDK's) would delete theirs. So each attempt goes out once, and before the
/// next the lock is read again; if it is no longer the one meant, it was
/// deleted and this is done.
async fn delete_lock(
    client: &aws_sdk_ssm::Client,
    name: &str,
    meant: impl Fn(&LockHolder) -> bool,
    deadline: Option<i64>,
    now: fn() -> i64,
) -> Result<(), AwsError> {
    let once = aws_sdk_ssm::config::Config::builder()
        .retry_config(aws_config::retry::RetryConfig::disabled());
    let mut attempt = 0u32;
    loop {
        if deadline.is_some_and(|d| now() >= d) {
            return Err(AwsError::new(
                "ssm:DeleteParameter",
                ErrorKind::Transient,
                format!("gave up deleting the lock {name}: SSM answered too slowly"),
            ));
        }
        let sent = client
            .delete_parameter()
            .name(name)
            .customize()
            .config_override(once.clone())
            .send()
            .await
            .map_err(aws_err("ssm:DeleteParameter"))
            .found();
        match sent {
            Ok(_) => return Ok(()),
            Err(e) if attempt < 4 && e.is_retryable() => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                if !read(client, name).await?.is_some_and(|h| meant(&h)) {
                    return Ok(());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Deletes the lock if it still holds `token` and `unchanged` says it is as it
/// was, with the exclusive right to do so (the release marker). `Ok(false)`
/// when someone else holds that right.
async fn delete_if_held_by(
    client: &aws_sdk_ssm::Client,
    name: &str,
    token: &str,
    unchanged: impl Fn(&LockHolder) -> bool,
    now: fn() -> i64,
) -> Result<bool, AwsError> {
    let marker = marker_name(name, token);
    let since = now();
    if !create(client, &marker, &since.to_string()).await? {
        // Someone holds it; if they died inside, remove their stale marker.
        let stale = ssm_value(client, &marker)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|at| now() - at > MARKER_STALE_MS);
        if stale {
            delete(client, &marker).await?;
        }
        return Ok(false);
    }
    let result = async {
        let meant = |h: &LockHolder| h.token == token && unchanged(h);
        if read(client, name).await?.is_some_and(|h| meant(&h)) {
            delete_lock(client, name, meant, Some(since + MARKER_WORK_MS), now).await?;
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
                delete_if_held_by(client, name, &h.token, |now_h| *now_h == h, now).await?;
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

/// Releases the lock if it is still ours. `expires` is when the lease this
/// holder last wrote runs out, or `None` when it may have lost the lock.
pub async fn release(
    client: &aws_sdk_ssm::Client,
    lock: &Lock,
    expires: Option<i64>,
    now: fn() -> i64,
) -> Result<(), AwsError> {
    if expires.is_some_and(|e| now() + QUICK_RELEASE_MARGIN_MS < e) {
        let ours = |h: &LockHolder| h.token == lock.token;
        if read(client, &lock.name).await?.is_some_and(|h| ours(&h)) {
            delete_lock(client, &lock.name, ours, None, now).await?;
        }
        return Ok(());
    }
    for _ in 0..3 {
        if delete_if_held_by(client, &lock.name, &lock.token, |_| true, now).await? {
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
