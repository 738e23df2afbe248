//! `sidecarctl unlock`: removes a service's deploy lock on purpose.

use super::args::{GlobalArgs, LockArgs};
use super::load::load_for_env;
use super::output::print_data;
use super::{connect, print_diagnostics, runtime};
use crate::aws::lock::{self, lock_name};
use crate::clock::{now_ms, rfc3339_ms};
use crate::exit::Exit;

pub fn run(args: &LockArgs, global: &GlobalArgs) -> Exit {
    let loaded = match load_for_env(&args.target, false) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d, global);
            return Exit::Invalid;
        }
    };
    let name = crate::deploy::service_name(&loaded.service);
    let parameter = lock_name(&loaded.target.app, args.target.env(), &name);
    let removed = runtime().block_on(async {
        let aws = connect(global).await?;
        lock::remove(&aws.ssm, &parameter).await
    });
    let p = global.color.for_stderr();
    let holder = match removed {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{}: {e}", p.error("error"));
            return super::connect_failed(&e);
        }
    };
    if args.output.json() {
        let doc = serde_json::json!({
            "service": name,
            "app": loaded.target.app,
            "env": args.target.env(),
            "parameter": parameter,
            "removed": holder.as_ref().map(|h| serde_json::json!({
                "holder": h.owner,
                "since": rfc3339_ms(h.since),
                "expires": rfc3339_ms(h.expires),
            })),
        });
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
        return Exit::Ok;
    }
    match holder {
        Some(h) => eprintln!(
            "{} removed the deploy lock of {name} in {}: it was {}'s, since {}{}",
            p.success("✓"),
            args.target.env(),
            h.owner,
            rfc3339_ms(h.since),
            if h.expires <= now_ms() {
                " (its lease had run out)"
            } else {
                ""
            }
        ),
        None => eprintln!(
            "{name} in {} has no deploy lock: nothing to remove",
            args.target.env()
        ),
    }
    Exit::Ok
}
