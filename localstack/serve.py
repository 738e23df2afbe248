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

from moto.server import ThreadedMotoServer


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
