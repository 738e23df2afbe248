"""Build, push and deploy: the example with two Dockerfiles (the main
container's and the config-agent sidecar's), built by Buildah and pushed
through sidecarctl-localproxy to a real registry standing in for ECR.

Measured: the first deploy (both images built and pushed, then deployed), a
redeploy with no source change (the issue's target: under a second, the
builder never started), and a redeploy after a change to one context (one
image built again). Copilot built and pushed every image on every deploy:
the first deploy's figure is what every deploy costs that way.
"""
import argparse
import json
import os
import shutil
import subprocess

from common import RELEASE, Stack, aws_env, fmt_ms, summary, timed, workspace

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--runs", type=int, default=10)
args = p.parse_args()

if not shutil.which("buildah") or not shutil.which("docker-registry"):
    raise SystemExit("build benchmark: needs buildah and docker-registry (localstack/stack install-builder)")

stack = Stack(rollout_ms=0, registry=True)
app = "benchbuild"
vars_ = stack.seed(app)
ws = workspace(app)
env = aws_env(stack.endpoint, vars_)
env.update({"SIDECARCTL_BUILDER": "buildah", "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"})
manifest = os.path.join(ws, "copilot", "api", "manifest.yml")
with open(manifest) as f:
    text = f.read()
with open(manifest, "w") as f:
    f.write(text.replace("    image: registry.example.com/platform/config-agent:1.4\n",
                         "    image:\n      build: agent/Dockerfile\n", 1))
os.makedirs(os.path.join(ws, "agent"))
with open(os.path.join(ws, "agent", "Dockerfile"), "w") as f:
    f.write("FROM scratch\nCOPY agent.conf /etc/agent.conf\n")


def agent_conf(n):
    with open(os.path.join(ws, "agent", "agent.conf"), "w") as f:
        f.write(f"interval={n}\n")


def git(*a):
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", *a], cwd=ws, check=True,
                   capture_output=True)


agent_conf(0)
git("init", "-q")
git("add", "-A")
git("commit", "-q", "-m", "bench")
deploy = [os.path.join(RELEASE, "sidecarctl"), "deploy", "api", "--env", "test", "--target-group-arn",
          vars_["TARGET_GROUP_ARN"], "--poll-interval", "200ms", "-o", "json"]


def hows(out):
    return [b["how"] for b in json.loads(out).get("builds", [])]


stack.reset()
first_ms, out = timed(deploy, env, ws)
assert hows(out) == ["built", "built"], out
first_calls = stack.stats()["counts"]
unchanged, changed = [], []
for i in range(args.runs):
    stack.reset()
    ms, out = timed(deploy, env, ws)
    assert hows(out) == ["reused", "reused"], out
    assert not any(k.startswith("registry:") for k in stack.stats()["counts"]), "the registry was not touched"
    unchanged.append(ms)
for i in range(args.runs):
    agent_conf(i + 1)
    git("commit", "-qam", f"change {i}")
    ms, out = timed(deploy, env, ws)
    assert hows(out) == ["reused", "built"], out
    changed.append(ms)
stack.stop()

buildah = subprocess.run(["buildah", "--version"], capture_output=True, text=True).stdout.strip()
print(f"build benchmark: {args.runs} runs each; sidecarctl release build; {buildah} (vfs, chroot); "
      f"docker-registry behind sidecarctl-localproxy")
print(f"first deploy (builds and pushes both images, then deploys): {fmt_ms(first_ms)}; "
      f"registry requests {sum(v for k, v in first_calls.items() if k.startswith('registry:'))}")
for name, samples in [("redeploy, no source change (builder never started)", unchanged),
                      ("redeploy, one context changed (one image built)", changed)]:
    s = summary(samples)
    print(f"{name:54} median {fmt_ms(s['median']):>8}  p90 {fmt_ms(s['p90']):>8}  min {fmt_ms(s['min']):>8}")
