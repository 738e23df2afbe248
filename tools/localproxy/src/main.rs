//! sidecarctl-localproxy: sits between sidecarctl and a local AWS emulator.
//!
//! The emulator stores what it is told but never moves an ECS deployment on,
//! and never fails. This proxy forwards every request and
//! - plays rollouts: DescribeServices answers show each deployment progress to
//!   COMPLETED (or FAILED, or stuck IN_PROGRESS) over `--rollout-ms`, and
//!   ListTasks and DescribeTasks show the tasks each deployment runs, and
//!   DescribeTargetHealth shows them healthy in the target groups their
//!   deployment registers in (a new task definition or new load balancer
//!   entries start a deployment, as in ECS);
//! - injects faults by operation: throttling, 500 and 503 answers, connections
//!   reset before or after the request is carried out, slow answers;
//! - counts requests by operation and records when each started and ended;
//! - gives the emulator what AWS guarantees and it does not: SSM's
//!   create-if-absent (PutParameter without overwrite) is atomic;
//! - applies Cloud Map's ListServices namespace filter, which the emulator
//!   ignores;
//! - keeps the service settings the emulator drops (`enableExecuteCommand`,
//!   `healthCheckGracePeriodSeconds`, `deploymentConfiguration`,
//!   `serviceConnectConfiguration` on the primary deployment)
//!   and shows them in CreateService, UpdateService and DescribeServices
//!   answers.
//!
//! - plays CloudFormation where the emulator differs from AWS (see `cfn`):
//!   ListImports, the DELETE_FAILED of a stack whose export is imported,
//!   LastUpdatedTime, and on request change sets that find nothing to change.
//!
//! It is controlled over HTTP on the same port:
//!   GET  /_sim/stats      {"counts": {"ecs:DescribeServices": 3, ...}, "injected": {...}, "total": N, "log": [...]}
//!   POST /_sim/reset      clear counts, log and faults
//!   POST /_sim/faults     [{"op": "ecs:RegisterTaskDefinition", "kind": "throttle", "times": 2}, ...]
//!   POST /_sim/rollouts   {"durationMs": 500, "outcomes": ["fail", "fail-late", "complete", "hang"]}
//!   POST /_sim/cfn        {"emptyChangeSets": true}

mod cfn;
mod faults;
mod livetail;
mod ops;
mod registry;
mod rollout;
mod runs;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use faults::{Faults, Kind};
use ops::Protocol;
use rollout::Rollouts;

#[derive(Parser, Debug)]
#[command(about = "Rollout simulator and fault injector in front of a local AWS emulator")]
struct Args {
    /// The emulator, e.g. http://127.0.0.1:5000
    #[arg(long)]
    upstream: String,
    /// Port to listen on (127.0.0.1); 0 picks a free one
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// How long a simulated rollout takes
    #[arg(long, default_value_t = 3000)]
    rollout_ms: u64,
    /// Write the endpoint here once listening
    #[arg(long)]
    endpoint_file: Option<String>,
    /// Exit when this process is gone
    #[arg(long)]
    watch_pid: Option<u32>,
    /// An OCI registry (e.g. http://127.0.0.1:5000) to serve as ECR's
    /// registry endpoint, behind ECR's credentials
    #[arg(long)]
    registry: Option<String>,
}

#[derive(serde::Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct LogEntry {
    op: String,
    /// The ECS service or task definition family the request is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    start_ms: f64,
    end_ms: f64,
    status: u16,
}

struct State {
    started: Instant,
    counts: std::collections::BTreeMap<String, u64>,
    /// Faults injected, by operation.
    injected: std::collections::BTreeMap<String, u64>,
    log: Vec<LogEntry>,
    faults: Faults,
    rollouts: Rollouts,
    /// `enableExecuteCommand` by service ARN, as last set.
    exec: std::collections::BTreeMap<String, bool>,
    /// `healthCheckGracePeriodSeconds` by service ARN, as last set.
    grace: std::collections::BTreeMap<String, i64>,
    /// `serviceConnectConfiguration` by service ARN, as last set.
    connect: std::collections::BTreeMap<String, Value>,
    /// `deploymentConfiguration` by service ARN, as last set.
    deployment_config: std::collections::BTreeMap<String, Value>,
    cfn: cfn::Cfn,
    /// One-off tasks (RunTask), stopped as configured.
    runs: runs::Runs,
    /// The registry tokens GetAuthorizationToken handed out.
    registry_tokens: std::collections::BTreeSet<String>,
    /// The region ECR was asked in (for recording pushes).
    ecr_region: Option<String>,
    /// How emulated Live Tail sessions behave.
    livetail: livetail::Settings,
}

