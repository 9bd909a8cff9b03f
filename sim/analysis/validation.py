"""Simulated verdicts beside the report's (seed 000, tables 4-6), by a documented rule.

The report rates models 1-3 weak / medium / strong on six criteria.  Its labels are
not on one absolute scale (its "medium" means "as today" for local support but
"somewhat stronger than today" for shared understanding), so the simulation is
checked against the **strict orderings** the tables imply between the three models:
model A below model B on a criterion wherever A's label ranks below B's
(weak < medium < medium/strong < strong).  An ordering is reproduced when the 95 %
confidence interval of the difference of means (Welch) lies wholly on the report's
side of zero.  The rule is stated in ``docs/VALIDATION.md``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.intervals import welch_interval
from sim.simulation.metrics import CRITERIA

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


def ordering_table(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """The report's orderings among the models present, with the simulated difference (higher - lower) and CI."""
    data = runs[runs["measures"] == measures]
    present = present_models(runs, measures)
    rows = []
    for row in report_orderings().itertuples(index=False):
        if row.lower not in present or row.higher not in present:
            continue
        low = data.loc[data["structure"] == row.lower, row.criterion].to_numpy(float)
        high = data.loc[data["structure"] == row.higher, row.criterion].to_numpy(float)
        diff, lo, hi = welch_interval(low, high)
        rows.append({"criterion": row.criterion, "lower": row.lower, "higher": row.higher, "difference": diff,
                     "ci95_low": lo, "ci95_high": hi, "reproduced": bool(lo > 0), "n": min(len(low), len(high))})
    return pd.DataFrame(rows)


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


class NotComparable(ValueError):
    """A batch that cannot be set beside the report: two of models 1-3 need two or more replications each."""


def require_models(runs: pd.DataFrame, measures: str = "") -> tuple[str, ...]:
    """The models 1-3 present, or a refusal saying what is missing when fewer than two are.

    Welch intervals need two values per model and an ordering two models, so a batch with
    fewer would yield silent ``medium`` / nan rows instead.  With two models present, the
    verdicts and orderings are those among them.
    """
    if runs.empty or not {"structure", "measures", *CRITERIA} <= set(runs.columns):
        raise NotComparable("it holds no finished runs with the six criteria; "
                            "the comparison needs a `sim batch` of at least two of model1, model2 and model3.")
    present = present_models(runs, measures)
    if len(present) < 2:
        data = runs[runs["measures"] == measures]
        counts = {m: int((data["structure"] == m).sum()) for m in MODELS}
        label = f"measures {measures!r}" if measures else "no measures"
        have = ", ".join(f"{m}: {n}" for m, n in counts.items())
        sets = ", ".join(repr(s) for s in sorted(runs["measures"].unique()))
        raise NotComparable(f"the comparison needs at least 2 replications each of two or more of model1, model2 "
                            f"and model3 with {label}; it has {have} (measure sets in the batch: {sets}).")
    return present


def side_by_side(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """The report's verdict table with the simulated verdicts beside it: one row per criterion.

    Per model present (all three in a comparison of the report's models): ``{model}_mean`` (simulated mean), ``{model}_simulated`` and ``{model}_report``
    (weak / medium / strong) and ``{model}_agrees`` (see :func:`verdicts`).  Wide, so that
    it reads like tables 4-6 and diffs line by line when committed.
    """
    present = require_models(runs, measures)
    cells = verdicts(runs, measures).set_index(["criterion", "structure"])
    rows = []
    for criterion in CRITERIA:
        row: dict[str, object] = {"criterion": criterion}
        for model in present:
            cell = cells.loc[(criterion, model)]
            row |= {f"{model}_mean": float(cell["mean"]), f"{model}_simulated": cell["simulated"],
                    f"{model}_report": cell["report"], f"{model}_agrees": bool(cell["agrees"])}
        rows.append(row)
    return pd.DataFrame(rows)


REFERENCE_FILES = ("summary.csv", "verdicts.csv", "orderings.csv")
FLOAT_FORMAT = "%.6g"  # six significant digits: far finer than any 95 % CI, stable as text


def reference_tables(runs: pd.DataFrame, measures: str = "") -> dict[str, pd.DataFrame]:
    """The three tables of the committed reference, by file name (see ``docs/VALIDATION.md``)."""
    from sim.experiments.batch import summarise  # batch pulls in the runner; only the reference needs it

    return {"summary.csv": summarise(runs, ["structure", "measures"]),
            "verdicts.csv": side_by_side(runs, measures),
            "orderings.csv": ordering_table(runs, measures)}


def write_reference(runs: pd.DataFrame, folder: str | Path, measures: str = "") -> list[Path]:
    """Write the reference tables as stable text; the one writer `sim compare-report --save` and the test share.

    Fixed float format and ``\\n`` line ends make the files byte-identical for identical
    runs on every platform, so ``tests/test_reference.py`` can compare bytes and a
    recalibration shows up as a readable diff.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in reference_tables(runs, measures).items():
        path = folder / name
        table.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        written.append(path)
    return written
