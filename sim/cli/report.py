"""``sim report``: figures and one self-contained report.html of a finished batch, a line per stage on stderr."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.report import write_report

from .printing import stages


def report(args: argparse.Namespace) -> int:
    path = write_report(Path(args.folder), mandate_change=args.mandate_change, progress=stages("sim report"))
    print(f"report: {path}")
    return 0
