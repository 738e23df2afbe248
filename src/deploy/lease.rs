//! The deploy lock as a lease: taken once, renewed while the deploy works, so
//! that a deploy killed outright frees it within one lease (a minute by
//! default) instead of blocking everyone for the length of a rollout.

use std::time::Duration;

use crate::aws::lock::{self, Acquire, Lock, lock_name, new_token, whoami};
use crate::aws::{Aws, AwsError};
use crate::clock::now_ms;
use crate::state::LockHolder;

/// The lock while this deploy holds it.
pub struct Lease {
    lock: Lock,
    renewer: tokio::task::JoinHandle<()>,
}

/// What trying to take the lock found.
pub enum Taken {
    Yes(Lease),
    /// Another live deploy holds it.
    Held(LockHolder),
    Failed(AwsError),
}

/// Takes the lock of `service` in `cluster` for a lease of `lease`.
pub async fn take(aws: &Aws, cluster: &str, service: &str, lease: Duration) -> Taken {
    let now = now_ms();
    let me = LockHolder {
        owner: whoami(),
        token: new_token(),
        since: now,
        expires: now + lease.as_millis() as i64,
    };
    match lock::acquire(&aws.ssm, &lock_name(cluster, service), &me, now_ms).await {
        Ok(Acquire::Acquired(l)) => Taken::Yes(Lease::keep(aws.ssm.clone(), l, me, lease)),
        Ok(Acquire::Held(h)) => Taken::Held(h),
        Err(e) => Taken::Failed(e),
    }
}

impl Lease {
    /// Renews the lease every quarter of it, in the background.
    fn keep(
        ssm: aws_sdk_ssm::Client,
        lock: Lock,
        mut holder: LockHolder,
        lease: Duration,
    ) -> Lease {
        let every = lease / 4;
        let held = lock.clone();
        let renewer = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                holder.expires = now_ms() + lease.as_millis() as i64;
                match lock::renew(&ssm, &held, &holder, now_ms).await {
                    Ok(true) => tracing::debug!(lock = %held.name, "lease renewed"),
                    Ok(false) => {
                        tracing::warn!(lock = %held.name, "the deploy lock is no longer this deploy's");
                        return;
                    }
                    // Tried again at the next quarter; the lease lasts four.
                    Err(e) => tracing::debug!(error = %e, "could not renew the lease"),
                }
            }
        });
        Lease { lock, renewer }
    }

    /// Stops renewing and deletes the lock.
    pub async fn release(self, aws: &Aws) -> Result<(), AwsError> {
        self.renewer.abort();
        let _ = self.renewer.await;
        lock::release(&aws.ssm, &self.lock, now_ms).await
    }

    /// The lock's parameter.
    pub fn name(&self) -> &str {
        &self.lock.name
    }
}
