"""The report's verdicts (seed 000, tables 4-6), the strict orderings they imply, and how a batch's runs score on them.

The report rates models 1-3 weak / medium / strong on six criteria.  Its labels are
not on one absolute scale (its "medium" means "as today" for local support but
"somewhat stronger than today" for shared understanding), so the simulation is
checked against the **strict orderings** the tables imply between the three models:
model A below model B on a criterion wherever A's label ranks below B's
(weak < medium < medium/strong < strong).  An ordering is reproduced when the 95 %
confidence interval of the difference of means (Welch) lies wholly on the report's
side of zero.  The rule is stated in ``docs/VALIDATION.md``.

The calibration fits the model to these scores (:mod:`sim.experiments.calibration`);
:mod:`sim.analysis.validation` sets them beside the report for a reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from sim.simulation.metrics import CRITERIA, HORIZON_YEARS, at_horizon

from .intervals import welch_interval

SCALE = {"weak": 0, "medium": 1, "medium/strong": 1.5, "strong": 2}
MODELS = ("model1", "model2", "model3")


@cache
def report_verdicts() -> pd.DataFrame:
    """The report's own verdicts (seed 000, tables 4-6), one row per model and criterion."""
    with resources.files("sim.data").joinpath("report_verdicts.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f)


def report_orderings() -> pd.DataFrame:
    """Every strict ordering tables 4-6 imply: criterion, lower model, higher model."""
    table = report_verdicts()
    rows = []
    for criterion in CRITERIA:
        rated = table[table["criterion"] == criterion].set_index("structure")["verdict"].map(SCALE)
        for low in MODELS:
            for high in MODELS:
                if rated[low] < rated[high]:
                    rows.append({"criterion": criterion, "lower": low, "higher": high})
    return pd.DataFrame(rows)


def present_models(runs: pd.DataFrame, measures: str = "") -> tuple[str, ...]:
    """Models 1-3 with at least two runs with ``measures`` in a batch (a Welch interval needs two)."""
    if runs.empty or "structure" not in runs:
        return ()
    counts = runs.loc[runs["measures"] == measures, "structure"].value_counts()
    return tuple(m for m in MODELS if counts.get(m, 0) >= 2)


def ordering_table(runs: pd.DataFrame, measures: str = "", years: int | None = None) -> pd.DataFrame:
    """The report's orderings among the models present, with the simulated difference (higher - lower) and CI.

    ``years``: the criteria as measured after that many years (a horizon of
    :data:`~sim.simulation.metrics.HORIZON_YEARS`) instead of at the runs' end.
    """
    data = runs[runs["measures"] == measures]
    present = present_models(runs, measures)
    rows = []
    for row in report_orderings().itertuples(index=False):
        if row.lower not in present or row.higher not in present:
            continue
        column = row.criterion if years is None else at_horizon(row.criterion, years)
        low = data.loc[data["structure"] == row.lower, column].to_numpy(float)
        high = data.loc[data["structure"] == row.higher, column].to_numpy(float)
        diff, lo, hi = welch_interval(low, high)
        rows.append({"criterion": row.criterion, "lower": row.lower, "higher": row.higher, "difference": diff,
                     "ci95_low": lo, "ci95_high": hi, "reproduced": bool(lo > 0), "n": min(len(low), len(high))})
    return pd.DataFrame(rows)


def horizons_present(runs: pd.DataFrame) -> tuple[int, ...]:
    """The horizons (years) every run of a batch reached: those its criteria were recorded at."""
    return tuple(y for y in HORIZON_YEARS
                 if at_horizon(CRITERIA[0], y) in runs and runs[at_horizon(CRITERIA[0], y)].notna().all())


def orderings_by_horizon(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """The report's orderings at each horizon the runs reached: one row per ordering, per horizon its difference,
    95 % interval and whether it is reproduced (columns suffixed ``_{years}y``)."""
    table = None
    for years in horizons_present(runs):
        at = ordering_table(runs, measures, years).drop(columns="n")
        at = at.rename(columns={c: f"{c}_{years}y" for c in ("difference", "ci95_low", "ci95_high", "reproduced")})
        table = at if table is None else table.merge(at, on=["criterion", "lower", "higher"], sort=False)
    return table if table is not None else pd.DataFrame(columns=["criterion", "lower", "higher"])


def verdicts(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """Simulated weak / medium / strong per model and criterion, beside the report's.

    A model is ``strong`` on a criterion when some other model is significantly below it
    and none significantly above, ``weak`` when some model is significantly above and
    none below, ``medium`` otherwise (significance: the Welch 95 % CI of the difference
    excludes zero).  ``agrees`` marks a cell whose every strict ordering in the report
    (against the other two models) is reproduced and which the simulation does not
    order the other way where the report rates two models equal.
    """
    data = runs[runs["measures"] == measures]
    report = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    present = present_models(runs, measures)
    rows = []
    for criterion in CRITERIA:
        values = {m: data.loc[data["structure"] == m, criterion].to_numpy(float) for m in present}
        for model in present:
            above = below = 0
            agrees = True
            for other in present:
                if other == model or len(values[model]) < 2 or len(values[other]) < 2:
                    continue
                _, lo, hi = welch_interval(values[other], values[model])
                sim = 1 if lo > 0 else (-1 if hi < 0 else 0)
                below += sim == 1
                above += sim == -1
                rep = np.sign(SCALE[report[(model, criterion)]] - SCALE[report[(other, criterion)]])
                agrees &= (sim == rep) if rep != 0 else (sim == 0)
            verdict = "strong" if below and not above else ("weak" if above and not below else "medium")
            rows.append({"structure": model, "criterion": criterion, "mean": float(values[model].mean()),
                         "simulated": verdict, "report": report[(model, criterion)], "agrees": bool(agrees)})
    return pd.DataFrame(rows)


def welch_ranks(values: Mapping[str, np.ndarray]) -> dict[str, tuple[int, int]]:
    """Each group's rank by mean (1 = highest) as the range its Welch 95 % intervals allow.

    From 1 + the groups significantly above it to the number of groups less those
    significantly below it: ``(2, 3)`` reads "2–3 of 4", a tie with the next group; one
    number, ``(k, k)``, where no interval overlaps.
    """
    ranks = {}
    for name, own in values.items():
        above = below = 0
        for other, theirs in values.items():
            if other == name:
                continue
            _, lo, hi = welch_interval(own, theirs)  # theirs - own
            above += bool(lo > 0)
            below += bool(hi < 0)
        ranks[name] = (1 + above, len(values) - below)
    return ranks


def best_by_criterion(runs: pd.DataFrame, measures: str = "",
                      criteria: tuple[str, ...] = CRITERIA) -> dict[str, tuple[str, ...]]:
    """Per criterion, the structures no other is significantly above (Welch 95 %), highest mean first: the best,
    with those tied with it."""
    data = runs[runs["measures"] == measures]
    best = {}
    for criterion in criteria:
        values = {s: group[criterion].to_numpy(float) for s, group in data.groupby("structure", sort=False)}
        ranks = welch_ranks(values)
        best[criterion] = tuple(sorted((s for s, (low, _) in ranks.items() if low == 1),
                                       key=lambda s: -float(values[s].mean())))
    return best
