"""``sim search``: a robust multi-objective search for structures -> candidates, the front, its figure and page."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from sim.analysis.report.search import write_search_report
from sim.experiments.scenario import Scenario, ScenarioError
from sim.experiments.search import run_search
from sim.experiments.search.outputs import front_text
from sim.experiments.search.regret import BALANCED
from sim.experiments.search.stability import run_stability

from .exits import EXIT_FAILED_RUNS
from .inputs import client, load


def search(args: argparse.Namespace) -> int:
    scenario, text, out = load(args)
    started = time.perf_counter()
    if args.seeds or args.draw_seeds:
        return _stability(args, scenario, out, started)
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
    decision = pd.read_csv(out / "decision.csv", keep_default_na=False)
    for row in decision.itertuples():
        if row.priority == BALANCED:
            print(f"for all six criteria weighed equally, choose ({row.choice_regret_max:.3f} worst shortfall, within "
                  f"tolerance in {row.choice_within_tolerance:.0%} of the scenarios, "
                  f"{row.choice_total_cost_nok / 1e6:.1f} MNOK a year):\n  - {row.choice_description}")
    print(f"report: {out / 'report.html'}")
    failed = int((found["n_failed"] > 0).sum())
    if failed:
        print(f"{failed} structures had failed runs (infeasible): see {out / 'failures.parquet'}.", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return 0


def _stability(args: argparse.Namespace, scenario: Scenario, out: Path, started: float) -> int:
    """``--seeds``/``--draw-seeds``: the search under each pair of seeds, and what holds in all of them."""
    if args.dask:
        raise ScenarioError("--seeds and --draw-seeds run the searches one after another on local workers; "
                            "leave out --dask")
    seeds = args.seeds or [scenario.search.seed]
    draw_seeds = args.draw_seeds or [scenario.design.seed]
    for name, values in (("--seeds", seeds), ("--draw-seeds", draw_seeds)):
        if len(set(values)) < len(values) or min(values) < 0:
            raise ScenarioError(f"{name}: give distinct seeds >= 0, got {values}")
    table = run_stability(scenario, seeds, draw_seeds, out, workers=args.workers, resume=args.resume,
                          quiet=args.quiet, present=write_search_report)
    print(f"{scenario.name}: {len(seeds) * len(draw_seeds)} searches (seeds {seeds} x draw seeds {draw_seeds}) in "
          f"{time.perf_counter() - started:.1f} s -> {out}")
    for row in table.itertuples():
        same = "the same in every search" if row.same_choice else (
            f"{row.modal_share:.0%} of the searches; base model {'always ' + row.base_models if row.same_base_model else 'varies: ' + row.base_models}")
        print(f"  {row.priority}: {same}: {row.modal_description}")
    print(f"table: {out / 'stability.csv'}")
    return 0