struct Shared {
    upstream: String,
    /// The registry behind the proxy, and the proxy's own endpoint.
    registry: Option<String>,
    endpoint: String,
    state: Mutex<State>,
    /// SSM's PutParameter without overwrite is atomic in AWS (two creates of
    /// one name: exactly one succeeds); moto checks, then inserts, and two
    /// requests at once can both succeed. Forwarding them one at a time
    /// gives the emulator AWS's guarantee, which sidecarctl's lock relies on.
    ssm_writes: tokio::sync::Mutex<()>,
}

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, headers: &[(&str, String)], body: impl Into<Bytes>) -> Resp {
    let mut r = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    r.body(Full::new(body.into())).expect("a valid response")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let upstream = args.upstream.trim_end_matches('/').to_string();
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port)))
        .await
        .expect("bind 127.0.0.1");
    let endpoint = format!("http://{}", listener.local_addr().expect("a local address"));
    let shared = Arc::new(Shared {
        upstream,
        registry: args
            .registry
            .as_ref()
            .map(|r| r.trim_end_matches('/').to_string()),
        endpoint: endpoint.clone(),
        state: Mutex::new(State {
            started: Instant::now(),
            counts: Default::default(),
            injected: Default::default(),
            log: Vec::new(),
            faults: Faults::default(),
            rollouts: Rollouts::new(Duration::from_millis(args.rollout_ms)),
            exec: Default::default(),
            grace: Default::default(),
            connect: Default::default(),
            deployment_config: Default::default(),
            cfn: cfn::Cfn::default(),
            runs: Default::default(),
            registry_tokens: Default::default(),
            ecr_region: None,
            livetail: Default::default(),
        }),
        ssm_writes: tokio::sync::Mutex::new(()),
    });
    if let Some(f) = &args.endpoint_file {
        let tmp = format!("{f}.tmp");
        std::fs::write(&tmp, format!("{endpoint}\n"))
            .and_then(|_| std::fs::rename(&tmp, f))
            .expect("write the endpoint file");
    }
    println!("{endpoint}");
    if let Some(pid) = args.watch_pid {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                    std::process::exit(0);
                }
            }
        });
    }
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| serve(req, shared.clone()));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// A response: whole, or a stream that stays open (Live Tail's).
type Body = http_body_util::Either<
    Full<Bytes>,
    http_body_util::channel::Channel<Bytes, std::convert::Infallible>,
>;

async fn serve(req: Request<Incoming>, shared: Arc<Shared>) -> Result<Response<Body>, Dropped> {
    let live = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.ends_with(".StartLiveTail"));
    if live {
        return Ok(live_tail(req, shared).await);
    }
    handle(req, shared)
        .await
        .map(|r| r.map(http_body_util::Either::Left))
}

