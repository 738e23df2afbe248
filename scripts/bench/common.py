"""Shared by the benchmark scripts: a fresh emulator and proxy, seeding, stats."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, "localstack", ".venv", "bin")
RELEASE = os.path.join(ROOT, "target", "release")


class Stack:
    """moto on a free port, sidecarctl-localproxy in front of it."""

    def __init__(self, rollout_ms=0, registry=False):
        """With `registry`, a real OCI registry behind the proxy as ECR's."""
        extra = []
        if registry:
            self.registry = subprocess.Popen(
                [sys.executable, os.path.join(ROOT, "localstack", "registry.py"), "--watch-pid", str(os.getpid())],
                stdout=subprocess.PIPE, text=True)
            extra = ["--registry", self.registry.stdout.readline().strip()]
        self.moto = subprocess.Popen(
            [os.path.join(VENV, "python"), os.path.join(ROOT, "localstack", "serve.py"), "--port", "0",
             "--watch-pid", str(os.getpid())],
            stdout=subprocess.PIPE, text=True)
        self.upstream = self.moto.stdout.readline().strip()
        self.proxy = subprocess.Popen(
            [os.path.join(RELEASE, "sidecarctl-localproxy"), "--upstream", self.upstream,
             "--rollout-ms", str(rollout_ms), "--watch-pid", str(os.getpid())] + extra,
            stdout=subprocess.PIPE, text=True)
        self.endpoint = self.proxy.stdout.readline().strip()

    def stop(self):
        for p in (self.proxy, self.moto) + ((self.registry,) if hasattr(self, "registry") else ()):
            p.terminate()
            p.wait()

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method="GET" if body is None else "POST")
        return json.loads(urllib.request.urlopen(req).read())

    def reset(self):
        self.control("/_sim/reset", {})

    def stats(self):
        return self.control("/_sim/stats")

    def seed(self, app, env="test"):
        out = subprocess.run(
            [os.path.join(VENV, "python"), os.path.join(ROOT, "localstack", "seed.py"),
             "--endpoint", self.upstream, "--app", app, "--env", env, "--json"],
            check=True, capture_output=True, text=True).stdout
        return json.loads(out)["vars"]


def workspace(app):
    """A copy of examples/ for the application `app`."""
    d = tempfile.mkdtemp(prefix="sidecarctl-bench-")
    shutil.copytree(os.path.join(ROOT, "examples"), d, dirs_exist_ok=True)
    with open(os.path.join(d, "copilot", ".workspace"), "w") as f:
        f.write(f"application: {app}\n")
    return d


def aws_env(endpoint, extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    env.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "NO_COLOR": "1", "PATH": VENV + os.pathsep + os.environ.get("PATH", ""),
    })
    return env


def timed(cmd, env, cwd):
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    ms = (time.perf_counter() - t) * 1000
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return ms, r.stdout


def serial_depth(log, until_op):
    """The longest chain of requests each starting after the previous ended,
    up to and including the first `until_op` (the round trips that lie one
    after another)."""
    entries = sorted(log, key=lambda e: e["startMs"])
    depth = []
    for i, e in enumerate(entries):
        before = [depth[j] for j in range(i) if entries[j]["endMs"] <= e["startMs"]]
        depth.append(1 + max(before, default=0))
        if e["op"] == until_op:
            return depth[-1]
    return max(depth, default=0)


def summary(samples):
    s = sorted(samples)
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return {"median": statistics.median(s), "p90": p90, "min": s[0]}


def fmt_ms(ms):
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"
