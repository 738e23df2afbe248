//! The deploy lock as a lease: taken once, renewed while the deploy works, so
//! that a deploy killed outright frees it within one lease (a minute by
//! default) instead of blocking everyone for the length of a rollout.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::aws::lock::{self, Acquire, Lock, lock_name, new_token, whoami};
use crate::aws::{Aws, AwsError};
use crate::clock::now_ms;
use crate::state::LockHolder;

/// The lock while this deploy holds it.
pub struct Lease {
    lock: Lock,
    /// When the lease last written runs out (epoch ms); 0 once the renewer
    /// found the lock no longer this deploy's.
    expires: Arc<AtomicI64>,
    stop: CancellationToken,
    renewer: tokio::task::JoinHandle<()>,
}

/// What trying to take the lock found.
pub enum Taken {
    Yes(Lease),
    /// Another live deploy holds it.
    Held(LockHolder),
    Failed(AwsError),
}

/// Takes the lock of a service for a lease of `lease`.
pub async fn take(aws: &Aws, app: &str, env: &str, service: &str, lease: Duration) -> Taken {
    let now = now_ms();
    let me = LockHolder {
        owner: whoami(),
        token: new_token(),
        since: now,
        expires: now + lease.as_millis() as i64,
    };
    match lock::acquire(&aws.ssm, &lock_name(app, env, service), &me, now_ms).await {
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
        let expires = Arc::new(AtomicI64::new(holder.expires));
        let written = expires.clone();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let renewer = tokio::spawn(async move {
            loop {
                // Stopped between renewals only: a renewal cut short would
                // leave its release marker behind.
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = stopped.cancelled() => return,
                }
                holder.expires = now_ms() + lease.as_millis() as i64;
                match lock::renew(&ssm, &held, &holder, now_ms).await {
                    Ok(true) => {
                        written.store(holder.expires, Ordering::SeqCst);
                        tracing::debug!(lock = %held.name, "lease renewed");
                    }
                    Ok(false) => {
                        written.store(0, Ordering::SeqCst);
                        tracing::warn!(lock = %held.name, "the deploy lock is no longer this deploy's");
                        return;
                    }
                    // Tried again at the next quarter; the lease lasts four.
                    Err(e) => tracing::debug!(error = %e, "could not renew the lease"),
                }
            }
        });
        Lease {
            lock,
            expires,
            stop,
            renewer,
        }
    }

    /// Stops renewing and deletes the lock.
    pub async fn release(self, aws: &Aws) -> Result<(), AwsError> {
        self.stop.cancel();
        let _ = self.renewer.await;
        let expires = Some(self.expires.load(Ordering::SeqCst)).filter(|e| *e > 0);
        lock::release(&aws.ssm, &self.lock, expires, now_ms).await
    }

    /// The lock's parameter.
    pub fn name(&self) -> &str {
        &self.lock.name
    }
}
