//! `sidecarctl logs` against the emulator: a large history, filters, JSON
//! lines, following with a writer (same-millisecond and late events), a closed
//! pipe, throttling and 5xx through the proxy.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    OFFLINE_VARS, Proxy, Run, TempDir, emulator, example_workspace, finish, run, sidecarctl,
    unique_app,
};

const TASK_A: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const TASK_B: &str = "f9e8d7c6b5a4039281706f5e4d3c2b1a";

struct Logs {
    app: String,
    ws: TempDir,
    client: aws_sdk_cloudwatchlogs::Client,
    now: i64,
}

use sidecarctl::clock::now_ms;

impl Logs {
    async fn new(label: &str) -> Logs {
        let app = unique_app(label);
        let ws = example_workspace(&app);
        let client = aws_sdk_cloudwatchlogs::Client::new(&emulator().sdk_config().await);
        for g in [
            format!("/copilot/{app}-test-api"),
            format!("/copilot/{app}-test-api-firelens"),
        ] {
            client
                .create_log_group()
                .log_group_name(g)
                .send()
                .await
                .unwrap();
        }
        Logs {
            app,
            ws,
            client,
            now: now_ms(),
        }
    }

    fn group(&self) -> String {
        format!("/copilot/{}-test-api", self.app)
    }

    fn firelens_group(&self) -> String {
        format!("/copilot/{}-test-api-firelens", self.app)
    }

    /// Puts events (sorted by time) into a stream, 10,000 a call.
    async fn put(&self, group: &str, stream: &str, events: &[(i64, String)]) {
        let _ = self
            .client
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await;
        let mut sorted = events.to_vec();
        sorted.sort_by_key(|e| e.0);
        for chunk in sorted.chunks(10_000) {
            let mut req = self
                .client
                .put_log_events()
                .log_group_name(group)
                .log_stream_name(stream);
            for (ts, msg) in chunk {
                req = req.log_events(
                    aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                        .timestamp(*ts)
                        .message(msg)
                        .build()
                        .unwrap(),
                );
            }
            req.send().await.unwrap();
        }
    }

    fn cmd(&self, endpoint: &str) -> Command {
        let mut c = sidecarctl(self.ws.path());
        c.envs(OFFLINE_VARS.iter().copied())
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .args(["logs", "api", "--env", "test"]);
        c
    }

