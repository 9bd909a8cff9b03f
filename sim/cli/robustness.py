"""``sim robustness``: the share of design points where each verdict holds, and PRIM boxes where rankings flip."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.analysis.robustness import robustness_report


def robustness(args: argparse.Namespace) -> int:
    text = robustness_report(Path(args.folder), measures=args.measures)
    print(text)
    if args.save:
        save = Path(args.save)
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(text + "\n", encoding="utf-8")
        print(f"-> {save}", file=sys.stderr)
    return 0
