#!/usr/bin/env python3
"""Runs an OCI registry (Debian's docker-registry) on 127.0.0.1, to stand
behind sidecarctl-localproxy as ECR's registry endpoint (`--registry`).

Prints the endpoint (http://127.0.0.1:PORT) on stdout once it answers, and
serves until SIGTERM or, with --watch-pid, until that process is gone. Its
storage is a temporary directory, removed when it stops.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--watch-pid", type=int, help="stop when this process exits")
    args = p.parse_args()
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if not binary:
        sys.exit("localstack/registry.py: needs Debian's docker-registry (apt-get install docker-registry)")
    port = args.port or free_port()
    storage = tempfile.mkdtemp(prefix="sidecarctl-registry-")
    config = os.path.join(storage, "config.yml")
    with open(config, "w") as f:
        f.write(
            "version: 0.1\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}/data\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
            "log:\n  level: error\n"
        )
    child = subprocess.Popen([binary, "serve", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(*_):
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
        shutil.rmtree(storage, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            urllib.request.urlopen(endpoint + "/v2/", timeout=1)
            break
        except Exception:
            if child.poll() is not None or time.time() > deadline:
                print("localstack/registry.py: the registry did not start", file=sys.stderr)
                stop()
            time.sleep(0.1)
    print(endpoint, flush=True)
    while child.poll() is None:
        if args.watch_pid and not alive(args.watch_pid):
            stop()
        time.sleep(0.5)
    stop()


if __name__ == "__main__":
    main()
