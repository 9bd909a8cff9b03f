"""``sim calibrate``: screen, calibrations A and B, posterior predictive -> results/calibration/ (CALIBRATION.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.plots.calibration import save_calibration_figures
from sim.experiments.calibration import calibrate as run_calibration

from .inputs import load
from .printing import print_table


def calibrate(args: argparse.Namespace) -> int:
    scenario, _, out = load(args)
    folder = Path(out)
    diagnostics = run_calibration(scenario, out=folder, workers=args.workers, quiet=args.quiet, restart=args.restart)
    for label, what in (("A", "the seeds' process patterns"), ("B", "the patterns and the report's 14 orderings")):
        stage = diagnostics[label]
        print(f"calibration {label} on {what}: {len(stage['generations'])} generations, "
              f"{stage['simulations']} particles simulated, final epsilon {stage['final_epsilon']:.3g}, "
              f"ESS {stage['ess']:.0f}")
        print_table(["parameter", "prior", "posterior median", "90 % interval", "width / prior's"],
                    [[r["parameter"], f"[{r['prior'][0]:g}, {r['prior'][1]:g}]", f"{r['posterior_median']:.3g}",
                      f"[{r['posterior_90'][0]:.3g}, {r['posterior_90'][1]:.3g}]", f"{r['width_ratio']:.2f}"]
                     for r in stage["parameters"]])
        print()
    figures = save_calibration_figures(folder)
    seconds = diagnostics["wall_seconds"]["total"]
    print(f"{diagnostics['points_simulated']} points simulated in {seconds:.0f} s -> {folder}: "
          f"posterior.parquet, predictive.csv, diagnostics.json, screen.csv, figures/ ({len(figures)} figures); "
          "`sim compare-report DIR --posterior` shows each ordering's probability beside the report's verdicts")
    return 0
