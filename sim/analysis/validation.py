"""The simulated verdicts set beside the report's for a reader, and the committed reference tables.

:mod:`sim.experiments.orderings` holds the report's verdicts and the rule that scores a
batch on them (``docs/VALIDATION.md``); here a batch that cannot be compared is refused
with what it lacks, the verdicts are laid out as tables 4-6 are, and the three tables of
``results/reference/`` are written byte-stably.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.labels import model_label, pretty
from sim.experiments.orderings import (MODELS, SCALE, best_by_criterion, ordering_table, present_models,
                                       report_verdicts, verdicts)
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


def premise(mandate_change_week: object) -> str:
    """A batch's premise about model 3's change of mandate, in words (``None``: not recorded)."""
    if mandate_change_week is None:
        return "an unrecorded premise about the mandate"
    return "no change of mandate" if mandate_change_week == "never" else \
        f"a change of mandate in week {mandate_change_week}"


def _held(orderings: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per criterion: orderings reproduced and orderings checked."""
    if orderings.empty:
        return {}
    return {c: (int(part["reproduced"].sum()), len(part)) for c, part in orderings.groupby("criterion", sort=False)}


def answer(runs: pd.DataFrame, measures: str = "", week: object = None, other: pd.DataFrame | None = None,
           other_week: object = None) -> dict[str, Any]:
    """What a batch answers, for the top of its report: sentences, and one row per criterion.

    The report's orderings reproduced (Welch 95 %, :func:`~sim.experiments.orderings.ordering_table`),
    the best structure per criterion with those whose intervals do not separate them from it
    (:func:`~sim.experiments.orderings.best_by_criterion`), the report's own strongest model, and,
    when ``other`` (the same models under the other premise about the mandate, ``other_week``)
    is given, what that premise changes.  ``week``: this batch's ``mandate_change_week``.
    """
    comparable = len(present_models(runs, measures)) >= 2
    orderings = ordering_table(runs, measures) if comparable else pd.DataFrame()
    best, held = best_by_criterion(runs, measures), _held(orderings)
    report = report_verdicts()
    rows = []
    for criterion in CRITERIA:
        rated = report[report["criterion"] == criterion].set_index("structure")["verdict"]
        top = max(SCALE[v] for v in rated)
        rows.append({"criterion": criterion, "best": best[criterion],
                     "report_best": tuple(m for m in MODELS if SCALE[rated[m]] == top), "held": held.get(criterion)})
    counts = {"reproduced": int(orderings["reproduced"].sum()), "total": len(orderings)} if comparable else None
    sentences = []
    if counts:
        sentences.append(f"{counts['reproduced']} of the report's {counts['total']} orderings of models 1–3 hold in "
                         f"this batch under {premise(week)} (the Welch 95 % interval of the difference lies on the "
                         "report's side of zero).")
    else:
        sentences.append("This batch has fewer than two of the report's models 1–3 with two or more runs each, so "
                         "the report's orderings cannot be checked here.")
    leaders = pd.Series([r["best"][0] for r in rows if len(r["best"]) == 1]).value_counts()
    if not leaders.empty:
        lead, wins = leaders.index[0], int(leaders.iloc[0])
        ties = sum(len(r["best"]) > 1 for r in rows)
        sentences.append(f"{model_label(lead)} is alone best on {wins} of the six criteria"
                         + (f"; on {ties} the best structures' intervals overlap, so they share the place." if ties
                            else "."))
    else:
        sentences.append("On every criterion the best structures' intervals overlap: none is alone best.")
    change = None
    if other is not None and len(present_models(other, measures)) >= 2:
        theirs = ordering_table(other, measures)
        key = ["criterion", "lower", "higher"]
        both = orderings.merge(theirs, on=key, suffixes=("", "_other")) if comparable else pd.DataFrame()
        flips = [f"{pretty(r.criterion)}: {model_label(r.lower)} < {model_label(r.higher)} "
                 f"{'holds only' if r.reproduced_other else 'no longer holds'} with {premise(other_week)}"
                 for r in both.itertuples(index=False) if r.reproduced != r.reproduced_other]
        other_best, other_held = best_by_criterion(other, measures), _held(theirs)
        for row in rows:
            row["other_best"], row["other_held"] = other_best[row["criterion"]], other_held.get(row["criterion"])
        change = {"premise": premise(other_week), "reproduced": int(theirs["reproduced"].sum()),
                  "total": len(theirs), "flips": flips}
        moved = [pretty(r["criterion"]) for r in rows if set(r["best"]) != set(r["other_best"])]
        sentences.append(f"With {premise(other_week)}, {change['reproduced']} of {change['total']} hold"
                         + (f"; the best structure changes on {', '.join(moved)}." if moved
                            else "; the best structure per criterion stays the same."))
    return {"sentences": sentences, "orderings": counts, "rows": rows, "change": change, "measures": measures}
