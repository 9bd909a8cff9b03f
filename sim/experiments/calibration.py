"""Bayesian calibration: history matching, then ABC rejection, then posterior predictive verdicts.

The calibrated parameters and their uniform priors are :data:`sim.simulation.parameters.PRIORS` (each
acts on every structure alike).  The data are the 14 strict orderings of seed 000 tables
4-6 under the report's premise (no change of mandate); the distance of a parameter point
is the mean over the orderings of how far each is from holding significantly,
``max(0, 1.96 - z)`` with ``z`` the Welch statistic of the difference on the report's side
(capped at ±10, so one hopeless ordering cannot drown the others).

1. *Wave 1* (history matching): a Latin hypercube over the priors; the points whose
   distance is among the lowest ``keep`` share bound the non-implausible box.
2. *Wave 2* (ABC rejection): a Latin hypercube over that box; the points within the
   ``accept`` quantile of the distance are the posterior sample (uniform prior and
   uniform proposal on the box: equal weights, so the effective sample size is the
   number accepted).
3. *Posterior predictive*: each posterior draw is simulated again with a fresh seed, and
   every ordering, verdict cell and held-out pattern is scored on it; the share of draws
   that reproduce it is its probability, with Clopper-Pearson intervals at a
   Bonferroni family-wise level and Holm-adjusted p-values for "more likely than not".

Every wave and every draw is an ordinary batch (:func:`sim.experiments.batch.run_batch`), so the
calibration runs on the same backends (workers, Dask) and resumes after a kill without
redoing a finished simulation.  The method and its outcome are in ``docs/CALIBRATION.md``.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.simulation.parameters import PRIORS

from .batch import run_batch
from .orderings import MODELS, ordering_table, verdicts
from .runner import write_atomic, write_parquet_atomic
from .scenario import Scenario

CALIBRATED: tuple[str, ...] = tuple(p.name for p in PRIORS)
Z_95 = 1.959963984540054  # the two-sided 95 % normal quantile: an ordering "holds" past it
Z_CAP = 10.0  # a Welch statistic beyond this is as decisive as it gets; caps one ordering's shortfall at 12
FAMILY_LEVEL = 0.95  # family-wise coverage of the posterior predictive intervals
ENDING = "model2_programme_ends"  # held-out variant: model 2's programme not renewed after three years


def shortfalls(runs: pd.DataFrame) -> pd.Series:
    """Per ordering (``criterion: lower < higher``): how far it is from holding, ``max(0, 1.96 - z)``."""
    table = ordering_table(runs)
    half = (table["ci95_high"] - table["ci95_low"]) / 2
    z = table["difference"] / (half / Z_95).replace(0.0, np.nan)
    z = z.fillna(np.sign(table["difference"]) * Z_CAP).clip(-Z_CAP, Z_CAP)  # no spread: the sign decides
    names = table["criterion"] + ": " + table["lower"] + " < " + table["higher"]
    return pd.Series(np.maximum(0.0, Z_95 - z).to_numpy(), index=names.to_numpy())


def point_distances(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per design point: the calibrated parameters' values and the distance to the report's orderings."""
    rows = []
    for point, data in runs.groupby("point", sort=True):
        gaps = shortfalls(data)
        rows.append({"point": int(point), **{n: float(data[n].iloc[0]) for n in CALIBRATED},
                     "distance": float(gaps.mean()), "orderings_holding": int((gaps == 0).sum())})
    return pd.DataFrame(rows)


def _wave(scenario: Scenario, box: dict[str, tuple[float, float]], wave: int) -> Scenario:
    design = scenario.design.model_copy(update={"ranges": {n: list(box[n]) for n in CALIBRATED},
                                                "seed": scenario.design.seed + wave})
    return scenario.model_copy(update={"name": f"{scenario.name}_wave{wave}", "design": design,
                                       "structures": list(MODELS), "mandate_change_week": "never"})


