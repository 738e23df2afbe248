"""sidecarctl deploy against ecs-deploy (a typical Python deploy tool) and the
AWS CLI sequence a release script makes.

All run on the same fresh emulator, through sidecarctl-localproxy (which counts
every request and records when it started and ended); process start is
included, since a pipeline pays it. Rollouts complete at once (--rollout-ms 0),
so "with waiting" measures the tools, not a simulated clock.
"""
import argparse
import json
import os
import platform
import subprocess

from common import RELEASE, VENV, Stack, aws_env, fmt_ms, serial_depth, summary, timed, workspace

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--runs", type=int, default=10)
args = p.parse_args()

stack = Stack(rollout_ms=0)
app = "bench"
vars_ = stack.seed(app)
ws = workspace(app)
cwd = os.path.join(ws, "examples") if os.path.isdir(os.path.join(ws, "examples")) else ws
env = aws_env(stack.endpoint, vars_)
sidecarctl = os.path.join(RELEASE, "sidecarctl")
deploy = [sidecarctl, "deploy", "api", "--env", "test", "--target-group-arn", vars_["TARGET_GROUP_ARN"],
          "--poll-interval", "200ms"]
cluster, family = f"{app}-test", f"{app}-test-api"
aws = ["aws", "--endpoint-url", stack.endpoint, "--output", "json"]

# The first deploy creates everything; it is timed on its own.
stack.reset()
first_ms, _ = timed(deploy + ["--image-tag", "v1"], env, cwd)
first_calls = stack.stats()["total"]

# A release script's task definition: rendered once, its image swapped per run.
_, td_json = timed([sidecarctl, "render", "api", "--env", "test", "--account", vars_["AWS_ACCOUNT_ID"],
                    "--region", "us-east-1", "--image-tag", "v1"], env, cwd)
template = json.loads(td_json)
repo_uri = f"{vars_['AWS_ACCOUNT_ID']}.dkr.ecr.us-east-1.amazonaws.com/{app}/api"


def cli_sequence(tag, wait):
    calls = [
        aws + ["sts", "get-caller-identity"],
        aws + ["ecr", "describe-images", "--repository-name", f"{app}/api", "--image-ids", f"imageTag={tag}"],
        aws + ["ecr", "describe-images", "--repository-name", f"{app}/reverse-proxy", "--image-ids", "imageTag=revision_1"],
        aws + ["ecs", "describe-services", "--cluster", cluster, "--services", "api"],
        aws + ["ecs", "describe-task-definition", "--task-definition", family],
    ]
    total = 0.0
    digest = None
    for c in calls:
        ms, out = timed(c, env, cwd)
        total += ms
        if "describe-images" in c and f"{app}/api" in c:
            digest = json.loads(out)["imageDetails"][0]["imageDigest"]
    td = dict(template)
    td["containerDefinitions"] = [dict(c) for c in template["containerDefinitions"]]
    td["containerDefinitions"][0]["image"] = f"{repo_uri}@{digest}"
    path = os.path.join(ws, "td.json")
    with open(path, "w") as f:
        json.dump(td, f)
    ms, out = timed(aws + ["ecs", "register-task-definition", "--cli-input-json", f"file://{path}"], env, cwd)
    total += ms
    arn = json.loads(out)["taskDefinition"]["taskDefinitionArn"]
    ms, _ = timed(aws + ["ecs", "update-service", "--cluster", cluster, "--service", "api",
                         "--task-definition", arn, "--desired-count", "2"], env, cwd)
    total += ms
    if wait:
        ms, _ = timed(aws + ["ecs", "wait", "services-stable", "--cluster", cluster, "--services", "api"], env, cwd)
        total += ms
    return total


def ecs_deploy(tag, wait):
    """ecs-deploy: describe service, describe task definition, register, update."""
    cmd = [os.path.join(VENV, "ecs"), "deploy", cluster, "api", "-i", "api", f"{repo_uri}:{tag}",
           "--no-deregister", "--region", "us-east-1", "--timeout", "600" if wait else "-1"]
    return timed(cmd, env, cwd)[0]


results = {}


