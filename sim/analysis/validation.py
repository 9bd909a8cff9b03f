"""The simulated verdicts set beside the report's for a reader, and the committed reference tables.

:mod:`sim.experiments.orderings` holds the report's verdicts and the rule that scores a
batch on them (``docs/VALIDATION.md``); here a batch that cannot be compared is refused
with what it lacks, the verdicts are laid out as tables 4-6 are, and the three tables of
``results/reference/`` are written byte-stably.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiments.orderings import MODELS, ordering_table, present_models, verdicts
from sim.simulation.metrics import CRITERIA


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
