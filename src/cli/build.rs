//! `sidecarctl build`, and the build stage `deploy` runs first: the images a
//! manifest builds, built and pushed (or found), then pinned in the service.

use std::io::IsTerminal;

use super::args::{BuildArgs, GlobalArgs};
use super::load::{Loaded, load_for_env, workspace_root};
use super::output::print_data;
use super::{connect, print_diagnostics, runtime};
use crate::aws::Aws;
use crate::build::engine::Engine;
use crate::build::{BuildError, Image, Request, build_and_push};
use crate::exit::Exit;
use crate::manifest::{At, Service};
use crate::term::Status;

/// What the build stage needs to know beyond the manifest.
pub struct Settings<'a> {
    pub tag: Option<&'a str>,
    pub engine: Option<Engine>,
    pub dry_run: bool,
    pub pin: bool,
}

/// Builds (or finds) the service's images, the builders' output on
/// `status`: the latest line live on a terminal, every line prefixed by its
/// container elsewhere; a line per image when it is done.
pub async fn images(
    aws: &Aws,
    loaded: &Loaded,
    settings: &Settings<'_>,
    status: &mut Status,
) -> Result<Vec<Image>, BuildError> {
    let root = workspace_root(&loaded.target);
    let req = Request {
        app: &loaded.target.app,
        svc: &loaded.service,
        root: &root,
        tag: settings.tag,
        engine: settings.engine,
        dry_run: settings.dry_run,
        pin: settings.pin,
    };
    if crate::build::specs(req.svc, req.root).is_empty() {
        return Ok(Vec::new());
    }
    status.set("images: hashing the build inputs, reading the repository");
    let live = std::io::stderr().is_terminal();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let work = build_and_push(aws, &req, tx);
    tokio::pin!(work);
    let result = loop {
        tokio::select! {
            r = &mut work => break r,
            Some((container, line)) = rx.recv() => show(status, live, &container, &line),
        }
    };
    while let Ok((container, line)) = rx.try_recv() {
        show(status, live, &container, &line);
    }
    let images = result?;
    for i in &images {
        let took = i.seconds.map(|s| format!(" in {s}s")).unwrap_or_default();
        status.line(&format!(
            "image of {}: {}{took} ({})",
            i.container, i.how, i.image
        ));
    }
    Ok(images)
}

fn show(status: &mut Status, live: bool, container: &str, line: &str) {
    if live {
        status.set(&format!("building {container}: {line}"));
    } else {
        status.line(&format!("{container} | {line}"));
    }
}

/// The service with each built container's image pinned as pushed.
pub fn pinned(svc: &Service, images: &[Image]) -> Service {
    let mut svc = svc.clone();
    for i in images {
        if i.container == svc.name.value {
            let pos = svc
                .image
                .build
                .as_ref()
                .map(|b| b.pos)
                .unwrap_or(svc.image.pos);
            svc.image.location = Some(At::new(i.image.clone(), pos, "image.build"));
        } else if let Some(sc) = svc.sidecars.get_mut(&i.container) {
            let pos = sc.build.as_ref().map_or(sc.name.pos, |b| b.pos);
            sc.image = Some(At::new(
                i.image.clone(),
                pos,
                format!("sidecars.{}.image.build", i.container),
            ));
        }
    }
    svc
}

pub fn run(args: &BuildArgs, global: &GlobalArgs) -> Exit {
    let loaded = match load_for_env(&args.target, args.strict.strict) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d, global);
            return Exit::Invalid;
        }
    };
    print_diagnostics(&loaded.diags, global);
    let palette = global.color.for_stderr();
    let settings = Settings {
        tag: args.image_tag.as_deref(),
        engine: args.builder.engine(),
        dry_run: false,
        pin: true,
    };
    let built = runtime().block_on(async {
        let aws = connect(global)
            .await
            .map_err(|e| (super::connect_failed(&e), e.to_string()))?;
        let mut status = Status::new(std::io::stderr().is_terminal(), palette);
        let r = images(&aws, &loaded, &settings, &mut status).await;
        status.finish();
        r.map_err(|e| (Exit::Failure, e.to_string()))
    });
    match built {
        Ok(images) => {
            if args.output.json() {
                let doc = serde_json::json!({
                    "app": loaded.target.app,
                    "service": loaded.service.name.value,
                    "images": images,
                });
                print_data(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                ));
            } else {
                for i in &images {
                    print_data(&format!("{}\t{}\n", i.container, i.image));
                }
            }
            Exit::Ok
        }
        Err((code, message)) => {
            eprintln!("{}: {message}", palette.error("error"));
            if args.output.json() {
                print_data(&format!(
                    "{}\n",
                    serde_json::json!({"outcome": "error", "error": message})
                ));
            }
            code
        }
    }
}