/// StartLiveTail, emulated (see [`livetail`]).
async fn live_tail(req: Request<Incoming>, shared: Arc<Shared>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let settings = {
        let mut st = shared.state.lock().unwrap();
        *st.counts.entry("logs:StartLiveTail".into()).or_default() += 1;
        let at = st.started.elapsed().as_secs_f64() * 1000.0;
        let status = if st.livetail.fail { 400 } else { 200 };
        st.log.push(LogEntry {
            op: "logs:StartLiveTail".into(),
            target: None,
            start_ms: at,
            end_ms: at,
            status,
        });
        st.livetail.clone()
    };
    if settings.fail {
        let (status, headers, body) = ops::error_body(
            Protocol::Json,
            400,
            "AccessDeniedException",
            "StartLiveTail refused (simulated by sidecarctl-localproxy)",
        );
        return respond(status, &headers, body).map(http_body_util::Either::Left);
    }
    let request = livetail::Request::parse(&body);
    let (mut tx, rx) = http_body_util::channel::Channel::<Bytes, std::convert::Infallible>::new(8);
    tokio::spawn(async move {
        let mut session = livetail::Session::new();
        let start = livetail::event(
            "sessionStart",
            &json!({
                "requestId": "sidecarctl-localproxy",
                "sessionId": format!("session-{}", session.started_ms),
                "logGroupIdentifiers": request.groups.iter().map(|g| &g.0).collect::<Vec<_>>(),
                "logStreamNamePrefixes": request.prefixes,
            }),
        );
        if tx.send_data(start).await.is_err() {
            return;
        }
        let began = Instant::now();
        loop {
            tokio::time::sleep(settings.update).await;
            let mut read = Vec::new();
            for (asked, name) in &request.groups {
                let events =
                    ingested_events(&shared, &parts, name, session.started_ms - 600_000).await;
                read.push((asked.clone(), events));
            }
            let update = session.update(&read, &request.prefixes, &settings);
            if tx
                .send_data(livetail::event("sessionUpdate", &update))
                .await
                .is_err()
            {
                return;
            }
            if began.elapsed() >= settings.session {
                let end = livetail::exception(
                    "SessionTimeoutException",
                    "the session timed out (simulated by sidecarctl-localproxy)",
                );
                let _ = tx.send_data(end).await;
                return;
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/vnd.amazon.eventstream")
        .header("x-amzn-requestid", "sidecarctl-localproxy")
        .body(http_body_util::Either::Right(rx))
        .expect("a valid response")
}

/// Every event of `group` from `start` on, as the emulator's
/// FilterLogEvents answers (with ingestion times), paging to the end.
async fn ingested_events(shared: &Shared, parts: &Parts, group: &str, start: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"logGroupName": group, "startTime": start, "interleaved": true});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let mut req = Request::builder().method("POST").uri("/");
        for (k, v) in &parts.headers {
            if !["content-length", "content-type", "x-amz-target", "host"].contains(&k.as_str()) {
                req = req.header(k, v);
            }
        }
        let Ok(req) = req
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "Logs_20140328.FilterLogEvents")
            .body(())
        else {
            return out;
        };
        let (p, _) = req.into_parts();
        let Ok((rparts, rbody)) = forward(shared, &p, Bytes::from(body.to_string())).await else {
            return out;
        };
        if !rparts.status.is_success() {
            return out;
        }
        let v: Value = serde_json::from_slice(&rbody).unwrap_or_default();
        out.extend(v["events"].as_array().cloned().unwrap_or_default());
        match v["nextToken"].as_str() {
            Some(t) if token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => return out,
        }
    }
}

/// The error a connection reset turns into: hyper closes the connection unanswered.
#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}
impl std::error::Error for Dropped {}

