"""``sim view``: watch one run in the browser (Mesa's SolaraViz), served by Solara from this interpreter."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import time

from sim.analysis.view_assets import problem

from .exits import EXIT_ENVIRONMENT


def view(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise ValueError(f"--port must be 1-65535, got {args.port}.")
    blank = problem()
    if blank:
        print(f"sim view: error: {blank}.", file=sys.stderr)
        return EXIT_ENVIRONMENT
    if _listening(args.host, args.port):
        print(f"sim view: error: something already listens at {args.host}:{args.port}; choose another --port.",
              file=sys.stderr)
        return EXIT_ENVIRONMENT
    # the module, not the file: `solara run sim/analysis/viz.py` would put sim/analysis/ itself on sys.path
    command = [sys.executable, "-m", "solara", "run", "sim.analysis.viz", "--host", args.host,
               "--port", str(args.port), "--production", "--no-open"]
    return serve(command, args.host, args.port)


def serve(command: list[str], host: str, port: int, poll_s: float = 0.25) -> int:
    """Run the server ``command``; say "ready at" once it accepts connections on ``host:port``; its exit status.

    SIGTERM to ``sim view`` is passed on to the server; Ctrl+C reaches both (one process group), and
    ``sim view`` waits for the server to end.
    """
    address = f"http://{host}:{port}/"
    print(f"sim view: starting the server for {address} (half a minute or so; Ctrl+C stops it) ...", flush=True)
    server = subprocess.Popen(command)
    previous = signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        while server.poll() is None:
            if _listening(host, port):
                print(f"sim view: ready at {address}", flush=True)
                break
            time.sleep(poll_s)
        return server.wait()
    except KeyboardInterrupt:
        return server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _listening(host: str, port: int) -> bool:
    """Whether something accepts a connection at ``host:port`` (a wildcard host is asked on this machine)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((target, port), timeout=1):
            return True
    except OSError:
        return False
