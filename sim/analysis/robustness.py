"""How robust is the comparison of the organisation models to the parameters nobody knows?

An uncertainty batch (``scenarios/uncertainty.toml``) runs every model at each point
of a Latin hypercube over the assumed parameters, with a few replications per point.
This module asks two questions of it:

1. **How often does the simulation agree with the report?**  The verdict rule of
   :mod:`sim.validation` is applied to each design point's replications on their own,
   as if that point were the truth, and we count the share of points at which each
   table cell agrees (:func:`verdict_shares`) and each of the report's strict orderings
   is reproduced or at least points the report's way (:func:`ordering_shares`).  The
   rule itself lives only in :mod:`sim.validation`; nothing here re-decides it.
2. **Where does a ranking flip?**  Scenario discovery (:func:`discover`) fits PRIM
   (ema_workbench) to the design points, labelled by whether the lower-rated model's
   mean beats the higher-rated one's, and returns the box of parameter values in which
   flips are the rule: the conditions under which the report's ranking would not hold.

:func:`robustness_report` renders both as Markdown; ``python -m sim.robustness DIR`` prints it.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import pandas as pd

from sim.experiments.orderings import MODELS, ordering_table, verdicts
from sim.simulation.parameters import BY_NAME

THRESHOLD = 0.8  # PRIM density a box must reach: at least 4 in 5 of its points flip
PRIM_SHARES = (0.05, 0.95)  # flip shares for which a box is worth looking for (see robustness_report)


# --- shares of design points that agree with the report ---
def _points(runs: pd.DataFrame, measures: str) -> Iterator[tuple[int, pd.DataFrame]]:
    """Each design point's runs, skipping points where a model has fewer than 2 finished runs.

    With fewer than 2 runs no interval can be formed; ``verdicts`` would then count the
    cell as agreeing by default, which would inflate the shares.
    """
    data = runs[(runs["measures"] == measures) & runs["structure"].isin(MODELS)]
    for point, group in data.groupby("point", sort=True):
        counts = group["structure"].value_counts()
        if all(counts.get(m, 0) >= 2 for m in MODELS):
            yield int(point), group


def point_verdicts(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """:func:`sim.validation.verdicts` of every design point on its own, stacked with a ``point`` column."""
    frames = [verdicts(group, measures).assign(point=point) for point, group in _points(runs, measures)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["structure", "criterion", "mean", "simulated", "report", "agrees", "point"])


def point_orderings(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """:func:`sim.validation.ordering_table` of every design point on its own, with a ``point`` column."""
    frames = [ordering_table(group, measures).assign(point=point) for point, group in _points(runs, measures)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["criterion", "lower", "higher", "difference", "ci95_low", "ci95_high", "reproduced", "n", "point"])


def verdict_shares(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """Per table cell (model x criterion): the share of design points where the simulated cell agrees.

    Columns: ``structure, criterion, report`` (the report's verdict), ``agree_share``,
    ``weak_share, medium_share, strong_share`` (how often the simulation gives each
    verdict) and ``points`` (design points counted).  A share near 1 means the report's
    verdict holds whatever the uncertain parameters are, within the design's ranges.
    """
    table = point_verdicts(runs, measures)
    shares = table.groupby(["structure", "criterion", "report"], sort=False).agg(
        agree_share=("agrees", "mean"),
        weak_share=("simulated", lambda s: float((s == "weak").mean())),
        medium_share=("simulated", lambda s: float((s == "medium").mean())),
        strong_share=("simulated", lambda s: float((s == "strong").mean())),
        points=("point", "nunique"))
    return shares.reset_index().astype({"agree_share": float})


def ordering_shares(runs: pd.DataFrame, measures: str = "") -> pd.DataFrame:
    """Per strict ordering of the report: how often it is reproduced, points the report's way, or flips.

    Columns: ``criterion, lower, higher``, ``reproduced_share`` (the Welch 95 % interval of
    ``higher - lower`` excludes zero on the report's side), ``direction_share`` (the mean
    difference is merely > 0: with few replications per point this is the fairer test of
    direction), ``flip_share`` (mean difference < 0, what :func:`discover` explains) and
    ``points``.
    """
    table = point_orderings(runs, measures)
    shares = table.groupby(["criterion", "lower", "higher"], sort=False).agg(
        reproduced_share=("reproduced", "mean"),
        direction_share=("difference", lambda d: float((d > 0).mean())),
        flip_share=("difference", lambda d: float((d < 0).mean())),
        points=("point", "nunique"))
    return shares.reset_index().astype({"reproduced_share": float})


# --- scenario discovery ---
@dataclass(frozen=True, eq=False)
class Discovery:
    """A PRIM box: the parameter region where ``lower`` beats ``higher`` on ``criterion``.

    ``limits`` has one row per restricted parameter: ``parameter, min, max`` (the box),
    ``span_min, span_max`` (the values the design visited) and ``qp_min, qp_max``
    (ema_workbench's quasi-p-values of each restricted side; NaN for an unrestricted
    side; a large value means the restriction may be chance).  ``coverage`` is the share
    of all flipping points inside the box, ``density`` the share of the box's points that
    flip, ``mass`` the share of all points inside the box.  ``note`` says in words what
    was found, including why no box was fitted.
    """

    criterion: str
    lower: str
    higher: str
    points: int
    flips: int
    limits: pd.DataFrame
    coverage: float
    density: float
    mass: float
    note: str

    @property
    def flip_share(self) -> float:
        return self.flips / self.points if self.points else math.nan


LIMIT_COLUMNS = ["parameter", "min", "max", "span_min", "span_max", "qp_min", "qp_max"]


@cache
def _prim() -> ModuleType:
    """ema_workbench's PRIM, imported on first use: the import takes seconds and warns that the
    optional ipyparallel is missing, which concerns nothing here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


def point_differences(runs: pd.DataFrame, criterion: str, lower: str, higher: str, measures: str = "",
                      parameters: list[str] | None = None) -> pd.DataFrame:
    """One row per design point: its parameter values and ``difference`` = mean(higher) - mean(lower).

    ``parameters`` defaults to every model parameter that takes more than one value
    across the points (a constant one cannot bound a box).
    """
    data = runs[(runs["measures"] == measures) & runs["structure"].isin([lower, higher])]
    if parameters is None:
        parameters = [c for c in data.columns if c in BY_NAME and data[c].nunique() > 1]
    means = data.groupby(["point", "structure"])[criterion].mean().unstack()
    x = data.groupby("point")[parameters].first()
    # kept float, integer parameters too: ema_workbench 2.5.3 pastes float limits into int columns,
    # which pandas >= 3 refuses (TypeError); a float cut such as 0.5 reads as "at least 1"
    x = x.astype(float)
    if lower not in means or higher not in means:
        return x.iloc[:0].assign(difference=pd.Series(dtype=float))
    return x.assign(difference=means[higher] - means[lower]).dropna(subset=["difference"])


def discover(runs: pd.DataFrame, criterion: str, lower: str, higher: str, *, measures: str = "",
             parameters: list[str] | None = None, threshold: float = THRESHOLD, peel_alpha: float = 0.05,
             mass_min: float = 0.05) -> Discovery:
    """Find with PRIM the parameter region where ``lower`` beats ``higher`` on ``criterion``.

    A design point *flips* when the mean of its replications puts ``lower`` above
    ``higher`` (difference < 0).  The pair's order is the direction: to ask where model 2
    beats model 1, pass ``lower="model2", higher="model1"``.  The mean is used rather than
    a significance test because a point has only a few replications; PRIM's density and
    coverage then say how clean the region is.

    Which box: PRIM peels a trajectory of ever smaller boxes; ema_workbench keeps the
    last (smallest) one, which with a few dozen points tends to fit noise.  We take,
    among the boxes whose density reaches ``threshold``, the one with the highest
    coverage (ties: the higher density, then fewer restricted parameters, then the earlier
    box) -- the largest region in which flips are the rule.  The choice depends only on
    the trajectory, which is deterministic.  No point flipping, every point flipping, or no box reaching the
    threshold is reported in ``note`` with an empty ``limits``, never raised.
    """
    table = point_differences(runs, criterion, lower, higher, measures, parameters)
    x = table.drop(columns="difference").reset_index(drop=True)
    flips = (table["difference"] < 0).to_numpy()
    n, k = len(flips), int(flips.sum())
    empty = pd.DataFrame(columns=LIMIT_COLUMNS)

    def found(note: str, coverage: float = math.nan, density: float = math.nan, mass: float = math.nan,
              limits: pd.DataFrame = empty) -> Discovery:
        return Discovery(criterion, lower, higher, n, k, limits, coverage, density, mass, note)

    if k == 0:
        return found(f"no design point flips (0 of {n}): no region to describe.", mass=0.0)
    if k == n:
        return found(f"every design point flips ({n} of {n}): the whole design space.", 1.0, 1.0, 1.0)
    if x.shape[1] == 0:
        return found(f"{k} of {n} points flip, but no parameter varies across the points.")
    prim = _prim()
    options = {"peel_alpha": peel_alpha, "mass_min": mass_min}
    if "threshold" in inspect.signature(prim.Prim).parameters:  # ema_workbench < 3.0; 3.0 removed it (its PR #418)
        options["threshold"] = threshold  # the box is chosen from the trajectory below either way
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench(\.|$)")  # pandas deprecations inside ema
        box = prim.Prim(x, flips.astype(int), **options).find_box()
    trajectory = box.peeling_trajectory
    qualified = trajectory[trajectory["density"] >= threshold]
    if qualified.empty:
        return found(f"{k} of {n} points flip, but PRIM found no box in which at least {threshold:.0%} "
                     "of the points flip: the flips are scattered across the design.")
    best = qualified.sort_values(["coverage", "density", "res_dim", "id"], ascending=[False, False, True, True]).index[0]
    i = int(trajectory.loc[best, "id"])
    # the box as ema_workbench shows it, the same in 2.5 and 3.0: one row per restricted parameter with its limits
    # and the quasi-p-values of both sides (NaN for an unrestricted side)
    _, table = box.inspect(i, style="data")[0]
    span = box.box_lims[0]
    rows = [{"parameter": p, **dict(zip(["min", "max", "qp_min", "qp_max"], map(float, table.loc[p]), strict=True)),
             "span_min": float(span.at[0, p]), "span_max": float(span.at[1, p])}
            for p in x.columns if p in table.index]
    stats = trajectory.loc[best]
    note = (f"step {i} of {len(trajectory) - 1} on PRIM's peeling trajectory, the highest-coverage box with "
            f"density >= {threshold:.0%}.")
    return found(note, float(stats["coverage"]), float(stats["density"]), float(stats["mass"]),
                 pd.DataFrame(rows, columns=LIMIT_COLUMNS))


# --- the Markdown report ---
def _share(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _num(value: float) -> str:
    return f"{value:.3g}"


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def _box_section(title: str, found: Discovery) -> str:
    if found.limits.empty:  # the note says why, with the counts
        return f"### {title}\n\n{found.note[0].upper()}{found.note[1:]}"
    head = (f"### {title}\n\n{found.flips} of {found.points} design points flip ({_share(found.flip_share)}). "
            f"Coverage {_share(found.coverage)}, density {_share(found.density)}, mass {_share(found.mass)}; "
            f"{found.note}\n\n")
    rows = [[r.parameter, _num(r.min), _num(r.max), f"{_num(r.span_min)} – {_num(r.span_max)}",
             *("–" if math.isnan(q) else _num(q) for q in (r.qp_min, r.qp_max))]
            for r in found.limits.itertuples(index=False)]
    return head + _markdown_table(["parameter", "box min", "box max", "values visited", "quasi-p min", "quasi-p max"],
                                  rows)


def robustness_report(folder: str | Path, *, measures: str = "", threshold: float = THRESHOLD) -> str:
    """Markdown on a finished uncertainty batch in ``folder`` (its ``runs.parquet``).

    Sections: the share of design points at which each table cell agrees with the
    report; per strict ordering the shares reproduced / in the report's direction; and a
    PRIM box for each ordering that flips at between 5 % and 95 % of the points (fewer
    flips are too few to describe a region, more mean the ordering fails almost
    everywhere), plus one for model 2 above model 1 on strategic coordination, which the
    report rates equal (there "flip" means model 2's mean is above model 1's).
    """
    path = Path(folder) / "runs.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `sim batch scenarios/uncertainty.toml` first.")
    runs = pd.read_parquet(path)
    cells, orders = verdict_shares(runs, measures), ordering_shares(runs, measures)
    if cells.empty:
        raise ValueError(f"{path}: no design point has 2 or more runs of each of {', '.join(MODELS)} with "
                         f"measures {measures!r}; the comparison needs all three models.")
    used = runs[(runs["measures"] == measures) & runs["structure"].isin(MODELS)]
    replications = used.groupby(["point", "structure"]).size()
    varied = [c for c in used.columns if c in BY_NAME and used[c].nunique() > 1]
    points = int(cells["points"].max())
    reps = f"{replications.min()}" if replications.min() == replications.max() else \
        f"{replications.min()}–{replications.max()}"
    out = ["# Robustness of the model comparison", "",
           (f"`{folder}`: {points} design points over {len(varied)} parameters "
            f"({', '.join(f'{p} {_num(used[p].min())}–{_num(used[p].max())}' for p in varied)}), "
            f"{reps} replications per point and model, measures: {measures or 'none'}. "
            "At each point the verdict rule of `sim.validation` (Welch 95 % intervals) is applied to that "
            "point's replications alone; a share is the fraction of design points where the statement holds."), "",
           "## Table cells: share of design points agreeing with the report", "",
           "Entries: share agreeing (the report's verdict).", ""]
    criteria = list(dict.fromkeys(cells["criterion"]))
    lookup = cells.set_index(["criterion", "structure"])
    out.append(_markdown_table(["criterion", *MODELS], [
        [c, *(f"{_share(lookup.at[(c, m), 'agree_share'])} ({lookup.at[(c, m), 'report']})" for m in MODELS)]
        for c in criteria]))
    out += ["", "## The report's strict orderings", "",
            ("reproduced: the 95 % interval of the difference excludes zero on the report's side; "
             "same direction: the mean difference is on the report's side; flips: it is on the other side."), ""]
    out.append(_markdown_table(["criterion", "report", "reproduced", "same direction", "flips"], [
        [r.criterion, f"{r.lower} < {r.higher}", _share(r.reproduced_share), _share(r.direction_share),
         _share(r.flip_share)] for r in orders.itertuples(index=False)]))
    low, high = PRIM_SHARES
    out += ["", "## Where a ranking flips (PRIM)", "",
            (f"For each ordering that flips at between {low:.0%} and {high:.0%} of the design points: the "
             f"largest parameter box in which at least {threshold:.0%} of the points flip (ema_workbench PRIM). "
             "Coverage: share of all flipping points inside the box; density: share of the box's points that "
             "flip; mass: share of all points inside the box. Only restricted parameters are listed; a "
             "quasi-p-value above about 0.05 marks a restriction that may be chance."), ""]
    unstable = orders[(orders["flip_share"] >= low) & (orders["flip_share"] <= high)]
    for r in unstable.itertuples(index=False):
        found = discover(runs, r.criterion, r.lower, r.higher, measures=measures, threshold=threshold)
        out += [_box_section(f"{r.criterion}: {r.lower} above {r.higher} (report: {r.lower} < {r.higher})",
                             found), ""]
    if unstable.empty:
        out += ["No ordering flips at between those shares.", ""]
    found = discover(runs, "strategic_coordination", "model2", "model1", measures=measures, threshold=threshold)
    out += [_box_section("strategic_coordination: model2 above model1 (report: equal)", found),
            "", ("The report rates models 1 and 2 equal on strategic coordination; here a point \"flips\" when "
                 "model 2's mean is above model 1's (no significance test)."), ""]
    return "\n".join(out)
