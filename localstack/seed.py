#!/usr/bin/env python3
"""Creates, in a local AWS emulator, what the example workspace points at.

For an application APP and environment ENV: the ECS cluster APP-ENV; a VPC with
two public subnets, one private subnet and a security group; a load balancer
target group; ECR repositories APP/api (tags v1, v2), APP/reverse-proxy
(revision_1) and APP/worker (v1) with images; an EFS file system and access
point; Secrets Manager secrets and SSM SecureString parameters; the FireLens
destination log group. Idempotent: running it twice reuses what exists.

Prints the ids as shell `export` lines (default) or JSON (--json, which also
carries the secret values, for tests that check they never leak).
"""
import argparse
import hashlib
import json
import secrets
import sys

import boto3
from botocore.config import Config


def client(name, args):
    return boto3.client(
        name,
        endpoint_url=args.endpoint,
        region_name=args.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 3}),
    )


def tagged(name):
    return [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}]


def vpc_and_subnets(ec2, app, env):
    tag = f"sidecarctl-{app}-{env}"
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [tag]}])["Vpcs"]
    if found:
        vpc = found[0]["VpcId"]
    else:
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=tagged(tag))["Vpc"]["VpcId"]
    subnets = {}
    existing = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    by_cidr = {s["CidrBlock"]: s["SubnetId"] for s in existing}
    for key, cidr, az in [
        ("PUBLIC_SUBNET_1", "10.42.0.0/24", "a"),
        ("PUBLIC_SUBNET_2", "10.42.1.0/24", "b"),
        ("PRIVATE_SUBNET_1", "10.42.2.0/24", "a"),
    ]:
        if cidr not in by_cidr:
            by_cidr[cidr] = ec2.create_subnet(
                VpcId=vpc, CidrBlock=cidr, AvailabilityZone=ec2.meta.region_name + az
            )["Subnet"]["SubnetId"]
        subnets[key] = by_cidr[cidr]
    group_name = f"{app}-{env}-services"
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": [group_name]}]
    )["SecurityGroups"]
    if groups:
        sg = groups[0]["GroupId"]
    else:
        sg = ec2.create_security_group(
            GroupName=group_name, Description=f"{app} {env} services", VpcId=vpc
        )["GroupId"]
    return vpc, subnets, sg


def push_image(ecr, repo, tag, seed_text):
    """Puts an image manifest whose one layer is unique to (repo, tag)."""
    try:
        ecr.create_repository(repositoryName=repo)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    layer = "sha256:" + hashlib.sha256(f"{repo}:{tag}:{seed_text}".encode()).hexdigest()
    config = "sha256:" + hashlib.sha256(f"config {repo}:{tag}".encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1024, "digest": config},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 4096, "digest": layer}],
    }
    try:
        ecr.put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag)
    except ecr.exceptions.ImageAlreadyExistsException:
        pass


def secret(sm, name, value):
    try:
        return sm.create_secret(Name=name, SecretString=value)["ARN"]
    except sm.exceptions.ResourceExistsException:
        sm.put_secret_value(SecretId=name, SecretString=value)
        return sm.describe_secret(SecretId=name)["ARN"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--app", default="demo")
    p.add_argument("--env", action="append", help="environment (repeatable; default test)")
    p.add_argument("--json", action="store_true", help="print JSON, secret values included")
    args = p.parse_args()
    envs = args.env or ["test"]
    results = {}
    for env in envs:
        results[env] = seed(args, args.app, env)
    if args.json:
        if len(envs) == 1:
            vars_, values = results[envs[0]]
            print(json.dumps({"vars": vars_, "secret_values": values}, indent=2))
        else:
            print(json.dumps({e: {"vars": v, "secret_values": s} for e, (v, s) in results.items()}))
    else:
        for k, v in results[envs[-1]][0].items():
            print(f"export {k}={v}")
    return 0


def seed(args, app, env):
    """Seeds one environment; returns (ids, secret values)."""

    account = client("sts", args).get_caller_identity()["Account"]
    out = {"AWS_ACCOUNT_ID": account, "AWS_REGION": args.region, "CLUSTER": f"{app}-{env}"}

    client("ecs", args).create_cluster(clusterName=f"{app}-{env}")

    ec2 = client("ec2", args)
    vpc, subnets, sg = vpc_and_subnets(ec2, app, env)
    out.update({"VPC_ID": vpc, "SECURITY_GROUP_ID": sg, **subnets})

    elb = client("elbv2", args)
    tg_name = f"{app}-{env}-api"[:32]
    try:
        tg = elb.describe_target_groups(Names=[tg_name])["TargetGroups"][0]["TargetGroupArn"]
    except elb.exceptions.TargetGroupNotFoundException:
        tg = elb.create_target_group(
            Name=tg_name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
    out["TARGET_GROUP_ARN"] = tg

    ecr = client("ecr", args)
    for repo, tags in [(f"{app}/api", ["v1", "v2"]), (f"{app}/reverse-proxy", ["revision_1"]), (f"{app}/worker", ["v1"])]:
        for tag in tags:
            push_image(ecr, repo, tag, app)

    efs = client("efs", args)
    token = f"{app}-{env}-data"
    found = [f for f in efs.describe_file_systems()["FileSystems"] if f.get("CreationToken") == token]
    fs = found[0]["FileSystemId"] if found else efs.create_file_system(CreationToken=token, Encrypted=True)["FileSystemId"]
    aps = efs.describe_access_points(FileSystemId=fs)["AccessPoints"]
    ap = aps[0]["AccessPointId"] if aps else efs.create_access_point(
        ClientToken=token, FileSystemId=fs,
        PosixUser={"Uid": 1000, "Gid": 1000},
        RootDirectory={"Path": "/data", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "750"}},
    )["AccessPointId"]
    out.update({"EFS_ID": fs, "EFS_ACCESS_POINT_ID": ap})

    values = {}
    sm = client("secretsmanager", args)
    values["db-password"] = "db-" + secrets.token_hex(12)
    out["DB_PASSWORD_SECRET_ARN"] = secret(sm, f"{app}/{env}/db-password", values["db-password"])
    values["registry-credentials"] = json.dumps({"username": "deploy", "password": "reg-" + secrets.token_hex(12)})
    out["REGISTRY_CREDENTIALS_ARN"] = secret(sm, f"{app}/registry-credentials", values["registry-credentials"])

    ssm = client("ssm", args)
    for name in ["github-token", "log-api-key", "config-token"]:
        values[name] = name.split("-")[0] + "-" + secrets.token_hex(12)
        ssm.put_parameter(Name=f"/{app}/{env}/{name}", Value=values[name], Type="SecureString", Overwrite=True)

    logs = client("logs", args)
    try:
        logs.create_log_group(logGroupName=f"/copilot/{app}-{env}-api-firelens")
    except logs.exceptions.ResourceAlreadyExistsException:
        pass

    return out, values


if __name__ == "__main__":
    sys.exit(main())
