"""``sim search``: a robust multi-objective search for structures -> candidates, the front, its figure and page."""

from __future__ import annotations

import argparse
import sys
import time

from sim.analysis.report.search import write_search_report
from sim.experiments.search import run_search
from sim.experiments.search.outputs import front_text

from .exits import EXIT_FAILED_RUNS
from .inputs import client, load


def search(args: argparse.Namespace) -> int:
    scenario, text, out = load(args)
    started = time.perf_counter()
    with client(args, scenario) as dask:
        result = run_search(scenario, out=out, workers=args.workers, client=dask, resume=args.resume,
                            quiet=args.quiet, scenario_text=text, rerun_stale=args.rerun_stale,
                            present=write_search_report)
    found = result.candidates
    winners = found[found["as_good_as_all_references"]]
    print(f"{scenario.name}: {len(found)} structures judged; on the front: {front_text(found)}; "
          f"{len(winners)} at least as good as every reference at no more cost, in "
          f"{time.perf_counter() - started:.1f} s -> {out}")
    for text_ in winners.sort_values("cost_person_years_mean")["description"].head(3):
        print(f"  - {text_}")
    close = found[found["criteria_as_good_as_all_references"]].sort_values("cost_person_years_mean")
    if winners.empty and len(close):
        print(f"{len(close)} are at least as good as every reference on the six criteria at a higher cost; the "
              f"cheapest ({close['cost_person_years_mean'].iloc[0]:.2f} person-years a year):\n"
              f"  - {close['description'].iloc[0]}")
    print(f"report: {out / 'report.html'}")
    failed = int((found["n_failed"] > 0).sum())
    if failed:
        print(f"{failed} structures had failed runs (infeasible): see {out / 'failures.parquet'}.", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return 0
