"""sidecarctl logs against `aws logs filter-log-events` on the same emulator.

Throughput: every event of a group of N events over four streams, written to
/dev/null, median of the runs, sidecarctl at its default read limit (5
FilterLogEvents/DescribeLogStreams calls a second, AWS's default quota).
The same reads through the proxy count each reader's calls and the most
started within one second; the AWS CLI has no limit of its own, so its time
under the same quota is at least its calls / 5 s. Peak memory: the largest
resident set of each run. Follow latency: a writer puts one event every
100 ms stamped with the time it was written; sidecarctl logs --follow prints
it; the delay is measured when the line arrives: with Live Tail (emulated by
the proxy: an update every second, as AWS sends them) and by polling.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time

import boto3

from common import RELEASE, Stack, aws_env, fmt_ms, summary, workspace

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--events", type=int, default=100_000)
p.add_argument("--runs", type=int, default=3)
p.add_argument("--follow-samples", type=int, default=100)
args = p.parse_args()

stack = Stack()
app = "benchlogs"
ws = workspace(app)
vars_ = {"EFS_ID": "fs-1", "EFS_ACCESS_POINT_ID": "fsap-1", "SECURITY_GROUP_ID": "sg-1", "AWS_ACCOUNT_ID": "123456789012",
         "AWS_REGION": "us-east-1", "VPC_ID": "vpc-1", "PUBLIC_SUBNET_1": "subnet-1", "PUBLIC_SUBNET_2": "subnet-2",
         "PRIVATE_SUBNET_1": "subnet-3"}
# Straight to the emulator: the proxy is not part of what is measured.
env = aws_env(stack.upstream, vars_)
logs = boto3.client("logs", endpoint_url=stack.upstream, region_name="us-east-1",
                    aws_access_key_id="test", aws_secret_access_key="test")
group = f"/copilot/{app}-test-api"
logs.create_log_group(logGroupName=group)
start = int(time.time() * 1000) - 3_600_000
per_stream = args.events // 4
for s, container in enumerate(["api", "nginx", "firelens_log_router", "config-agent"]):
    stream = f"copilot/{container}/0a1b2c3d4e5f60718293a4b5c6d7e8f{s}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    for b in range(0, per_stream, 10_000):
        events = [{"timestamp": start + (b + i) * 30 + s, "message": f"{container} request {b + i} GET /api/items 200 12ms"}
                  for i in range(min(10_000, per_stream - b))]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
total = per_stream * 4


def run_measured(cmd, cwd=None):
    """Wall time and peak RSS (KiB) of one command, its output to /dev/null."""
    wrapper = ("import resource,subprocess,sys,time;t=time.perf_counter();"
               "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
               "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode);"
               "sys.stderr.write(r.stderr.decode())")
    out = subprocess.run([sys.executable, "-c", wrapper] + cmd, env=env, cwd=cwd, capture_output=True, text=True)
    secs, rss, code = out.stdout.split()
    if code != "0":
        sys.exit(f"{cmd} failed: {out.stderr}")
    return float(secs) * 1000, int(rss)


sidecarctl = os.path.join(RELEASE, "sidecarctl")
since = "2h"
cases = {
    "sidecarctl logs --since 2h (text)": [sidecarctl, "logs", "api", "--env", "test", "--since", since],
    "sidecarctl logs --since 2h --json": [sidecarctl, "logs", "api", "--env", "test", "--since", since, "--json"],
    "aws logs filter-log-events (json)": ["aws", "--endpoint-url", stack.upstream, "logs", "filter-log-events",
                                          "--log-group-name", group, "--start-time", str(start - 1)],
    "aws logs filter-log-events --output text": ["aws", "--endpoint-url", stack.upstream, "--output", "text", "logs",
                                                 "filter-log-events", "--log-group-name", group, "--start-time", str(start - 1)],
}
# Check that both read everything.
out = subprocess.run(cases["sidecarctl logs --since 2h --json"], env=env, cwd=ws, capture_output=True, text=True).stdout
assert out.count("\n") == total, f"sidecarctl printed {out.count(chr(10))} of {total}"
out = subprocess.run(cases["aws logs filter-log-events (json)"], env=env, cwd=ws, capture_output=True, text=True).stdout
assert len(json.loads(out)["events"]) == total

def peak_rate(entries, ops):
    starts = sorted(e["startMs"] for e in entries if e["op"] in ops)
    return max((sum(1 for u in starts[i:] if u < t + 1000) for i, t in enumerate(starts)), default=0)


# Calls and the busiest second, through the proxy.
READS = ("logs:FilterLogEvents", "logs:DescribeLogStreams")
calls = {}
for name in ("sidecarctl logs --since 2h --json", "aws logs filter-log-events (json)"):
    cmd = [c if c != stack.upstream else stack.endpoint for c in cases[name]]
    stack.reset()
    subprocess.run(cmd, env=dict(env, AWS_ENDPOINT_URL=stack.endpoint), cwd=ws, stdout=subprocess.DEVNULL, check=True)
    log = stack.stats()["log"]
    calls[name] = (sum(1 for e in log if e["op"] in READS), peak_rate(log, READS))

results = {}
for name, cmd in cases.items():
    times, rss = [], []
    for _ in range(args.runs):
        ms, kib = run_measured(cmd, cwd=ws)
        times.append(ms)
        rss.append(kib)
    results[name] = (summary(times), max(rss))

# Follow latency.
def follow_latency(extra, endpoint, stream_no):
    latencies = []
    follower = subprocess.Popen([sidecarctl, "logs", "api", "--env", "test", "--follow", "--json"] + extra,
                                env=dict(env, AWS_ENDPOINT_URL=endpoint), cwd=ws, stdout=subprocess.PIPE, text=True)
    follow_stream = f"copilot/api/fffffffffffffffffffffffffffffff{stream_no}"
    logs.create_log_stream(logGroupName=group, logStreamName=follow_stream)
    seen = threading.Event()

    def reader():
        for line in follower.stdout:
            msg = json.loads(line)["message"]
            if msg.startswith("probe "):
                latencies.append((time.time() - float(msg.split()[1])) * 1000)
                if len(latencies) >= args.follow_samples:
                    seen.set()
                    return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    time.sleep(2)
    for i in range(args.follow_samples):
        now = time.time()
        logs.put_log_events(logGroupName=group, logStreamName=follow_stream,
                            logEvents=[{"timestamp": int(now * 1000), "message": f"probe {now:.6f} {i}"}])
        time.sleep(0.1)
    seen.wait(30)
    follower.terminate()
    return sorted(latencies)


stack.reset()
live_latency = follow_latency([], stack.endpoint, 0)
live_sessions = stack.stats()["counts"].get("logs:StartLiveTail", 0)
poll_latency = follow_latency(["--poll"], stack.upstream, 1)
stack.stop()

print(f"logs benchmark: {total:,} events in 4 streams, {args.runs} runs each; {platform.machine()}, {os.cpu_count()} cores; "
      "sidecarctl release build; aws-cli/1.46.3; moto 5.2.5 (direct)")
print(f"\n{'reading every event, to /dev/null':44} {'median':>9} {'events/s':>10} {'peak RSS':>9}")
for name, (s, rss) in results.items():
    print(f"{name:44} {fmt_ms(s['median']):>9} {total / s['median'] * 1000:>10,.0f} {rss / 1024:>7.1f} MB")
ours = results["sidecarctl logs --since 2h --json"][0]["median"]
theirs = results["aws logs filter-log-events (json)"][0]["median"]
print(f"\nthroughput: {theirs / ours:.1f}x the AWS CLI's (JSON to JSON)")
print(f"\n{'read calls (FilterLogEvents, DescribeLogStreams)':52} {'calls':>6} {'busiest second':>15}")
for name, (n, peak) in calls.items():
    print(f"{name:52} {n:>6} {peak:>15}")
cli_calls = calls["aws logs filter-log-events (json)"][0]
cli_floor = max(theirs, cli_calls / 5 * 1000)
print(f"the AWS CLI within 5 calls a second: at least {fmt_ms(cli_floor)} "
      f"({total / cli_floor * 1000:,.0f} events/s); sidecarctl, limited: {fmt_ms(ours)} "
      f"({total / ours * 1000:,.0f} events/s)")
for label, lat in (("Live Tail (proxy, an update a second)", live_latency), ("polling (--poll)", poll_latency)):
    if lat:
        p50 = lat[len(lat) // 2]
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        print(f"follow latency with {label}: p50 {fmt_ms(p50)}, p95 {fmt_ms(p95)} ({len(lat)} events)")
    else:
        print(f"follow latency with {label}: no events arrived")
print(f"Live Tail sessions started: {live_sessions}")
