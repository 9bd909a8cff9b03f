"""``sim report``: figures and one self-contained report.html of a finished batch."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.report import write_report


def report(args: argparse.Namespace) -> int:
    print(f"report: {write_report(Path(args.folder))}")
    return 0
