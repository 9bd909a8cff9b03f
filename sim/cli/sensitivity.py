"""``sim sensitivity``: Morris and Sobol' indices of the six criteria -> sensitivity.csv."""

from __future__ import annotations

import argparse
import sys

from sim.experiments.sensitivity import run_sensitivity

from .inputs import client, load


def sensitivity(args: argparse.Namespace) -> int:
    scenario, _, out = load(args)
    with client(args, scenario) as dask:
        table = run_sensitivity(scenario, out=out, workers=args.workers, client=dask, resume=args.resume,
                                quiet=args.quiet)
    print(f"sensitivity indices -> {out / 'sensitivity.csv'}")
    sobol = table[table["method"] == "sobol"]
    cells = sobol.assign(cell=[("undefined" if s.startswith("undefined") else
                                f"{st:.2f} ± {conf:.2f}" + ("" if s == "ok" else " *"))
                               for st, conf, s in zip(sobol["ST"], sobol["ST_conf"], sobol["status"], strict=True)])
    print("Sobol' total-order indices ST ± 95 % bootstrap half-width (* not converged; undefined: constant output):")
    print(cells.pivot(index=["structure", "criterion"], columns="parameter", values="cell").to_string())
    shaky = sobol[sobol["status"].str.startswith("not converged")]
    if len(shaky):
        print(f"warning: {len(shaky)} of {len(sobol)} Sobol' indices are not reliable yet (CI half-width above "
              "0.1, or they moved more than 0.05 between half and all of the sample): raise design.samples, "
              "e.g. double it, and run again with --resume (the runs already made are kept).", file=sys.stderr)
    return 0
