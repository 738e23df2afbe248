#!/usr/bin/env python3
"""Runs moto's AWS emulator on 127.0.0.1.

Prints the endpoint (http://127.0.0.1:PORT) on stdout once it accepts
connections, writes it to --endpoint-file, and serves until SIGTERM or, with
--watch-pid, until that process is gone (so a test run never leaves it behind).
"""
import argparse
import logging
import os
import signal
import sys
import threading
import time

import moto.backends
import moto.core.responses
from moto.server import ThreadedMotoServer

# moto lists its own package directory on every request to tell a service name
# from a host name (twice per request, under a lock that serializes them all);
# the listing never changes while it runs, so list it once.
_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _modules

# moto's backends are not thread-safe: a request that iterates over a backend's
# dictionaries (DescribeParameters, CreateRole's name check, ...) while another
# request adds to them fails with 500 ("dictionary changed size during
# iteration"). AWS has no such failure. moto's work is CPU-bound under the GIL,
# so carrying out one action at a time costs nothing measurable.
_backend_lock = threading.RLock()
_call_action = moto.core.responses.BaseResponse.call_action


def _one_at_a_time(self, *args, **kwargs):
    with _backend_lock:
        return _call_action(self, *args, **kwargs)


moto.core.responses.BaseResponse.call_action = _one_at_a_time

# moto replaces a nested stack (AWS::CloudFormation::Stack) whenever its parent
# is updated: it deletes the nested stack, and every resource in it, then
# creates it again under a new name. CloudFormation updates a nested stack in
# place, keeping its id and its resources (a database stays a database).
import moto.cloudformation.models as _cfn_models  # noqa: E402
from moto.cloudformation.utils import get_stack_from_s3_url  # noqa: E402
from moto.utilities.utils import get_partition  # noqa: E402


def _update_nested_in_place(
    cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
):
    props = cloudformation_json["Properties"]
    template = get_stack_from_s3_url(
        props["TemplateURL"], account_id=account_id, partition=get_partition(region_name)
    )
    original_resource.update(template, parameters=dict(props.get("Parameters") or {}) or None)
    return original_resource


_cfn_models.Stack.update_from_cloudformation_json = classmethod(_update_nested_in_place)


# A change set that moto carries out updates the stack's resources only: its
# template, outputs, parameters and tags stay as they were (a stack created
# by a change set has no outputs at all). CloudFormation updates them all.
_apply_change_set = _cfn_models.ChangeSet.apply


def _apply_whole_change_set(self):
    _apply_change_set(self)
    stack = self.stack
    stack.template = self.template
    stack._parse_template()
    if self.parameters:
        stack.parameters = {**(stack.parameters or {}), **self.parameters}
    if self.tags:
        stack.tags = self.tags
    stack.output_map = stack._create_output_map()


_cfn_models.ChangeSet.apply = _apply_whole_change_set


# A resource type moto cannot update is dropped from its stack by an update
# (a change of DeletionPolicy alone loses a secret, a table, a policy); on
# AWS such a change leaves the resource as it is. So it stays.
import moto.cloudformation.parsing as _cfn_parsing  # noqa: E402

_parse_and_update = _cfn_parsing.parse_and_update_resource


def _update_or_keep(logical_id, resource_json, resources_map, account_id, region_name):
    updated = _parse_and_update(logical_id, resource_json, resources_map, account_id, region_name)
    return updated if updated is not None else resources_map[logical_id]


_cfn_parsing.parse_and_update_resource = _update_or_keep


# An update whose template no longer declares a parameter fails in moto (it
# keeps the old value and looks for its declaration); CloudFormation simply
# forgets it.
_load_parameters = _cfn_parsing.ResourceMap.load_parameters


def _load_declared_parameters(self):
    declared = self._template.get("Parameters") or {}
    self.input_parameters = {k: v for k, v in (self.input_parameters or {}).items() if k in declared}
    self.resolved_parameters = {k: v for k, v in self.resolved_parameters.items() if k in declared}
    _load_parameters(self)