async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Result<Resp, Dropped> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if parts.uri.path().starts_with("/_sim/") {
        return Ok(control(&parts, &body, &shared));
    }
    if parts.uri.path().starts_with("/v2")
        && let Some(registry) = &shared.registry
    {
        return Ok(registry_request(&shared, registry, &parts, body).await);
    }
    let (op, protocol) = ops::identify(&parts, &body);
    if op == "ecr:GetAuthorizationToken" {
        shared.state.lock().unwrap().ecr_region = ops::signing_region(&parts);
    }
    let target = ops::target(&body);
    let (start, fault) = {
        let mut st = shared.state.lock().unwrap();
        *st.counts.entry(op.clone()).or_default() += 1;
        let fault = st.faults.take(&op);
        if fault.is_some() {
            *st.injected.entry(op.clone()).or_default() += 1;
        }
        (st.started.elapsed(), fault)
    };
    let finish = |status: u16| {
        let mut st = shared.state.lock().unwrap();
        let end = st.started.elapsed();
        st.log.push(LogEntry {
            op: op.clone(),
            target: target.clone(),
            start_ms: start.as_secs_f64() * 1000.0,
            end_ms: end.as_secs_f64() * 1000.0,
            status,
        });
    };
    let injected = |status: u16, code: &str, message: &str| {
        let (status, headers, body) = ops::error_body(protocol, status, code, message);
        respond(status, &headers, body)
    };
    let throttle_code = if protocol == Protocol::Query {
        "Throttling"
    } else {
        "ThrottlingException"
    };
    match fault {
        Some((Kind::Throttle, _)) => {
            finish(400);
            return Ok(injected(400, throttle_code, "Rate exceeded (injected)"));
        }
        Some((Kind::Error500, _)) => {
            finish(500);
            let code = if protocol == Protocol::Json && op.starts_with("ecs:") {
                "ServerException"
            } else {
                "InternalFailure"
            };
            return Ok(injected(500, code, "injected server error"));
        }
        Some((Kind::Error503, _)) => {
            finish(503);
            return Ok(injected(
                503,
                "ServiceUnavailable",
                "injected: service unavailable",
            ));
        }
        Some((Kind::Reset, _)) => {
            finish(0);
            return Err(Dropped);
        }
        Some((Kind::Slow, ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some((Kind::ResetAfter, _)) | None => {}
    }
    if op == "elasticloadbalancing:DescribeTargetHealth"
        && let Some(xml) = target_health(&shared, &body)
    {
        finish(200);
        return Ok(respond(200, &[("content-type", "text/xml".into())], xml));
    }
    if op.starts_with("cloudformation:")
        && let Some((status, xml)) = cloudformation_before(&shared, &parts, &op, &body).await
    {
        finish(status);
        return Ok(respond(status, &[("content-type", "text/xml".into())], xml));
    }
    let one_at_a_time = if op == "ssm:PutParameter" {
        Some(shared.ssm_writes.lock().await)
    } else {
        None
    };
    let upstream = forward(&shared, &parts, body.clone()).await;
    drop(one_at_a_time);
    let upstream = match upstream {
        Ok(r) => r,
        Err(e) => {
            finish(502);
            return Ok(respond(
                502,
                &[("content-type", "text/plain".into())],
                format!("upstream: {e}"),
            ));
        }
    };
    let (mut uparts, ubody) = upstream;
    let mut ubody = ubody;
    if uparts.status == StatusCode::OK && protocol == Protocol::Json {
        ubody = simulate(&shared, &op, &body, ubody);
    }
    if uparts.status == StatusCode::OK && op.starts_with("cloudformation:") {
        ubody = cloudformation_after(&shared, &op, &body, ubody);
    }
    if matches!(fault, Some((Kind::ResetAfter, _))) {
        finish(0);
        return Err(Dropped);
    }
    finish(uparts.status.as_u16());
    uparts.headers.remove("transfer-encoding");
    uparts.headers.insert("content-length", ubody.len().into());
    Ok(Response::from_parts(uparts, Full::new(ubody)))
}

/// A request's form parameter.
fn form_param(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// CloudFormation requests the proxy answers itself (`cfn`): ListImports,
/// and DeleteStack of a stack whose export is imported.
async fn cloudformation_before(
    shared: &Shared,
    parts: &hyper::http::request::Parts,
    op: &str,
    body: &[u8],
) -> Option<(u16, Bytes)> {
    match op {
        "cloudformation:CreateChangeSet" => {
            let stack = form_param(body, "StackName")?;
            let name = form_param(body, "ChangeSetName")?;
            let exists = shared
                .state
                .lock()
                .unwrap()
                .cfn
                .change_set_exists(&stack, &name);
            exists.then(|| {
                let (status, _, xml) = ops::error_body(
                    ops::Protocol::Query,
                    400,
                    "AlreadyExistsException",
                    &format!("ChangeSet {name} already exists"),
                );
                (status, Bytes::from(xml))
            })
        }
        "cloudformation:ListImports" => {
            let export = form_param(body, "ExportName")?;
            let templates = all_templates(shared, parts).await.ok()?;
            let found = cfn::importers(&export, &templates);
            let (status, xml) = cfn::list_imports_answer(&export, &found);
            Some((status, Bytes::from(xml)))
        }
        "cloudformation:DeleteStack" => {
            let stack = form_param(body, "StackName")?;
            let described = query(
                shared,
                parts,
                &[("Action", "DescribeStacks"), ("StackName", &stack)],
            )
            .await
            .ok()?;
            let name = cfn::tag(&described, "StackName")?.to_string();
            let exports: Vec<String> = cfn::list_members(&described, "Outputs")
                .iter()
                .filter_map(|m| cfn::tag(m, "ExportName").map(cfn::unescape))
                .collect();
            let templates = all_templates(shared, parts).await.ok()?;
            let others: Vec<(String, String)> =
                templates.into_iter().filter(|(n, _)| *n != name).collect();
            let in_use: Vec<String> = exports
                .iter()
                .filter_map(|e| {
                    let by = cfn::importers(e, &others);
                    (!by.is_empty()).then(|| {
                        format!(
                            "Export {e} cannot be deleted as it is in use by {}",
                            by.join(", ")
                        )
                    })
                })
                .collect();
            let mut st = shared.state.lock().unwrap();
            if in_use.is_empty() {
                st.cfn.clear_delete_failed(&name);
                return None;
            }
            st.cfn.mark_delete_failed(&name, in_use.join("; "));
            Some((200, cfn::delete_stack_answer()))
        }
        _ => None,
    }
}

/// CloudFormation answers as AWS gives them (`cfn`).
fn cloudformation_after(shared: &Shared, op: &str, request: &[u8], response: Bytes) -> Bytes {
    let text = String::from_utf8_lossy(&response);
    let mut st = shared.state.lock().unwrap();
    match op {
        "cloudformation:DescribeStacks" => Bytes::from(st.cfn.describe_stacks(&text)),
        "cloudformation:DescribeChangeSet" => st
            .cfn
            .describe_change_set(&text)
            .map(Bytes::from)
            .unwrap_or(response),
        "cloudformation:CreateChangeSet" => {
            if let (Some(id), Some(stack)) = (cfn::tag(&text, "Id"), cfn::tag(&text, "StackId")) {
                st.cfn.remember_change_set(id, stack);
                if let (Some(s), Some(n)) = (
                    form_param(request, "StackName"),
                    form_param(request, "ChangeSetName"),
                ) {
                    st.cfn.remember_named(&s, &n, id);
                }
            }
            response
        }
        "cloudformation:DeleteChangeSet" => {
            if let Some(n) = form_param(request, "ChangeSetName") {
                st.cfn.forget_change_set(&n);
            }
            response
        }
        "cloudformation:UpdateStack" | "cloudformation:ExecuteChangeSet" => {
            if let Some(n) = form_param(request, "ChangeSetName") {
                st.cfn.forget_change_set(&n);
            }
            let stack = form_param(request, "StackName")
                .or_else(|| cfn::tag(&text, "StackId").map(str::to_string))
                .or_else(|| {
                    form_param(request, "ChangeSetName").and_then(|c| st.cfn.change_set_stack(&c))
                });
            if let Some(stack) = stack {
                st.cfn.mark_updated(&stack, cfn::now_rfc3339());
            }
            response
        }
        _ => response,
    }
}

/// Every live stack's name and template, read from the emulator.
async fn all_templates(
    shared: &Shared,
    parts: &hyper::http::request::Parts,
) -> Result<Vec<(String, String)>, String> {
    let listed = query(shared, parts, &[("Action", "DescribeStacks")]).await?;
    let mut out = Vec::new();
    for member in cfn::list_members(&listed, "Stacks") {
        let (Some(name), Some(status)) = (
            cfn::tag(member, "StackName"),
            cfn::tag(member, "StackStatus"),
        ) else {
            continue;
        };
        if status == "DELETE_COMPLETE" {
            continue;
        }
        let t = query(
            shared,
            parts,
            &[("Action", "GetTemplate"), ("StackName", name)],
        )
        .await?;
        let body = cfn::tag(&t, "TemplateBody")
            .map(cfn::unescape)
            .unwrap_or_default();
        out.push((name.to_string(), body));
    }
    Ok(out)
}

/// A Query request of the proxy's own to the emulator, signed as the
/// request it serves was (the emulator reads the service from it).
async fn query(
    shared: &Shared,
    parts: &hyper::http::request::Parts,
    params: &[(&str, &str)],
) -> Result<String, String> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().copied())
        .append_pair("Version", "2010-05-15")
        .finish();
    let mut req = Request::builder().method("POST").uri("/");
    for (k, v) in &parts.headers {
        if k != "content-length" && k != "content-type" {
            req = req.header(k, v);
        }
    }
    let req = req
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(())
        .map_err(|e| e.to_string())?;
    let (p, _) = req.into_parts();
    let (rparts, rbody) = forward(shared, &p, Bytes::from(body)).await?;
    if !rparts.status.is_success() {
        return Err(format!(
            "{}: {}",
            rparts.status,
            String::from_utf8_lossy(&rbody)
        ));
    }
    Ok(String::from_utf8_lossy(&rbody).into_owned())
}

