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
