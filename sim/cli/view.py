"""``sim view``: watch one run in the browser (Mesa's SolaraViz), served by Solara from this interpreter."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from sim.analysis.view_assets import problem

from .exits import EXIT_ENVIRONMENT


def view(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise ValueError(f"--port must be 1-65535, got {args.port}.")
    blank = problem()
    if blank:
        print(f"sim view: error: {blank}.", file=sys.stderr)
        return EXIT_ENVIRONMENT
    # the module, not the file: `solara run sim/analysis/viz.py` would put sim/analysis/ itself on sys.path
    command = [sys.executable, "-m", "solara", "run", "sim.analysis.viz", "--host", args.host,
               "--port", str(args.port), "--production", "--no-open"]
    print(f"sim view: the interactive view is at http://{args.host}:{args.port}/ (Ctrl+C stops it)", flush=True)
    if os.name == "posix":  # become the server, so that signals to `sim view` reach it
        os.execv(sys.executable, command)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0