/// DescribeTargetHealth for a target group a simulated deployment registers
/// in (the emulator's ECS registers no targets): its running tasks, healthy.
fn target_health(shared: &Shared, body: &[u8]) -> Option<String> {
    let arn = form_urlencoded::parse(body)
        .find(|(k, _)| k == "TargetGroupArn")
        .map(|(_, v)| v.into_owned())?;
    let targets = shared.state.lock().unwrap().rollouts.targets(&arn)?;
    let members: String = targets
        .iter()
        .map(|ip| {
            format!(
                "<member><Target><Id>{ip}</Id><Port>80</Port></Target><HealthCheckPort>80</HealthCheckPort><TargetHealth><State>healthy</State></TargetHealth></member>"
            )
        })
        .collect();
    Some(format!(
        r#"<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetHealthResult><TargetHealthDescriptions>{members}</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>sim-target-health</RequestId></ResponseMetadata></DescribeTargetHealthResponse>"#
    ))
}

/// Service Connect's configuration on the service's primary deployment, where
/// ECS reports it.
fn show_connect(service: &mut Value, config: &Value) {
    if let Some(deployments) = service["deployments"].as_array_mut()
        && let Some(primary) = deployments
            .iter_mut()
            .find(|d| d["status"].as_str() == Some("PRIMARY"))
    {
        primary["serviceConnectConfiguration"] = config.clone();
    }
}

