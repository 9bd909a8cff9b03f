"""``sim report``: figures and one self-contained report.html of a finished batch, a line per stage on stderr."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sim.analysis.report import write_report


def stages(name: str) -> Callable[[str], None]:
    """A progress callback: one line per stage on stderr, with the seconds since the command started."""
    start = time.perf_counter()

    def say(stage: str) -> None:
        print(f"{name}: {stage} ... ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)

    return say


def report(args: argparse.Namespace) -> int:
    path = write_report(Path(args.folder), mandate_change=args.mandate_change, progress=stages("sim report"))
    print(f"report: {path}")
    return 0