def check_calibration_scenario(scenario: Scenario) -> None:
    """The calibration scenario's design is a Latin hypercube over exactly the priors of the parameter table."""
    priors = {p.name: [p.low, p.high] for p in PRIORS}
    ranges = {n: [float(v) for v in r] for n, r in scenario.design.ranges.items()}
    if scenario.design.kind != "lhs" or ranges != priors:
        raise ValueError("the calibration scenario needs design kind = \"lhs\" with ranges equal to the priors of "
                         f"sim.simulation.parameters.PRIORS ({priors}); got kind {scenario.design.kind!r}, "
                         f"ranges {ranges}.")


def calibrate(scenario: Scenario, *, out: str | os.PathLike[str] | None = None, workers: int | None = None,
              client: Any = None, quiet: bool = True, keep: float = 0.25, accept: float = 0.25,
              predictive_replications: int = 30) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Run both waves and the posterior predictive; write ``posterior.parquet``, ``predictive.csv``, ``diagnostics.json``.

    Returns ``(posterior, predictive, diagnostics)``.  Re-running into the same folder
    resumes: finished simulations are kept.
    """
    check_calibration_scenario(scenario)
    if not (0 < keep <= 1 and 0 < accept <= 1):
        raise ValueError(f"keep and accept must be shares in (0, 1], got keep={keep}, accept={accept}.")
    folder = Path(out) if out is not None else scenario.output_dir
    started = time.perf_counter()
    batch = {"workers": workers, "client": client, "quiet": quiet, "resume": True, "rerun_stale": True}
    prior_box = {p.name: (p.low, p.high) for p in PRIORS}
    first = point_distances(run_batch(_wave(scenario, prior_box, 1), out=folder / "wave1", **batch))
    kept = first[first["distance"] <= first["distance"].quantile(keep)]
    box = {n: (float(kept[n].min()), float(kept[n].max())) for n in CALIBRATED}
    box = {n: (lo, hi) if hi > lo else prior_box[n] for n, (lo, hi) in box.items()}
    second = point_distances(run_batch(_wave(scenario, box, 2), out=folder / "wave2", **batch))
    epsilon = float(second["distance"].quantile(accept))
    posterior = second[second["distance"] <= epsilon].reset_index(drop=True)
    predictive = posterior_predictive(posterior, scenario, folder / "predictive", predictive_replications, batch)
    n_runs = (len(first) + len(second)) * len(MODELS) * scenario.max_replications
    n_runs += len(posterior) * (len(MODELS) + 1) * predictive_replications
    diagnostics = {
        "method": "history matching (wave 1) then ABC rejection (wave 2) on the 14 orderings, no change of mandate",
        "calibrated": list(CALIBRATED),
        "priors": {p.name: [p.low, p.high] for p in PRIORS},
        "waves": [
            {"wave": 1, "points": len(first), "kept": len(kept), "keep": keep,
             "distance_quantile": float(first["distance"].quantile(keep)), "box": {n: list(b) for n, b in box.items()}},
            {"wave": 2, "points": len(second), "accepted": len(posterior), "accept": accept, "epsilon": epsilon,
             "acceptance_rate": len(posterior) / len(second)},
        ],
        "effective_sample_size": len(posterior),
        "runs": n_runs,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "posterior": summary(posterior).to_dict(orient="records"),
    }
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(posterior, folder / "posterior.parquet")
    predictive.to_csv(folder / "predictive.csv", index=False, float_format="%.6g")
    write_atomic(folder / "diagnostics.json", json.dumps(diagnostics, indent=2).encode())
    return posterior, predictive, diagnostics


def summary(posterior: pd.DataFrame) -> pd.DataFrame:
    """Per calibrated parameter: prior range, posterior median and 90 % interval, and whether it piles at an edge."""
    rows = []
    for p in PRIORS:
        values = posterior[p.name].to_numpy(float)
        lo, med, hi = np.quantile(values, [0.05, 0.5, 0.95]) if len(values) else (math.nan,) * 3
        width = p.high - p.low
        edge = "low" if med - p.low < 0.1 * width else ("high" if p.high - med < 0.1 * width else "")
        rows.append({"parameter": p.name, "prior_low": p.low, "prior_high": p.high, "median": float(med),
                     "q05": float(lo), "q95": float(hi), "at_edge": edge})
    return pd.DataFrame(rows)


def _ending_model() -> dict[str, Any]:
    """Model 2 whose programme ends after three years instead of being renewed (004 §4.1), declared as data."""
    return {"extends": "model2",
            "arena": {"Cross-sector programme board": {"period_weeks": 156, "renewed": False}}}


def posterior_predictive(posterior: pd.DataFrame, scenario: Scenario, folder: Path, replications: int,
                         batch: dict[str, Any]) -> pd.DataFrame:
    """Simulate every posterior draw afresh and score each ordering, verdict cell and held-out pattern on it."""
    scores: list[dict[str, bool]] = []
    for k, row in posterior.iterrows():
        draw = scenario.model_copy(update={
            "name": f"{scenario.name}_draw{k}", "structures": [*MODELS, ENDING], "models": {ENDING: _ending_model()},
            "parameters": {**scenario.parameters, **{n: float(row[n]) for n in CALIBRATED}},
            "design": type(scenario.design)(), "replications": replications, "seed": scenario.seed + 1,
            "mandate_change_week": "never"})
        runs = run_batch(draw, out=folder / f"draw_{k:03d}", **batch)
        scores.append(_score_draw(runs))
    return _probabilities(pd.DataFrame(scores))


def _score_draw(runs: pd.DataFrame) -> dict[str, bool]:
    from .intervals import welch_interval

    out: dict[str, bool] = {}
    for r in ordering_table(runs).itertuples(index=False):
        out[f"ordering | {r.criterion}: {r.lower} < {r.higher}"] = bool(r.reproduced)
    for r in verdicts(runs).itertuples(index=False):
        out[f"cell | {r.criterion}: {r.structure} {r.report}"] = bool(r.agrees)
    steps = runs.assign(mean_step=sum(k * runs[f"level_{k}_share"] for k in range(5)))
    kept = steps.loc[steps["structure"] == "model2", "mean_step"].to_numpy(float)
    ended = steps.loc[steps["structure"] == ENDING, "mean_step"].to_numpy(float)
    out["held-out | 004 §4.1: the staircase is lower after a programme ends"] = bool(welch_interval(ended, kept)[1] > 0)
    hod1 = runs.loc[runs["structure"] == "model1", "effort_share_HOD"].to_numpy(float)
    hod2 = runs.loc[runs["structure"] == "model2", "effort_share_HOD"].to_numpy(float)
    out["held-out | 000 model 1: a health tilt (HOD's effort share above model 2's)"] = bool(
        welch_interval(hod2, hod1)[1] > 0)
    return out


def _probabilities(scores: pd.DataFrame) -> pd.DataFrame:
    """Share of draws reproducing each statement, Clopper-Pearson at a Bonferroni level, Holm for p > 0.5."""
    n = len(scores)
    m = max(1, scores.shape[1])
    alpha = (1 - FAMILY_LEVEL) / m
    rows = []
    for name in scores.columns:
        k = int(scores[name].sum())
        interval = stats.binomtest(k, n).proportion_ci(1 - alpha, method="exact") if n else None
        p_more = stats.binomtest(k, n, 0.5, alternative="greater").pvalue if n else math.nan
        kind, _, what = name.partition(" | ")
        rows.append({"kind": kind, "statement": what, "draws": n, "reproduced": k,
                     "probability": k / n if n else math.nan,
                     "low": interval.low if interval else math.nan, "high": interval.high if interval else math.nan,
                     "p_more_likely_than_not": p_more})
    table = pd.DataFrame(rows)
    order = np.argsort(table["p_more_likely_than_not"].to_numpy())
    adjusted = np.empty(len(table))
    running = 0.0
    for rank, i in enumerate(order):  # Holm's step-down adjustment
        running = max(running, min(1.0, (len(table) - rank) * table["p_more_likely_than_not"].iloc[i]))
        adjusted[i] = running
    table["holm_p"] = adjusted
    return table