    fn json_lines(&self, args: &[&str]) -> Vec<Value> {
        let r = run(self
            .cmd(&emulator().endpoint)
            .args(args)
            .args(["-o", "json"]));
        r.assert_code(0);
        r.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// 25,000+ events over four containers, two tasks and the FireLens group,
/// many sharing a millisecond. Returns (stream, timestamp) of each.
async fn big_history(l: &Logs) -> Vec<(String, i64)> {
    let mut all = Vec::new();
    let start = l.now - 3_000_000;
    for (ci, container) in ["api", "nginx", "firelens_log_router", "config-agent"]
        .iter()
        .enumerate()
    {
        for (ti, task) in [TASK_A, TASK_B].iter().enumerate() {
            let stream = format!("copilot/{container}/{task}");
            // Three events in each millisecond: ties everywhere.
            let events: Vec<(i64, String)> = (0..3_000)
                .map(|i| {
                    (
                        start + (i / 3) * 1000 + ci as i64 * 7 + ti as i64,
                        format!("{container} {task} event {i}"),
                    )
                })
                .collect();
            all.extend(events.iter().map(|(ts, _)| (stream.clone(), *ts)));
            l.put(&l.group(), &stream, &events).await;
        }
    }
    let stream = format!("copilot/api-firelens-{TASK_A}");
    let events: Vec<(i64, String)> = (0..1_500)
        .map(|i| (start + i * 2000 + 3, format!("routed event {i}")))
        .collect();
    all.extend(events.iter().map(|(ts, _)| (stream.clone(), *ts)));
    l.put(&l.firelens_group(), &stream, &events).await;
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_history_reads_in_order_with_every_filter() {
    let l = Logs::new("hist").await;
    let all = big_history(&l).await;
    assert!(all.len() >= 25_000);

    // Everything in the last two hours: every event once, in time order.
    let lines = l.json_lines(&["--since", "2h"]);
    assert_eq!(lines.len(), all.len());
    let ids: HashSet<&str> = lines
        .iter()
        .map(|v| v["eventId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), lines.len(), "no event twice");
    let times: Vec<i64> = lines
        .iter()
        .map(|v| v["timestamp"].as_i64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "merged in time order"
    );
    for key in [
        "timestamp",
        "ingestionTime",
        "logGroup",
        "logStream",
        "container",
        "taskId",
        "message",
        "eventId",
    ] {
        assert!(lines[0].get(key).is_some(), "{key} missing");
    }
    let firelens: Vec<&Value> = lines
        .iter()
        .filter(|v| v["logGroup"] == l.firelens_group())
        .collect();
    assert_eq!(firelens.len(), 1_500);
    assert_eq!(
        firelens[0]["container"], "api",
        "FireLens output is the main container's"
    );
    assert_eq!(firelens[0]["taskId"], TASK_A);

    // Without a time filter: the last 10, as Copilot does.
    let last10 = l.json_lines(&[]);
    assert_eq!(last10.len(), 10);
    let mut newest: Vec<i64> = all.iter().map(|(_, t)| *t).collect();
    newest.sort();
    let want: Vec<i64> = newest[newest.len() - 10..].to_vec();
    let got: Vec<i64> = last10
        .iter()
        .map(|v| v["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(got, want);

    // --limit: the most recent N of the range.
    assert_eq!(l.json_lines(&["--limit", "2500"]).len(), 2_500);
    assert_eq!(l.json_lines(&["--since", "2h", "--limit", "7"]).len(), 7);

    // --start-time / --end-time (RFC 3339).
    let (a, b) = (l.now - 2_000_000, l.now - 1_000_000);
    let fmt = |ms: i64| sidecarctl::clock::rfc3339_ms(ms);
    let ranged = l.json_lines(&["--start-time", &fmt(a), "--end-time", &fmt(b)]);
    let expected = all.iter().filter(|(_, t)| *t >= a && *t < b).count();
    assert_eq!(ranged.len(), expected);

    // --container, repeatable.
    let nginx = l.json_lines(&["--since", "2h", "--container", "nginx"]);
    assert_eq!(nginx.len(), 6_000);
    assert!(nginx.iter().all(|v| v["container"] == "nginx"));
    let two = l.json_lines(&[
        "--since",
        "2h",
        "--container",
        "nginx",
        "--container",
        "config-agent",
    ]);
    assert_eq!(two.len(), 12_000);

    // --tasks: a prefix is enough.
    let task_b = l.json_lines(&["--since", "2h", "--tasks", &TASK_B[..6]]);
    assert_eq!(task_b.len(), 12_000);
    assert!(task_b.iter().all(|v| v["taskId"] == TASK_B));

    // --log-group: exactly that group.
    let only = l.json_lines(&["--since", "2h", "--log-group", &l.firelens_group()]);
    assert_eq!(only.len(), 1_500);

    // Text lines: TIME CONTAINER/TASK MESSAGE.
    let r = run(l.cmd(&emulator().endpoint).args(["--limit", "3"]));
    r.assert_code(0);
    let line = r.stdout.lines().next().unwrap();
    let parts: Vec<&str> = line.splitn(3, ' ').collect();
    assert!(
        sidecarctl::logs::query::parse_time(parts[0]).is_some(),
        "{line}"
    );
    assert!(parts[1].contains('/'), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn following_prints_every_event_exactly_once() {
    let l = Logs::new("follow").await;
    let proxy = Proxy::start(&emulator().endpoint, 0);
    let out = l.ws.path().join("follow.out");
    let child = l
        .cmd(&proxy.endpoint)
        .args(["--follow", "--poll", "--json"])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;

    // A writer: bursts in one millisecond, steady events, and late ones.
    let mut written = 0;
    let base = now_ms();
    for round in 0..12i64 {
        let stream = format!(
            "copilot/{}/{TASK_A}",
            if round % 2 == 0 { "api" } else { "nginx" }
        );
        let ts = base + round * 150;
        let mut events: Vec<(i64, String)> = (0..40)
            .map(|i| (ts, format!("burst {round} {i}")))
            .collect();
        events.extend((0..10).map(|i| (ts + 1 + i, format!("steady {round} {i}"))));
        if round % 4 == 3 {
            // Ingested now, stamped three seconds ago: late.
            l.put(
                &l.group(),
                &format!("copilot/config-agent/{TASK_B}"),
                &[(ts - 3_000, format!("late {round}"))],
            )
            .await;
            written += 1;
        }
        written += events.len();
        l.put(&l.group(), &stream, &events).await;
        if round == 6 {
            // Faults mid-way: the follower retries and loses nothing.
            proxy.faults(json!([
                {"op": "logs:FilterLogEvents", "kind": "throttle", "times": 3},
                {"op": "logs:FilterLogEvents", "kind": "error503", "times": 2, "skip": 3}
            ]));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let count = || {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .count()
    };
    while count() < written && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let a few more polls go by: nothing may be printed twice.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let Run { code, stderr, .. } = finish(child);
    assert_eq!(code, 0, "Ctrl-C ends following cleanly: {stderr}");

    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for v in &lines {
        *by_id
            .entry(v["eventId"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let twice: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "printed twice: {twice:?}");
    assert_eq!(lines.len(), written, "every event printed once\n{stderr}");
    assert_eq!(
        lines
            .iter()
            .filter(|v| v["message"].as_str().unwrap().starts_with("late"))
            .count(),
        3
    );
    let throttled = proxy.stats()["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == 400 || e["status"] == 503)
        .count();
    assert_eq!(throttled, 5, "the faults were met");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_quietly() {
    let l = Logs::new("pipe").await;
    big_history(&l).await;
    let mut child = l
        .cmd(&emulator().endpoint)
        .args(["--since", "2h"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader (like `head -1`) has gone.
    let Run { code, stderr, .. } = finish(child);
    assert!(!first.is_empty());
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_and_server_errors_lose_nothing() {
    let l = Logs::new("faults").await;
    let all = big_history(&l).await;
    let proxy = Proxy::start(&emulator().endpoint, 0);
    proxy.faults(json!([
        {"op": "logs:FilterLogEvents", "kind": "throttle", "times": 4},
        {"op": "logs:FilterLogEvents", "kind": "error500", "times": 2},
        {"op": "logs:DescribeLogStreams", "kind": "error503", "times": 1}
    ]));
    let r = run(l.cmd(&proxy.endpoint).args(["--since", "2h", "--json"]));
    r.assert_code(0);
    assert_eq!(r.stdout.lines().count(), all.len());
    let faults = proxy.stats()["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] != 200)
        .count();
    assert_eq!(faults, 7);
}

#[test]
fn bad_combinations_exit_2() {
    let t = example_workspace(&unique_app("badlogs"));
    for (args, needle) in [
        (
            vec!["--since", "10m", "--start-time", "2026-01-01T00:00:00Z"],
            "cannot be used with",
        ),
        (
            vec!["--follow", "--end-time", "2026-01-01T00:00:00Z"],
            "cannot be used with",
        ),
        (vec!["--since", "ten minutes"], "cannot read"),
        (vec!["--start-time", "yesterday"], "not an RFC 3339 time"),
        (
            vec![
                "--start-time",
                "2026-01-02T00:00:00Z",
                "--end-time",
                "2026-01-01T00:00:00Z",
            ],
            "not before the end time",
        ),
        (vec!["--limit", "0"], "0 is not in 1..=10000"),
        (vec!["--limit", "10001"], "10001 is not in 1..=10000"),
        (vec!["--container", "ngnix"], "did you mean \"nginx\"?"),
    ] {
        let r = run(sidecarctl(t.path())
            .envs(OFFLINE_VARS.iter().copied())
            .args(["logs", "api", "--env", "test"])
            .args(&args));
        r.assert_code(2);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lasting_failure_ends_following_with_a_clear_error() {
    let l = Logs::new("lasting").await;
    l.put(
        &l.group(),
        &format!("copilot/api/{TASK_A}"),
        &[(now_ms() - 1_000, "before".to_string())],
    )
    .await;
    let proxy = Proxy::start(&emulator().endpoint, 0);
    let mut child = l
        .cmd(&proxy.endpoint)
        .args(["--follow", "--poll"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // From now on every read fails.
    proxy.faults(json!([{"op": "logs:FilterLogEvents", "kind": "error503", "times": 1_000_000}]));
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "following never gave up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let Run {
        code,
        stdout,
        stderr,
    } = finish(child);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("before"), "the history was printed first");
    assert!(
        stderr.contains("retrying"),
        "one failed poll is not the end: {stderr}"
    );
    assert!(stderr.contains("reading logs has failed for"), "{stderr}");
    assert!(stderr.contains("logs:FilterLogEvents"), "{stderr}");
    assert!(
        started.elapsed() >= Duration::from_secs(55),
        "it kept trying for a minute"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_result_says_which_groups_were_empty() {
    let l = Logs::new("empty").await;
    let r = run(l.cmd(&emulator().endpoint).args(["--since", "1h"]));
    r.assert_code(0);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr
            .contains(&format!("no log events in {}", l.group()))
            && r.stderr.contains(&l.firelens_group())
            && r.stderr.contains("matching the time range"),
        "{}",
        r.stderr
    );
}

/// `logging.sidecars` (an extension): a sidecar's lines come through the
/// router into the destination group, and `logs` labels them by container;
/// `--container` picks them out.
#[tokio::test(flavor = "multi_thread")]
async fn sidecars_routed_through_firelens_are_labelled_by_container() {
    let l = Logs::new("logsidecars").await;
    let path = "copilot/api/manifest.yml";
    let m = std::fs::read_to_string(l.ws.path().join(path)).unwrap();
    l.ws.write(
        path,
        &m.replacen("\nlogging:\n", "\nlogging:\n  sidecars: [nginx]\n", 1),
    );
    let t = l.now - 10_000;
    l.put(
        &l.firelens_group(),
        &format!("copilot/nginx-firelens-{TASK_A}"),
        &[(t, "GET / 200".to_string())],
    )
    .await;
    l.put(
        &l.firelens_group(),
        &format!("copilot/api-firelens-{TASK_A}"),
        &[(t + 1, "handled".to_string())],
    )
    .await;
    let lines = l.json_lines(&["--since", "1h"]);
    let by: Vec<(&str, &str)> = lines
        .iter()
        .filter(|v| v["logGroup"] == l.firelens_group())
        .map(|v| {
            (
                v["container"].as_str().unwrap(),
                v["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(by, [("nginx", "GET / 200"), ("api", "handled")]);
    let only = l.json_lines(&["--since", "1h", "--container", "nginx"]);
    assert!(
        only.iter().all(|v| v["container"] == "nginx") && !only.is_empty(),
        "{only:?}"
    );
}

/// The most calls of `ops` the proxy saw start within any one second.
fn peak_rate(proxy: &Proxy, ops: &[&str]) -> usize {
    let mut starts: Vec<f64> = proxy.stats()["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| ops.contains(&e["op"].as_str().unwrap_or_default()))
        .map(|e| e["startMs"].as_f64().unwrap())
        .collect();
    starts.sort_by(f64::total_cmp);
    (0..starts.len())
        .map(|i| {
            starts[i..]
                .iter()
                .take_while(|t| **t < starts[i] + 1000.0)
                .count()
        })
        .max()
        .unwrap_or(0)
}

const READS: [&str; 2] = ["logs:FilterLogEvents", "logs:DescribeLogStreams"];

#[tokio::test(flavor = "multi_thread")]
async fn reading_and_following_stay_within_the_read_rate() {
    let l = Logs::new("rate").await;
    // 100,000 events over two streams in the last hour.
    let start = l.now - 3_600_000;
    for (s, task) in [TASK_A, TASK_B].iter().enumerate() {
        let events: Vec<(i64, String)> = (0..50_000)
            .map(|i| (start + i * 70 + s as i64, format!("event {s} {i}")))
            .collect();
        l.put(&l.group(), &format!("copilot/api/{task}"), &events)
            .await;
    }
    let proxy = Proxy::start(&emulator().endpoint, 0);
    let r = run(l.cmd(&proxy.endpoint).args(["--since", "2h", "--json"]));
    r.assert_code(0);
    assert_eq!(r.stdout.lines().count(), 100_000);
    let peak = peak_rate(&proxy, &READS);
    assert!(peak <= 5, "{peak} read calls within a second");
    let calls: u64 = READS
        .iter()
        .map(|op| proxy.counts().get(*op).copied().unwrap_or(0))
        .sum();
    assert!(
        calls > 5,
        "the read took several seconds' worth of calls: {calls}"
    );

    // Following two groups (the service's and FireLens's), at a lower
    // rate asked for on the command line.
    proxy.reset();
    let child = l
        .cmd(&proxy.endpoint)
        .args(["--follow", "--json", "--read-rate", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    for round in 0..8 {
        let ts = now_ms();
        l.put(
            &l.group(),
            &format!("copilot/api/{TASK_A}"),
            &[(ts, format!("live {round}"))],
        )
        .await;
        l.put(
            &l.firelens_group(),
            &format!("copilot/api-firelens-{TASK_A}"),
            &[(ts, format!("routed {round}"))],
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let live = r
        .stdout
        .lines()
        .filter(|l| l.contains("live ") || l.contains("routed "))
        .count();
    assert_eq!(live, 16, "{}", r.stdout);
    let peak = peak_rate(&proxy, &READS);
    assert!(
        peak <= 3,
        "{peak} read calls within a second while following"
    );
}

/// Follows through the proxy (Live Tail emulated as `livetail` sets it up)
/// while `rounds` batches of `batch` numbered events are written, `every`
/// apart, the first before the follower starts; every number must be
/// printed exactly once. Returns stderr and the proxy.
async fn follow_while_writing(
    label: &str,
    livetail: Value,
    rounds: usize,
    batch: usize,
    every: Duration,
) -> (String, Proxy) {
    let l = Logs::new(label).await;
    let proxy = Proxy::start(&emulator().endpoint, 0);
    proxy.livetail(livetail);
    let stream = format!("copilot/api/{TASK_A}");
    let mut n = 0;
    let write = async |l: &Logs, n: &mut usize| {
        let ts = now_ms();
        let events: Vec<(i64, String)> = (0..batch)
            .map(|k| (ts, format!("seq {}", *n + k)))
            .collect();
        *n += batch;
        l.put(&l.group(), &stream, &events).await;
    };
    // Written before: the history.
    write(&l, &mut n).await;
    // A file, not a pipe: nothing reads the output before the end.
    let out = l.ws.path().join("follow.out");
    let child = l
        .cmd(&proxy.endpoint)
        .args(["--follow", "--since", "5m", "--json"])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written across the seam and after.
    for _ in 1..rounds {
        tokio::time::sleep(every).await;
        write(&l, &mut n).await;
    }
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let m = v["message"].as_str().unwrap();
        if let Some(k) = m.strip_prefix("seq ") {
            *seen.entry(k.parse().unwrap()).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "printed twice: {twice:?}");
    let missing: Vec<usize> = (0..n).filter(|k| !seen.contains_key(k)).collect();
    assert!(
        missing.is_empty(),
        "never printed: {missing:?}\n{}",
        r.stderr
    );
    (r.stderr, proxy)
}

fn count(proxy: &Proxy, op: &str) -> u64 {
    proxy.counts().get(op).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn live_tail_prints_the_history_then_live_events_once_across_the_seam() {
    let (stderr, proxy) = follow_while_writing(
        "seam",
        json!({"updateMs": 1000}),
        60,
        2,
        Duration::from_millis(50),
    )
    .await;
    assert_eq!(count(&proxy, "logs:StartLiveTail"), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn live_tail_sessions_that_end_leave_no_gap() {
    let (stderr, proxy) = follow_while_writing(
        "sessions",
        json!({"updateMs": 300, "sessionMs": 1500}),
        80,
        3,
        Duration::from_millis(100),
    )
    .await;
    assert!(count(&proxy, "logs:StartLiveTail") >= 4, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sampled_burst_is_read_back_and_said_once() {
    let (stderr, proxy) = follow_while_writing(
        "sampled",
        json!({"updateMs": 500, "sampleAbove": 20}),
        6,
        150,
        Duration::from_millis(700),
    )
    .await;
    assert_eq!(
        stderr.matches("Live Tail sends a sample").count(),
        1,
        "{stderr}"
    );
    assert_eq!(count(&proxy, "logs:StartLiveTail"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn following_polls_when_live_tail_is_refused() {
    let (stderr, proxy) = follow_while_writing(
        "refused",
        json!({"fail": true}),
        20,
        2,
        Duration::from_millis(100),
    )
    .await;
    assert_eq!(count(&proxy, "logs:StartLiveTail"), 1, "{stderr}");
    assert!(count(&proxy, "logs:FilterLogEvents") > 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn times_are_local_with_their_offset_unless_utc() {
    let l = Logs::new("zone").await;
    // 2026-12-04T10:17:30.123Z
    let ts = 1_796_379_450_123;
    l.put(
        &l.group(),
        &format!("copilot/api/{TASK_A}"),
        &[(ts, "then".into())],
    )
    .await;
    let text = |extra: &[&str], tz: &str| {
        let r = run(l
            .cmd(&emulator().endpoint)
            .env("TZ", tz)
            .args(["--start-time", "2026-12-04T10:00:00Z"])
            .args(["--end-time", "2026-12-04T11:00:00Z"])
            .args(extra));
        r.assert_code(0);
        r.stdout
    };
    // POSIX zone strings: nine hours east, five and a half west.
    assert!(
        text(&[], "JST-9").starts_with("2026-12-04T19:17:30.123+09:00 api/0a1b2c3d then"),
        "{}",
        text(&[], "JST-9")
    );
    assert!(text(&[], "XST5:30").starts_with("2026-12-04T04:47:30.123-05:30 "));
    assert!(text(&["--utc"], "JST-9").starts_with("2026-12-04T10:17:30.123Z "));
    // JSON keeps epoch milliseconds.
    let v: Value =
        serde_json::from_str(text(&["-o", "json"], "JST-9").lines().next().unwrap()).unwrap();
    assert_eq!(v["timestamp"], ts);
}