def measure(name, fn):
    samples, calls, depths = [], [], []
    for i in range(args.runs):
        stack.reset()
        samples.append(fn(i))
        st = stack.stats()
        calls.append(st["total"])
        depths.append(serial_depth(st["log"], "ecs:UpdateService"))
    results[name] = (summary(samples), max(calls), max(depths))


class NewImage:
    """The seeded tag a service does not run: every "new image" run changes
    the image, whatever the number of runs and whichever tool ran last."""

    def __init__(self):
        self.running = "v1"

    def __call__(self):
        self.running = "v2" if self.running == "v1" else "v1"
        return self.running


new_image = NewImage()
measure("sidecarctl deploy, new image, --no-wait", lambda i: timed(deploy + ["--image-tag", new_image(), "--no-wait"], env, cwd)[0])
measure("sidecarctl deploy, new image, waits", lambda i: timed(deploy + ["--image-tag", new_image()], env, cwd)[0])
timed(deploy + ["--image-tag", "v1"], env, cwd)  # settle on v1: the runs below change nothing
new_image.running = "v1"
measure("sidecarctl deploy, no change", lambda i: timed(deploy + ["--image-tag", "v1"], env, cwd)[0])
measure("ecs-deploy (Python), new image, no wait", lambda i: ecs_deploy(new_image(), False))
measure("ecs-deploy (Python), new image, waits", lambda i: ecs_deploy(new_image(), True))
measure("AWS CLI sequence, new image, no wait", lambda i: cli_sequence(new_image(), False))
measure("AWS CLI sequence, new image, + wait services-stable", lambda i: cli_sequence(new_image(), True))

# A Load Balanced Web Service whose load balancer sidecarctl manages: an
# environment stack shaped like Copilot's (cluster, load balancer, HTTP
# listener, their outputs), no --target-group-arn.
lb_app = "benchlb"
lb_vars = stack.seed(lb_app)
lb_ws = workspace(lb_app)
lb_env = aws_env(stack.endpoint, lb_vars)
env_template = {
    "Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster"},
        "PublicLoadBalancer": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Scheme": "internet-facing", "SecurityGroups": [lb_vars["SECURITY_GROUP_ID"]],
            "Subnets": [lb_vars["PUBLIC_SUBNET_1"], lb_vars["PUBLIC_SUBNET_2"]], "Type": "application"}},
        "DefaultHTTPTargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": 80, "Protocol": "HTTP", "VpcId": lb_vars["VPC_ID"], "TargetType": "ip"}},
        "HTTPListener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "DefaultActions": [{"TargetGroupArn": {"Ref": "DefaultHTTPTargetGroup"}, "Type": "forward"}],
            "LoadBalancerArn": {"Ref": "PublicLoadBalancer"}, "Port": 80, "Protocol": "HTTP"}},
    },
    "Outputs": {
        "VpcId": {"Value": lb_vars["VPC_ID"]},
        "PublicSubnets": {"Value": f"{lb_vars['PUBLIC_SUBNET_1']},{lb_vars['PUBLIC_SUBNET_2']}"},
        "EnvironmentSecurityGroup": {"Value": lb_vars["SECURITY_GROUP_ID"]},
        "PublicLoadBalancerDNSName": {"Value": {"Fn::GetAtt": ["PublicLoadBalancer", "DNSName"]}},
        "HTTPListenerArn": {"Value": {"Ref": "HTTPListener"}},
        "ClusterId": {"Value": {"Ref": "Cluster"}},
    },
}
timed(aws + ["cloudformation", "create-stack", "--stack-name", f"{lb_app}-test",
             "--template-body", json.dumps(env_template)], lb_env, lb_ws)
lb_deploy = [sidecarctl, "deploy", "api", "--env", "test", "--poll-interval", "200ms"]


def first_then_new_images(name, env_, ws):
    """A first deploy, counted (time, API calls, serial round trips up to
    CreateService); then a new image each run, measured as `name`."""
    stack.reset()
    first_ms, _ = timed(lb_deploy + ["--image-tag", "v1", "--no-wait"], env_, ws)
    st = stack.stats()
    image = NewImage()
    measure(name, lambda i: timed(lb_deploy + ["--image-tag", image(), "--no-wait"], env_, ws)[0])
    return first_ms, st["total"], serial_depth(st["log"], "ecs:CreateService")