/// Rollout simulation on ECS answers.
fn simulate(shared: &Shared, op: &str, request: &[u8], response: Bytes) -> Bytes {
    match op {
        "ecr:GetAuthorizationToken" if shared.registry.is_some() => edit_json(response, |resp| {
            let tokens = registry::rewrite_token(resp, &shared.endpoint);
            shared.state.lock().unwrap().registry_tokens.extend(tokens);
        }),
        "ecs:CreateService" | "ecs:UpdateService" => {
            let Ok(req) = serde_json::from_slice::<Value>(request) else {
                return response;
            };
            edit_json(response, |resp| {
                let mut st = shared.state.lock().unwrap();
                st.rollouts.on_update(&req, resp);
                // ECS answers with the deployment it started as primary (its
                // events come with the next DescribeServices).
                let events = resp["service"]["events"].take();
                st.rollouts.rewrite(&mut resp["service"]);
                resp["service"]["events"] = events;
                let arn = resp["service"]["serviceArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if let Some(on) = req["enableExecuteCommand"].as_bool() {
                    st.exec.insert(arn.clone(), on);
                }
                resp["service"]["enableExecuteCommand"] =
                    json!(st.exec.get(&arn).copied().unwrap_or(false));
                if let Some(g) = req["healthCheckGracePeriodSeconds"].as_i64() {
                    st.grace.insert(arn.clone(), g);
                }
                if let Some(g) = st.grace.get(&arn) {
                    resp["service"]["healthCheckGracePeriodSeconds"] = json!(g);
                }
                if req["serviceConnectConfiguration"].is_object() {
                    st.connect
                        .insert(arn.clone(), req["serviceConnectConfiguration"].clone());
                }
                if let Some(c) = st.connect.get(&arn) {
                    show_connect(&mut resp["service"], c);
                }
                if req["deploymentConfiguration"].is_object() {
                    st.deployment_config
                        .insert(arn.clone(), req["deploymentConfiguration"].clone());
                }
                if let Some(c) = st.deployment_config.get(&arn) {
                    resp["service"]["deploymentConfiguration"] = c.clone();
                }
            })
        }
        "ecs:DescribeServices" => edit_json(response, |v| {
            let mut st = shared.state.lock().unwrap();
            if let Some(services) = v["services"].as_array_mut() {
                for s in services {
                    st.rollouts.rewrite(s);
                    let arn = s["serviceArn"].as_str().unwrap_or_default().to_string();
                    let arn = arn.as_str();
                    let on = st.exec.get(arn).copied().unwrap_or(false);
                    let grace = st.grace.get(arn).copied();
                    s["enableExecuteCommand"] = json!(on);
                    if let Some(g) = grace {
                        s["healthCheckGracePeriodSeconds"] = json!(g);
                    }
                    if let Some(c) = st.connect.get(arn).cloned() {
                        show_connect(s, &c);
                    }
                    if let Some(c) = st.deployment_config.get(arn) {
                        s["deploymentConfiguration"] = c.clone();
                    }
                }
            }
        }),
        // The emulator ignores ListServices' filters: apply the namespace's.
        "servicediscovery:ListServices" => edit_json(response, |v| {
            let Ok(req) = serde_json::from_slice::<Value>(request) else {
                return;
            };
            let wanted: Vec<&str> = req["Filters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["Name"].as_str() == Some("NAMESPACE_ID"))
                .flat_map(|f| f["Values"].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect();
            if wanted.is_empty() {
                return;
            }
            if let Some(services) = v["Services"].as_array_mut() {
                services.retain(|s| {
                    s["NamespaceId"]
                        .as_str()
                        .is_some_and(|ns| wanted.contains(&ns))
                });
            }
        }),
        "ecs:ListTasks" => edit_json(response, |v| {
            let Ok(req) = serde_json::from_slice::<Value>(request) else {
                return;
            };
            if req["desiredStatus"].as_str() == Some("STOPPED") {
                return;
            }
            let cluster = req["cluster"].as_str().unwrap_or("default");
            let mut st = shared.state.lock().unwrap();
            let tasks = match req["serviceName"].as_str() {
                Some(service) => st.rollouts.tasks(cluster, service),
                None => {
                    let name = cluster.rsplit('/').next().unwrap_or(cluster);
                    let mut all = st.rollouts.all_tasks();
                    all.retain(|t| t.cluster_arn.ends_with(&format!("/{name}")));
                    all
                }
            };
            if let Some(arns) = v["taskArns"].as_array_mut() {
                arns.extend(tasks.iter().map(|t| json!(t.arn)));
            }
        }),
        "ecs:RunTask" => edit_json(response, |v| {
            shared.state.lock().unwrap().runs.on_run(v);
        }),
        "ecs:StopTask" => {
            if let Ok(req) = serde_json::from_slice::<Value>(request) {
                shared.state.lock().unwrap().runs.on_stop(&req);
            }
            response
        }
        "ecs:DescribeTasks" => edit_json(response, |v| {
            shared.state.lock().unwrap().runs.describe(v);
            let Ok(req) = serde_json::from_slice::<Value>(request) else {
                return;
            };
            let wanted: Vec<&str> = req["tasks"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let all = shared.state.lock().unwrap().rollouts.all_tasks();
            let found: Vec<&rollout::Task> = all
                .iter()
                .filter(|t| wanted.iter().any(|w| *w == t.arn || *w == t.id))
                .collect();
            if found.is_empty() {
                return;
            }
            if let Some(failures) = v["failures"].as_array_mut() {
                failures.retain(|f| {
                    let arn = f["arn"].as_str().unwrap_or_default();
                    !found.iter().any(|t| arn == t.arn || arn.ends_with(&t.id))
                });
            }
            if !v["tasks"].is_array() {
                v["tasks"] = json!([]);
            }
            if let Some(tasks) = v["tasks"].as_array_mut() {
                tasks.extend(found.iter().map(|t| t.describe()));
            }
        }),
        _ => response,
    }
}

/// Parses a JSON answer, lets `f` change it and serializes it again; an answer
/// that does not parse passes unchanged.
fn edit_json(response: Bytes, f: impl FnOnce(&mut Value)) -> Bytes {
    let Ok(mut v) = serde_json::from_slice::<Value>(&response) else {
        return response;
    };
    f(&mut v);
    Bytes::from(v.to_string())
}

async fn forward(
    shared: &Shared,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Result<(hyper::http::response::Parts, Bytes), String> {
    forward_to(&shared.upstream, parts, body).await
}

/// Sends the request to `base` (`http://HOST:PORT`), as it came.
async fn forward_to(
    base: &str,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Result<(hyper::http::response::Parts, Bytes), String> {
    let stream = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let uri = format!(
        "{}{}",
        base,
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let mut req = Request::builder().method(parts.method.clone()).uri(uri);
    for (k, v) in &parts.headers {
        req = req.header(k, v);
    }
    let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let (rparts, rbody) = resp.into_parts();
    let bytes = rbody.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((rparts, bytes))
}

fn control(parts: &hyper::http::request::Parts, body: &[u8], shared: &Shared) -> Resp {
    let mut st = shared.state.lock().unwrap();
    let ok = |v: Value| {
        respond(
            200,
            &[("content-type", "application/json".into())],
            v.to_string(),
        )
    };
    let bad = |e: String| respond(400, &[("content-type", "text/plain".into())], e);
    match (parts.method.as_str(), parts.uri.path()) {
        ("GET", "/_sim/stats") => {
            let total: u64 = st.counts.values().sum();
            ok(json!({"counts": st.counts, "injected": st.injected, "total": total, "log": st.log}))
        }
        ("POST", "/_sim/reset") => {
            st.counts.clear();
            st.injected.clear();
            st.log.clear();
            st.faults.set(Vec::new());
            st.cfn.reset();
            ok(json!({"reset": true}))
        }
        ("POST", "/_sim/faults") => match serde_json::from_slice(body) {
            Ok(rules) => {
                st.faults.set(rules);
                ok(json!({"faults": true}))
            }
            Err(e) => bad(format!("faults: {e}")),
        },
        ("POST", "/_sim/cfn") => match serde_json::from_slice(body) {
            Ok(c) => {
                st.cfn.configure(c);
                ok(json!({"cfn": true}))
            }
            Err(e) => bad(format!("cfn: {e}")),
        },
        ("POST", "/_sim/livetail") => match serde_json::from_slice::<Value>(body) {
            Ok(c) => {
                st.livetail.configure(&c);
                ok(json!({"livetail": true}))
            }
            Err(e) => bad(format!("livetail: {e}")),
        },
        ("POST", "/_sim/runs") => match serde_json::from_slice::<Value>(body) {
            Ok(c) => match st.runs.configure(&c) {
                Ok(()) => ok(json!({"runs": true})),
                Err(e) => bad(format!("runs: {e}")),
            },
            Err(e) => bad(format!("runs: {e}")),
        },
        ("POST", "/_sim/rollouts") => match serde_json::from_slice(body) {
            Ok(c) => {
                st.rollouts.configure(c);
                ok(json!({"rollouts": true}))
            }
            Err(e) => bad(format!("rollouts: {e}")),
        },
        _ => respond(404, &[], "unknown control path"),
    }
}

/// A registry request: counted, checked against ECR's credentials, sent to
/// the registry; a pushed manifest is recorded in the emulator's ECR.
async fn registry_request(shared: &Shared, registry: &str, parts: &Parts, body: Bytes) -> Resp {
    let op = registry::operation(parts);
    let (start, authorized) = {
        let mut st = shared.state.lock().unwrap();
        *st.counts.entry(op.clone()).or_default() += 1;
        (
            st.started.elapsed(),
            registry::authorized(parts, &st.registry_tokens),
        )
    };
    let finish = |status: u16| {
        let mut st = shared.state.lock().unwrap();
        let end = st.started.elapsed();
        st.log.push(LogEntry {
            op: op.clone(),
            target: None,
            start_ms: start.as_secs_f64() * 1000.0,
            end_ms: end.as_secs_f64() * 1000.0,
            status,
        });
    };
    if !authorized {
        let (status, headers, body) = registry::challenge();
        finish(status);
        return respond(status, &headers, body);
    }
    let (mut rparts, rbody) = match forward_to(registry, parts, body.clone()).await {
        Ok(r) => r,
        Err(e) => {
            finish(502);
            return respond(
                502,
                &[("content-type", "text/plain".into())],
                format!("registry: {e}"),
            );
        }
    };
    if let Some(l) = rparts.headers.get("location").and_then(|v| v.to_str().ok()) {
        let moved = registry::relocate(l, registry, &shared.endpoint);
        if let Ok(v) = moved.parse() {
            rparts.headers.insert("location", v);
        }
    }
    if rparts.status.is_success()
        && let Some((repo, reference)) = registry::pushed_manifest(parts)
    {
        let header = |h: &hyper::HeaderMap, k: &str| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let digest = header(&rparts.headers, "docker-content-digest");
        let media = header(&parts.headers, "content-type");
        let record = registry::put_image(&repo, &reference, &body, &media, &digest);
        if let Err(e) = record_push(shared, record).await {
            finish(500);
            return respond(
                500,
                &[("content-type", "text/plain".into())],
                format!("recording the push in ECR: {e}"),
            );
        }
    }
    finish(rparts.status.as_u16());
    rparts.headers.remove("transfer-encoding");
    rparts.headers.insert("content-length", rbody.len().into());
    Response::from_parts(rparts, Full::new(rbody))
}

/// ECR's PutImage on the emulator, for a manifest the registry took.
async fn record_push(shared: &Shared, body: Value) -> Result<(), String> {
    let region = shared
        .state
        .lock()
        .unwrap()
        .ecr_region
        .clone()
        .unwrap_or_else(|| "us-east-1".into());
    let req = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AmazonEC2ContainerRegistry_V20150921.PutImage")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=test/20260101/{region}/ecr/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(())
        .map_err(|e| e.to_string())?;
    let (parts, ()) = req.into_parts();
    let (rparts, rbody) =
        forward_to(&shared.upstream, &parts, Bytes::from(body.to_string())).await?;
    // An image pushed again under a tag it has: ECR says so, nothing to record.
    let again = String::from_utf8_lossy(&rbody).contains("ImageAlreadyExists");
    if rparts.status.is_success() || again {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            rparts.status,
            String::from_utf8_lossy(&rbody)
        ))
    }
}
