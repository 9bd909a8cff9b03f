"""Pattern-oriented calibration: score parameter sets on the report's orderings.

A calibration batch is an ordinary scenario with a Latin-hypercube (or Sobol')
design over uncertain behavioural parameters, run through :func:`sim.batch.run_batch`.
Each design point is scored on the 14 strict orderings tables 4-6 of seed 000 imply
(:func:`sim.validation.ordering_table`, one rule for the whole package): how many
it reproduces with a 95 % CI that excludes zero, and how many it gets the direction
of.  Candidates are ranked by orderings reproduced, ties going to the point that
moves the documented defaults least; :func:`verify` re-runs the best few, rounded,
with 100 replications and keeps the one with the widest margin.  The method and
its outcome are recorded in ``docs/CALIBRATION.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .batch import run_batch
from .parameters import BY_NAME
from .scenario import Scenario
from .validation import ordering_table


def score_points(runs: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """One row per design point: its parameter values, orderings reproduced and in the report's direction."""
    rows = []
    for point, data in runs.groupby("point", sort=True):
        values = {name: float(data[name].iloc[0]) for name in parameters}
        rows.append({"point": int(point), **values, **ordering_score(data, values, parameters)})
    scores = pd.DataFrame(rows)
    return scores.sort_values(["reproduced", "direction", "prior_distance"], ascending=[False, False, True],
                              kind="stable").reset_index(drop=True)


def ordering_score(runs: pd.DataFrame, values: dict[str, float], parameters: list[str]) -> dict[str, float]:
    """One candidate's score: orderings reproduced, in the report's direction, the lowest CI bound, prior distance."""
    table = ordering_table(runs)
    return {"reproduced": int(table["reproduced"].sum()), "direction": int((table["difference"] > 0).sum()),
            "worst_margin": float(table["ci95_low"].min()), "prior_distance": prior_distance(values, parameters)}


def prior_distance(values: dict[str, float], parameters: list[str]) -> float:
    """Root-mean-square distance from the documented prior defaults, each parameter scaled by its allowed range."""
    gaps = [(values[n] - BY_NAME[n].default) / (BY_NAME[n].high - BY_NAME[n].low) for n in parameters]
    return float(np.sqrt(np.mean(np.square(gaps)))) if gaps else 0.0


def calibrate(scenario: Scenario, *, out: str | os.PathLike[str] | None = None, workers: int | None = None,
              resume: bool = True, quiet: bool = True) -> pd.DataFrame:
    """Run the calibration batch and write ``calibration.csv`` (points best first) beside its runs."""
    folder = Path(out) if out is not None else scenario.output_dir
    runs = run_batch(scenario, out=folder, workers=workers, resume=resume, quiet=quiet)
    parameters = sorted(scenario.design.ranges)
    scores = score_points(runs, parameters)
    scores.to_csv(folder / "calibration.csv", index=False, float_format="%.6g")
    return scores


def plausible_values(row: pd.Series, parameters: list[str]) -> dict[str, float]:
    """A candidate's values rounded to two significant figures (whole numbers for integer parameters)."""
    out = {}
    for name in parameters:
        value = float(row[name])
        out[name] = round(value) if BY_NAME[name].integer else float(f"{value:.2g}")
    return out


def verify(scores: pd.DataFrame, scenario: Scenario, *, top: int = 6, replications: int = 100,
           out: str | os.PathLike[str] | None = None, workers: int | None = None) -> pd.DataFrame:
    """Re-run the ``top`` candidates, rounded, with ``replications`` runs per model; score them again.

    Best first: most orderings reproduced, then the widest worst margin (the lowest
    CI bound over the orderings), so the chosen defaults are not a knife-edge fit.

    Uses the calibration scenario's seed, so the final check on ``compare_models.toml``
    (another seed) stays independent of the choice.
    """
    folder = Path(out) if out is not None else scenario.output_dir / "verify"
    parameters = sorted(scenario.design.ranges)
    rows = []
    for _, row in scores.head(top).iterrows():
        values = plausible_values(row, parameters)
        check = scenario.model_copy(update={"name": f"{scenario.name}_verify_{int(row['point'])}",
                                            "parameters": {**scenario.parameters, **values},
                                            "design": type(scenario.design)(), "replications": replications})
        runs = run_batch(check, out=folder / f"point_{int(row['point'])}", workers=workers, resume=True, quiet=True)
        rows.append({"point": int(row["point"]), **values, **ordering_score(runs, values, parameters)})
    checked = pd.DataFrame(rows).sort_values(["reproduced", "worst_margin"], ascending=[False, False], kind="stable")
    checked.to_csv(folder / "verify.csv", index=False, float_format="%.6g")
    return checked.reset_index(drop=True)