lb_first = first_then_new_images("sidecarctl, web service with its rules, new image, --no-wait", lb_env, lb_ws)

# The same service behind a network load balancer of its own (`http: false`,
# `nlb`), in an environment stack of the same shape: the first deploy creates
# the load balancer, its security group, listener and target group.
nlb_app = "benchnlb"
nlb_vars = stack.seed(nlb_app)
nlb_ws = workspace(nlb_app)
nlb_env = aws_env(stack.endpoint, nlb_vars)
for k in ("PublicLoadBalancer", "DefaultHTTPTargetGroup", "HTTPListener"):
    env_template["Resources"].pop(k, None)
for k in ("PublicLoadBalancerDNSName", "HTTPListenerArn"):
    env_template["Outputs"].pop(k, None)
env_template["Outputs"].update({
    "VpcId": {"Value": nlb_vars["VPC_ID"]},
    "PublicSubnets": {"Value": f"{nlb_vars['PUBLIC_SUBNET_1']},{nlb_vars['PUBLIC_SUBNET_2']}"},
    "EnvironmentSecurityGroup": {"Value": nlb_vars["SECURITY_GROUP_ID"]},
})
timed(aws + ["cloudformation", "create-stack", "--stack-name", f"{nlb_app}-test",
             "--template-body", json.dumps(env_template)], nlb_env, nlb_ws)
manifest = os.path.join(nlb_ws, "copilot", "api", "manifest.yml")
with open(manifest) as f:
    text = f.read()
start = text.index("http:\n")
end = text.index("\ncpu:", start)
with open(manifest, "w") as f:
    f.write(text[:start] + "http: false\nnlb:\n  port: 80/tcp\n  target_container: nginx\n" + text[end:])
nlb_first = first_then_new_images("sidecarctl, service with its own NLB, new image, --no-wait", nlb_env, nlb_ws)
stack.stop()

cli_version = subprocess.run(["aws", "--version"], env=env, capture_output=True, text=True)
print(f"deploy benchmark: {args.runs} runs each; {platform.machine()}, {os.cpu_count()} cores; "
      f"sidecarctl release build; ecs-deploy 1.17.0 (boto3); {(cli_version.stdout or cli_version.stderr).split()[0]}; "
      f"moto 5.2.5 behind sidecarctl-localproxy")
print(f"first deploy (creates roles, policies, log group, task definition, service): {fmt_ms(first_ms)}, {first_calls} API calls")
print(f"first deploy of a web service with its target group and listener rule (--no-wait): {fmt_ms(lb_first[0])}, "
      f"{lb_first[1]} API calls, {lb_first[2]} serial round trips up to CreateService")
print(f"first deploy of a service with its own network load balancer (--no-wait): {fmt_ms(nlb_first[0])}, "
      f"{nlb_first[1]} API calls, {nlb_first[2]} serial round trips up to CreateService\n")
print(f"{'':54} {'median':>9} {'p90':>9} {'min':>9} {'API calls':>10} {'serial round trips':>19}")
for name, (s, calls, depth) in results.items():
    print(f"{name:54} {fmt_ms(s['median']):>9} {fmt_ms(s['p90']):>9} {fmt_ms(s['min']):>9} {calls:>10} {depth:>19}")
ours = results["sidecarctl deploy, new image, --no-wait"][0]["median"]
ours_w = results["sidecarctl deploy, new image, waits"][0]["median"]
for other, no_wait, wait in [
    ("ecs-deploy", "ecs-deploy (Python), new image, no wait", "ecs-deploy (Python), new image, waits"),
    ("the AWS CLI sequence", "AWS CLI sequence, new image, no wait", "AWS CLI sequence, new image, + wait services-stable"),
]:
    print(f"\nsidecarctl against {other}, new image: {results[no_wait][0]['median'] / ours:.1f}x faster without "
          f"waiting, {results[wait][0]['median'] / ours_w:.1f}x with waiting (medians)", end="")
print(f"\nno-change deploy: {fmt_ms(results['sidecarctl deploy, no change'][0]['median'])}")
