"""``sim batch`` and ``sim plan``: every run of a scenario into result tables, and what that would take."""

from __future__ import annotations

import argparse
import json
import sys
import time

import pandas as pd

from sim.experiments.batch import run_batch
from sim.experiments.batch.planning import duration, make_plan
from sim.experiments.machine import cores
from sim.experiments.batch.tables import factors
from sim.experiments.scenario import ScenarioError
from sim.experiments.structural import is_structural
from sim.simulation.metrics import CRITERIA

from .exits import EXIT_FAILED_RUNS
from .inputs import client, load


def batch(args: argparse.Namespace) -> int:
    scenario, text, out = load(args)
    if scenario.search is not None:
        raise ScenarioError(f"{args.scenario}: this scenario has a [search] table; run it with `sim search "
                            f"{args.scenario}` (sim batch runs fixed plans).")
    started = time.perf_counter()
    with client(args, scenario) as dask:
        runs = run_batch(scenario, out=out, workers=args.workers, client=dask, resume=args.resume,
                         quiet=args.quiet, scenario_text=text, rerun_stale=args.rerun_stale,
                         run_time_limit=args.run_time_limit)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    invocation = manifest["invocations"][-1]
    for note in invocation["repairs"]:
        print(f"repaired: {note}")
    failed = manifest["runs_failed"]
    print(f"{scenario.name}: {len(runs)} runs finished ({invocation['runs_new']} new), {failed} failed, "
          f"in {time.perf_counter() - started:.1f} s -> {out}")
    if len(runs):
        print_summary(runs)
    if args.report and len(runs):
        from sim.analysis.report import write_report  # figures and templates: loaded only for a report

        from .printing import stages

        print(f"report: {write_report(out, progress=None if args.quiet else stages('sim batch --report'))}")
    if failed:
        print(f"{failed} runs failed: see {out / 'failures.parquet'}; `--resume` retries them.", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return 0


def plan(args: argparse.Namespace) -> int:
    scenario, _, out = load(args)
    workers = min(args.workers or cores(), cores())
    p = make_plan(scenario, out, workers, timing=not args.no_timing)
    search = scenario.search
    if search is not None:
        references = len(search.references or scenario.structures)
        runs = (search.population * search.generations + references) * p.points * scenario.max_replications
        print(f"{scenario.name}: a search of {search.generations} generations of {search.population} candidates "
              f"plus {references} references, each judged on {p.points} design points x {scenario.max_replications} "
              f"replications: at most {runs:,} runs (a candidate judged before is not run again)")
        missing, saved = max(0, runs - p.saved), p.saved
    else:
        points = f"{p.points} design point{'s' if p.points > 1 else ''}" + (f" ({p.distinct_points} distinct)"
                                                if p.distinct_points < p.points else "")
        print(f"{scenario.name}: {p.structures} structures x {p.measure_sets} measure sets x {points} = {p.groups} "
              f"groups; replications {p.replications}: {p.runs:,} runs" + (" to start with" if not
                                                                             isinstance(scenario.replications, int)
                                                                             else ""))
        missing, saved = p.missing, p.saved
    where = f"{out}: " + ("empty or absent" if not (p.saved or p.stale) else
                          f"{p.saved:,} of these runs saved" + (f", {p.stale:,} made by another scenario or other "
                                                                f"code (stale)" if p.stale else ""))
    print(where + (f"; now being written by {p.running}" if p.running else ""))
    if args.no_timing:
        return 0
    print(f"timing: {p.seconds_per_run * 1000:.0f} ms a run of {scenario.weeks} weeks (mean of up to 3, after one "
          f"warm-up of {p.compile_seconds:.1f} s that loads or compiles the kernels)")
    print(f"estimate: {missing:,} runs to go, about {duration(p.seconds_for(missing))} on {workers} worker"
          f"{'s' if workers > 1 else ''}" + ("" if saved is None else f" ({saved:,} saved runs reused)")
          + "; each worker also loads the kernels once when it starts")
    return 0


MAX_POINT_ROWS = 40  # rows of a per-point terminal summary; beyond it the points are pooled (and it says so)


def print_summary(runs: pd.DataFrame) -> None:
    """Mean criteria per group: per design point with its values when they fit on a screen, else pooled."""
    varied = factors(runs)
    structural = [c for c in varied if is_structural(c)]
    by_point = ["structure", "measures", "point", *varied]
    if runs["point"].nunique() > 1 and runs.groupby(by_point).ngroups <= MAX_POINT_ROWS:
        by = by_point
    else:
        by = ["structure", "measures", *structural]
        if runs["point"].nunique() > 1:
            print(f"(means pooled over the {runs['point'].nunique()} design points; summary_by_point.csv has each "
                  "point with its values)")
    summary = runs.groupby(by, sort=False)[list(CRITERIA)].mean()
    summary.columns = [c.replace("_", " ") for c in summary.columns]
    print(summary.round(3).to_string())
