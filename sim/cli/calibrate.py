"""``sim calibrate``: Bayesian calibration on the report's orderings -> posterior, diagnostics, predictive."""

from __future__ import annotations

import argparse

from sim.experiments import calibration

from .inputs import client, load
from .printing import print_table


def calibrate(args: argparse.Namespace) -> int:
    scenario, _, out = load(args)
    with client(args, scenario) as dask:
        posterior, predictive, diagnostics = calibration.calibrate(
            scenario, out=out, workers=args.workers, client=dask, quiet=args.quiet, keep=args.keep,
            accept=args.accept, predictive_replications=args.predictive_replications)
    waves = diagnostics["waves"]
    print(f"wave 1: {waves[0]['points']} points, kept {waves[0]['kept']}; wave 2: {waves[1]['points']} points in the "
          f"kept box, accepted {waves[1]['accepted']} (acceptance {waves[1]['acceptance_rate']:.2f}, "
          f"epsilon {waves[1]['epsilon']:.3f}); {diagnostics['runs']} runs in {diagnostics['wall_seconds']:.0f} s")
    print(f"posterior -> {out / 'posterior.parquet'}; diagnostics -> {out / 'diagnostics.json'}\n")
    print_table(["parameter", "prior", "posterior median", "90 % interval", "at an edge"],
                 [[r["parameter"], f"[{r['prior_low']:g}, {r['prior_high']:g}]", f"{r['median']:.3g}",
                   f"[{r['q05']:.3g}, {r['q95']:.3g}]", r["at_edge"] or "-"] for r in diagnostics["posterior"]])
    print(f"\nposterior predictive ({len(posterior)} draws) -> {out / 'predictive.csv'}; "
          "`sim compare-report DIR --posterior` shows it beside the report's verdicts")
    return 0