_cfn_parsing.ResourceMap.load_parameters = _load_declared_parameters


# RunTask fails in moto for a container without its own memory (it adds
# None); on Fargate a container's memory is optional, the task's applies.
import moto.ecs.models as _ecs_models  # noqa: E402

_requirements = _ecs_models.EC2ContainerServiceBackend._calculate_task_resource_requirements


def _requirements_with_task_memory(task_definition):
    saved = task_definition.container_definitions
    task_definition.container_definitions = [
        c if (c.get("memory") or c.get("memoryReservation") or c.get("Memory") or c.get("MemoryReservation"))
        else {**c, "memory": 0}
        for c in saved
    ]
    try:
        return _requirements(task_definition)
    finally:
        task_definition.container_definitions = saved


_ecs_models.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(
    _requirements_with_task_memory
)

# ... and then fails again: its Fargate task reads the network interface's
# private DNS name, which moto's interface does not have. AWS names it after
# the private address.
from moto.ec2.models.elastic_network_interfaces import NetworkInterface as _Eni  # noqa: E402

if not hasattr(_Eni, "private_dns_name"):
    _Eni.private_dns_name = property(
        lambda self: "ip-{}.ec2.internal".format((self.private_ip_address or "10.0.0.1").replace(".", "-"))
    )


# ... and answers `Fn::GetAtt [Nested, Outputs.NAME]`, as CloudFormation does
# (moto's nested stack has no attributes at all).
def _nested_output(self, attribute_name):
    name = attribute_name.removeprefix("Outputs.")
    for o in self.outputs or []:
        if o["OutputKey"] == name:
            return o["OutputValue"]
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    raise UnformattedGetAttTemplateException()


_cfn_models.Stack.get_cfn_attribute = _nested_output

# moto's CloudFormation does not create AWS::SecretsManager::Secret (it skips
# the resource, and DescribeStackResources then fails on the stack); Copilot's
# add-on templates create secrets and output their ARNs. Create them in moto's
# Secrets Manager, `Ref` being the ARN, as in CloudFormation.
import json as _json  # noqa: E402
import secrets as _secrets  # noqa: E402

from moto.core.common_models import CloudFormationModel  # noqa: E402
from moto.secretsmanager.models import secretsmanager_backends  # noqa: E402


class _CfnSecret(CloudFormationModel):
    # moto files its models by the module they are defined in.
    __module__ = "moto.secretsmanager.cloudformation"

    def __init__(self, arn, name):
        self.arn = arn
        self.name = name

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::SecretsManager::Secret"

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Id",)

    def get_cfn_attribute(self, attribute_name):
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json.get("Properties", {})
        backend = secretsmanager_backends[account_id][region_name]
        value = props.get("SecretString")
        if value is None:
            generate = props.get("GenerateSecretString") or {}
            value = _secrets.token_urlsafe(24)
            if generate.get("SecretStringTemplate") and generate.get("GenerateStringKey"):
                doc = _json.loads(generate["SecretStringTemplate"])
                doc[generate["GenerateStringKey"]] = value
                value = _json.dumps(doc)
        answer = _json.loads(
            backend.create_secret(
                name=props.get("Name") or resource_name,
                secret_string=value,
                secret_binary=None,
                description=props.get("Description"),
                tags=props.get("Tags"),
                kms_key_id=props.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=[],
                force_overwrite=False,
            )
        )
        return cls(answer["ARN"], answer["Name"])

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        backend = secretsmanager_backends[account_id][region_name]
        backend.delete_secret(
            secret_id=resource_name,
            recovery_window_in_days=None,
            force_delete_without_recovery=True,
        )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--endpoint-file", help="write the endpoint here once serving")
    p.add_argument("--watch-pid", type=int, help="stop when this process exits")
    args = p.parse_args()

    # One line per request on stderr is noise for tests and the demo.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    if args.endpoint_file:
        tmp = args.endpoint_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(endpoint + "\n")
        os.replace(tmp, args.endpoint_file)
    print(endpoint, flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        if args.watch_pid and not alive(args.watch_pid):
            break
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
