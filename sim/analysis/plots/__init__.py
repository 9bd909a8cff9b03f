"""Figures of batch results (matplotlib).

Every function takes data frames (``runs.parquet``, ``steps.parquet/``, ``sensitivity.csv``
as pandas reads them) and returns the :class:`~matplotlib.figure.Figure`; only
:func:`save_batch_figures` reads and writes files.  One look throughout: the colours of
:mod:`sim.style` (organisation models, measure sets, staircase steps), titles that say
what is shown and over how many runs, axis labels with units, and legends outside the
data.  Uncertainty is always drawn: 95 % confidence intervals of means (t-based, as in
``summary.csv``) or the 5-95 % range of the replications.

Figures are built as :class:`~matplotlib.figure.Figure` objects without pyplot, so nothing
needs closing, no GUI backend is touched, and a notebook shows a returned figure once.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from scipy import stats

from sim.experiments.batch.tables import IDENTITY, factors
from sim.experiments.intervals import ci_half_width, welch_interval
from sim.experiments.orderings import report_verdicts
from sim.simulation.metrics import CRITERIA, LEVEL_SHARES, METRICS, SIZE_CLASSES
from sim.simulation.parameters import BY_NAME

from ..style import (
    LEVEL_COLOURS,
    LEVEL_NAMES,
    MEASURE_COLOURS,
    MODEL_COLOURS,
    MODEL_MARKERS,
    MODEL_TITLES,
    NO_MEASURES_COLOUR,
)

FLOWS = ("assignments_issued", "assignments_completed", "assignments_dropped")
SIZE_LABELS = {"coverage_small": "small\n(under 5,000)", "coverage_medium": "medium\n(5,000–19,999)",
               "coverage_large": "large\n(20,000 and more)"}
RC = {"font.size": 10, "axes.titlesize": 10.5, "axes.labelsize": 10, "legend.fontsize": 9, "legend.title_fontsize": 9,
      "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.titlesize": 12, "axes.spines.top": False,
      "axes.spines.right": False, "axes.grid": False, "grid.alpha": 0.3, "legend.frameon": False}
DPI = 150


def styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build the figure under the shared rc settings (font sizes, spines), so every figure looks alike."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], layout: str = "constrained",
             **kwargs: Any) -> tuple[Figure, Any]:
    """A new Figure with its axes, outside pyplot: no global figure list to leak into, no GUI backend needed,
    and a notebook shows a returned figure once."""
    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


# --- labels, groups, colours ---
def pretty(name: str) -> str:
    """A metric or criterion name as words: ``cross_sector_organisation`` -> ``cross-sector organisation``."""
    return name.replace("cross_sector", "cross-sector").replace("_", " ")


def model_label(structure: str) -> str:
    """``model2 (national programme)``; unknown names (models built in code) as they are."""
    return f"{structure} ({MODEL_TITLES[structure]})" if structure in MODEL_TITLES else structure


def measures_label(measures: str) -> str:
    """A measure set as a label: ``""`` -> ``no measures``, ``a,b`` -> ``+ a + b``."""
    return "no measures" if not measures else "+ " + " + ".join(measures.split(","))


def group_label(structure: str, measures: str, *, with_measures: bool = True) -> str:
    return model_label(structure) + (f"\n{measures_label(measures)}" if with_measures else "")


class Groups:
    """The (structure, measure set) groups of a batch in plan order, and how to place and colour them."""

    def __init__(self, runs: pd.DataFrame) -> None:
        self.keys: list[tuple[str, str]] = list(runs.groupby(["structure", "measures"], sort=False).groups)
        self.structures = list(dict.fromkeys(s for s, _ in self.keys))
        self.sets = list(dict.fromkeys(m for _, m in self.keys))
        self.width = 0.8 / len(self.sets)
        others = [m for m in self.sets if m]
        self._set_colour = {m: MEASURE_COLOURS[k % len(MEASURE_COLOURS)] for k, m in enumerate(others)}
        self._set_colour[""] = NO_MEASURES_COLOUR

    @property
    def by_set(self) -> bool:
        """Several measure sets: colour by set, cluster by model; else colour by model."""
        return len(self.sets) > 1

    def x(self, structure: str, measures: str) -> float:
        j = self.sets.index(measures)
        return self.structures.index(structure) + (j - (len(self.sets) - 1) / 2) * self.width

    def colour(self, structure: str, measures: str) -> str:
        if self.by_set:
            return self._set_colour[measures]
        return MODEL_COLOURS.get(structure, "#4c72b0")

    def label(self, structure: str, measures: str) -> str:
        return group_label(structure, measures, with_measures=self.by_set)

    def set_handles(self) -> list[Patch]:
        return [Patch(color=self._set_colour[m], label=measures_label(m)) for m in self.sets]


def _group_legend(fig, groups: Groups, loc: str = "outside lower center") -> None:
    """Legend of what the bar colours mean: the measure sets, or the models with their titles."""
    handles = groups.set_handles() if groups.by_set else model_handles(groups.structures)
    title = "measure set" if groups.by_set else "organisation model (seed 000 §6.2)"
    ncols = len(handles) if "lower" in loc or "upper" in loc else 1
    fig.legend(handles=handles, loc=loc, ncols=min(4, ncols), title=title)


def model_handles(structures: Sequence[str], *, lines: bool = False) -> list:
    if lines:
        return [Line2D([], [], color=MODEL_COLOURS.get(s, "#4c72b0"), marker=MODEL_MARKERS.get(s, "o"),
                       label=model_label(s)) for s in structures]
    return [Patch(color=MODEL_COLOURS.get(s, "#4c72b0"), label=model_label(s)) for s in structures]


def mean_ci(values: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its t-based 95 % CI (NaN for fewer than two values)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan
    half = ci_half_width(values)
    return float(values.mean()), half if np.isfinite(half) else math.nan


def share_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of per-run shares and a percentile bootstrap interval over runs (inside [0, 1]; seeded, so stable)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return (float(values.mean()) if len(values) else math.nan), math.nan, math.nan
    mean = float(values.mean())
    if np.ptp(values) == 0:
        return mean, mean, mean
    res = stats.bootstrap((values,), np.mean, confidence_level=level, method="percentile", n_resamples=2000,
                          random_state=np.random.default_rng(0))  # rng= only from SciPy 1.15; the floor is 1.11
    return mean, float(res.confidence_interval.low), float(res.confidence_interval.high)


def as_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """A batch's runs as they are; one run's weekly frame (``sim run``, a DataCollector frame) as its last week."""
    if "run_id" in frame:
        return frame
    if "week" not in frame:
        raise ValueError("expected a batch's runs (runs.parquet) or one run's weekly frame (with a 'week' column).")
    last = as_steps(frame).iloc[[-1]].reset_index(drop=True)
    return last.assign(point=0, replication=0)


def as_steps(frame: pd.DataFrame) -> pd.DataFrame:
    """Weekly series with a ``run_id``: a batch's as they are; one run's labelled as the run ``single``."""
    if "run_id" in frame:
        return frame
    out = frame.reset_index(drop=True).copy()
    if "week" not in out:
        out.insert(0, "week", range(len(out)))
    out.insert(0, "run_id", "single")
    if "structure" not in out:
        out["structure"] = "run"
    out["measures"] = out["measures"].fillna("").astype(str) if "measures" in out else ""
    return out


def with_labels(steps: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Weekly series with each run's structure and measures (as ``runs`` has them)."""
    own = steps.drop(columns=[c for c in ("structure", "measures") if c in steps])
    return own.merge(runs[["run_id", "structure", "measures"]], on="run_id")


def _count(n: Sequence[int]) -> str:
    low, high = min(n), max(n)
    return f"{low} run{'s' if low != 1 else ''}" if low == high else f"{low}–{high} runs"


def _points_note(runs: pd.DataFrame) -> str:
    points = runs["point"].nunique() if "point" in runs else 1
    return f", pooled over {points} design points" if points > 1 else ""


def _bar_groups(ax, runs: pd.DataFrame, groups: Groups, column: str, *, annotate: bool, fmt: str = "{:.2f}") -> None:
    """One bar per group at its cluster position: mean and 95 % CI of ``column``."""
    for s, m in groups.keys:
        values = runs.loc[(runs["structure"] == s) & (runs["measures"] == m), column].to_numpy(float)
        mean, half = mean_ci(values)
        x = groups.x(s, m)
        ax.bar(x, mean, width=groups.width * 0.92, color=groups.colour(s, m), edgecolor="white", linewidth=0.5)
        if np.isfinite(half):
            ax.errorbar(x, mean, yerr=half, color="black", capsize=3, linewidth=1, capthick=1)
        if annotate and np.isfinite(mean):
            ax.annotate(fmt.format(mean), (x, mean + (half if np.isfinite(half) else 0)), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8)


def _structure_ticks(ax, groups: Groups, extra: Callable[[str], str] | None = None) -> None:
    """Model names under the clusters (their titles are in the legend), and ``extra`` beneath each."""
    labels = [s + (f"\n{extra(s)}" if extra else "") for s in groups.structures]
    ax.set_xticks(range(len(groups.structures)), labels)
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(-0.6, len(groups.structures) - 0.4)


def _wrap(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def _hide_unused(axes: np.ndarray, used: int) -> None:
    for ax in axes.flat[used:]:
        ax.remove()


# --- the criteria ---
@styled
def criteria_by_model(runs: pd.DataFrame) -> Figure:
    """The six criteria per model and measure set: mean with 95 % CI, the report's verdict beneath each model."""
    runs = as_runs(runs)
    groups = Groups(runs)
    verdicts = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    panel = max(3.4, 0.5 + 0.2 * len(groups.keys))
    nrows, ncols = (2, 3) if panel <= 4 else (3, 2)
    fig, axes = subplots(nrows, ncols, figsize=(0.8 + ncols * panel, 1.6 + 3.0 * nrows), sharey=True,
                         layout="constrained")
    annotate = len(groups.keys) <= 8
    for ax, criterion in zip(axes.flat, CRITERIA, strict=True):
        _bar_groups(ax, runs, groups, criterion, annotate=annotate)
        _structure_ticks(ax, groups, lambda s, c=criterion: verdicts.get((s, c), "–"))
        ax.set_title(pretty(criterion))
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y")
    for ax in axes[:, 0]:
        ax.set_ylabel("criterion score (0–1)")
    n = runs.groupby(["structure", "measures"], sort=False).size().tolist()
    fig.suptitle("The report's six criteria at the end of the run: mean and 95 % CI over "
                 f"{_count(n)} per bar{_points_note(runs)}\n"
                 "beneath each model: the report's verdict (seed 000, tables 4–6; '–' = not rated)")
    _group_legend(fig, groups)
    return fig


# --- the staircase ---
@styled
def staircase_over_time(steps: pd.DataFrame, runs: pd.DataFrame | None = None, *,
                        band: tuple[float, float] = (0.05, 0.95)) -> Figure:
    """Share of state-actor relations on each staircase step over time, per model and measure set.

    The stacked areas are the mean over runs; the light bands show where each boundary between
    two steps lies in the central ``band`` (default 5-95 %) of the runs.  ``steps`` may be one
    run's weekly frame (``sim run``, or a model's DataCollector frame) without ``runs``.
    """
    steps = as_steps(steps)
    runs = as_runs(steps) if runs is None else as_runs(runs)
    data = with_labels(steps, runs)
    groups = Groups(runs)
    keys = [k for k in groups.keys if ((data["structure"] == k[0]) & (data["measures"] == k[1])).any()]
    nrows, ncols = _wrap(len(keys), 2 if len(keys) <= 4 else 3)
    panel = 3.6 if ncols <= 2 else 3.2
    fig, axes = subplots(nrows, ncols, figsize=(2.8 + panel * ncols, 0.9 + 2.8 * nrows), sharex=True,
                         sharey=True, layout="constrained", squeeze=False)
    shares = list(LEVEL_SHARES)
    for ax, (structure, measures) in zip(axes.flat, keys, strict=False):
        part = data[(data["structure"] == structure) & (data["measures"] == measures)]
        mean = part.groupby("week")[shares].mean()
        years = mean.index.to_numpy() / 52
        ax.stackplot(years, mean.T.to_numpy(), colors=LEVEL_COLOURS, linewidth=0)
        cumulative = part[shares].cumsum(axis=1).assign(week=part["week"])
        bounds = cumulative.groupby("week")[shares[:-1]].quantile(list(band)).unstack()
        for col in shares[:-1]:
            ax.fill_between(years, bounds[(col, band[0])], bounds[(col, band[1])], color="white", alpha=0.35,
                            linewidth=0)
            ax.plot(years, mean[shares[:shares.index(col) + 1]].sum(axis=1), color="white", linewidth=0.5)
        runs_here = part["run_id"].nunique()
        ax.set_title(f"{group_label(structure, measures, with_measures=groups.by_set)}  (n = {runs_here})",
                     fontsize=9)
        ax.set_xlim(0, years.max())
        ax.set_ylim(0, 1)
    _hide_unused(axes, len(keys))
    fig.get_layout_engine().set(wspace=0.06)
    for ax in axes[-1]:
        ax.set_xlabel("years since start")
    for ax in axes[:, 0]:
        ax.set_ylabel("share of state-actor relations")
    handles = [Patch(color=c, label=name) for c, name in zip(LEVEL_COLOURS, LEVEL_NAMES, strict=True)][::-1]
    band_label = f"{band[0] * 100:g}–{band[1] * 100:g} % of runs\n(boundary between steps)"
    handles.append(Patch(facecolor="#9e9e9e", edgecolor="white", alpha=0.6, label=band_label))
    fig.legend(handles=handles, loc="outside right center", title="staircase step (seed 004)")
    fig.suptitle("The coordination staircase (samordningstrappa) over time: mean share of relations on each step"
                 + _points_note(runs))
    return fig


# --- assignments ---
@styled
def assignment_flow(runs: pd.DataFrame, steps: pd.DataFrame | None = None) -> Figure:
    """Assignments issued, completed and dropped (cumulative) and lead time, per model: mean and 95 % CI.

    With ``steps`` holding the cumulative counts per week (``SERIES`` of :mod:`sim.batch`), a
    second block shows each group's flow over time (mean and 5-95 % of runs).  ``runs`` may be
    one run's weekly frame, whose series then serve as ``steps``.
    """
    if "run_id" not in runs and steps is None:
        steps = as_steps(runs)
    runs = as_runs(runs)
    steps = None if steps is None else as_steps(steps)
    groups = Groups(runs)
    series = steps is not None and set(FLOWS) <= set(steps.columns)
    keys = groups.keys
    nrows, ncols = _wrap(len(keys), 4) if series else (0, 0)
    panel = max(2.6, 0.5 + 0.2 * len(keys))
    top_rows, top_cols = (1, 4) if panel <= 3.2 else (2, 2)
    width = max(12.5, 0.8 + top_cols * panel)
    top_height = 1.2 + 3.0 * top_rows
    fig = Figure(figsize=(width, top_height + (0.9 + 2.5 * nrows if series else 0)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[top_height, 0.9 + 2.5 * nrows]) if series else (fig, None)
    axes = top.subplots(top_rows, top_cols).flatten()
    panels = (("assignments_issued", "issued", "assignments (cumulative)"),
              ("assignments_completed", "completed", "assignments (cumulative)"),
              ("assignments_dropped", "dropped (too old to finish)", "assignments (cumulative)"),
              ("lead_time_weeks", "lead time, issue to completion", "weeks (completions in the last year)"))
    annotate = len(keys) <= 6
    for ax, (column, title, unit) in zip(axes, panels, strict=True):
        _bar_groups(ax, runs, groups, column, annotate=annotate, fmt="{:.0f}")
        _structure_ticks(ax, groups)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.grid(axis="y")
        ax.margins(y=0.12)
    n = runs.groupby(["structure", "measures"], sort=False).size().tolist()
    top.suptitle(f"Assignments (oppdrag) at the end of the run: mean and 95 % CI over {_count(n)} per bar"
                 f"{_points_note(runs)}")
    _group_legend(top, groups)
    if series:
        _flow_over_time(bottom, steps, runs, groups, nrows, ncols)
    return fig


FLOW_STYLE = {"assignments_issued": ("issued", "#000000", "-"), "assignments_completed": ("completed", "#0072B2", "-"),
              "assignments_dropped": ("dropped", "#D55E00", "-"), "open": ("open (issued − completed − dropped)",
                                                                            "#7f7f7f", "--")}


def _flow_over_time(sub, steps: pd.DataFrame, runs: pd.DataFrame, groups: Groups, nrows: int, ncols: int) -> None:
    data = with_labels(steps, runs).dropna(subset=list(FLOWS))
    data = data.assign(open=data["assignments_issued"] - data["assignments_completed"] - data["assignments_dropped"])
    axes = sub.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False, gridspec_kw={"wspace": 0.08})
    for ax, (structure, measures) in zip(axes.flat, groups.keys, strict=False):
        part = data[(data["structure"] == structure) & (data["measures"] == measures)]
        ax.set_title(group_label(structure, measures, with_measures=groups.by_set), fontsize=9)
        if part.empty:  # series written before the counts were collected (an older batch, resumed)
            ax.text(0.5, 0.5, "no weekly counts stored", transform=ax.transAxes, ha="center", color="#7f7f7f")
            continue
        by_week = part.groupby("week")
        years = np.asarray(sorted(part["week"].unique())) / 52
        for column, (label, colour, style) in FLOW_STYLE.items():
            ax.plot(years, by_week[column].mean().to_numpy(), color=colour, linestyle=style, linewidth=1.4, label=label)
            q = by_week[column].quantile([0.05, 0.95]).unstack()
            ax.fill_between(years, q[0.05], q[0.95], color=colour, alpha=0.15, linewidth=0)
        ax.set_xlim(0, years.max() if len(years) else 1)
        ax.grid(alpha=0.3)
    _hide_unused(axes, len(groups.keys))
    for ax in axes[-1]:
        ax.set_xlabel("years since start")
    for ax in axes[:, 0]:
        ax.set_ylabel("assignments (cumulative)")
    handles = [Line2D([], [], color=c, linestyle=st, label=lab) for lab, c, st in FLOW_STYLE.values()]
    handles.append(Patch(color="#7f7f7f", alpha=0.15, label="5–95 % of runs"))
    sub.legend(handles=handles, loc="outside lower center", ncols=len(handles), title="assignments")
    n = data.groupby(["structure", "measures"])["run_id"].nunique().tolist() or [0]
    sub.suptitle(f"The same over time: mean (line) and 5–95 % (band) of {_count(n)} per panel", fontsize=10)


# --- municipal coverage ---
@styled
def coverage_by_size_class(runs: pd.DataFrame) -> Figure:
    """Share of municipalities reached in the last year, by SSB size class, per model: mean and 95 % CI.

    One panel per measure set; bars are the organisation models.  The interval is a percentile
    bootstrap over runs (:func:`share_interval`), which stays within [0, 1] as a share must.
    """
    runs = as_runs(runs)
    groups = Groups(runs)
    nrows, ncols = _wrap(len(groups.sets), 2)
    fig, axes = subplots(nrows, ncols, figsize=(1.6 + 5.2 * ncols, 0.8 + 3.6 * nrows), sharey=True,
                         layout="constrained", squeeze=False)
    width = 0.8 / len(groups.structures)
    for ax, measures in zip(axes.flat, groups.sets, strict=False):
        for j, structure in enumerate(groups.structures):
            part = runs[(runs["structure"] == structure) & (runs["measures"] == measures)]
            if part.empty:
                continue
            for k, column in enumerate(SIZE_CLASSES):
                mean, low, high = share_interval(part[column].to_numpy(float))
                x = k + (j - (len(groups.structures) - 1) / 2) * width
                ax.bar(x, mean, width=width * 0.92, color=MODEL_COLOURS.get(structure, "#4c72b0"), edgecolor="white",
                       linewidth=0.5)
                if np.isfinite(low):
                    ax.errorbar(x, mean, yerr=[[mean - low], [high - mean]], color="black", capsize=3, linewidth=1,
                                capthick=1)
        ax.set_xticks(range(len(SIZE_CLASSES)), [SIZE_LABELS[c] for c in SIZE_CLASSES])
        ax.tick_params(axis="x", length=0)
        ax.set_xlabel("municipality size class (inhabitants, SSB)")
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y")
        if groups.by_set:
            ax.set_title(measures_label(measures))
    _hide_unused(axes, len(groups.sets))
    for ax in axes[:, 0]:
        ax.set_ylabel("share of municipalities with a\ntake-up of state support in the last year")
    n = runs.groupby(["structure", "measures"], sort=False).size().tolist()
    fig.suptitle(f"Municipal coverage by size class\nmean and 95 % bootstrap CI over {_count(n)} per bar"
                 f"{_points_note(runs)}")
    fig.legend(handles=model_handles(groups.structures), loc="outside right center", title="organisation model")
    return fig


# --- sweeps ---
def is_numeric(column: pd.Series) -> bool:
    """Whether a varied factor is a number (a parameter, a numeric structural field) rather than a choice."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _differs(column: pd.Series, reference: Any) -> np.ndarray:
    if is_numeric(column):
        return ~np.isclose(column.to_numpy(float), float(reference))
    return (column != reference).to_numpy()


def sweep_data(runs: pd.DataFrame, parameter: str, criteria: Sequence[str] = CRITERIA, *, bins: int = 8,
               max_values: int = 12) -> tuple[pd.DataFrame, str]:
    """Mean and 95 % CI of each criterion per value (or quantile bin) of ``parameter``, per group.

    In a one-factor-at-a-time design only the runs where every other varied parameter is at its
    base value (point 0) are used, so the other factors' points do not blur the response.  With
    more than ``max_values`` distinct values (``lhs``, ``sobol``, ``morris``) the values are
    binned into ``bins`` quantile bins, placed at the mean value in the bin; the response is
    then marginal: the other parameters vary within each bin.  Returns the long table and a
    note saying which of these applied.
    """
    if parameter not in runs.columns or parameter in METRICS or parameter in IDENTITY:
        raise ValueError(f"{parameter!r} is not a parameter varied in these runs; varied: "
                         f"{', '.join(factors(runs)) or 'none'}.")
    data = runs
    note = ""
    others = [p for p in factors(runs) if p != parameter]
    base = runs[runs["point"] == 0] if "point" in runs else runs.iloc[:0]
    if others and not base.empty:
        reference = base.iloc[0]
        differs = np.column_stack([_differs(runs[c], reference[c]) for c in [parameter, *others]])
        if (differs.sum(axis=1) <= 1).all():  # one factor at a time
            data = runs[~differs[:, 1:].any(axis=1)]
            note = "one factor at a time: the other varied parameters at their base values"
        else:
            what = others[0] if len(others) == 1 else f"{len(others)} varied parameters"
            note = f"averaged over the other {what}"
    if not is_numeric(data[parameter]):  # a structural choice (a topology, who issues, whose letters): one level each
        x = data[parameter].astype(str)
        position = x
    elif (x := data[parameter].astype(float)).nunique() > max_values:
        binned = pd.qcut(x, q=bins, duplicates="drop")
        position = x.groupby(binned, observed=True).transform("mean")
        note = f"values binned into {binned.nunique()} quantile bins, each placed at its mean; " + (
            note or "other parameters vary")
    else:
        position = x
    rows = []
    for (structure, measures, value), part in data.assign(_x=position).groupby(["structure", "measures", "_x"],
                                                                               sort=False):
        for criterion in criteria:
            mean, half = mean_ci(part[criterion].to_numpy(float))
            rows.append({"structure": structure, "measures": measures, parameter: value, "criterion": criterion,
                         "n": len(part), "mean": mean, "ci95_half": half})
    table = pd.DataFrame(rows).sort_values(["structure", "measures", parameter], kind="stable")
    return table.reset_index(drop=True), note


@styled
def sweep_response(runs: pd.DataFrame, parameter: str, criteria: Sequence[str] = CRITERIA) -> Figure:
    """Response of each criterion to one varied parameter: mean and 95 % CI per value, one line per model.

    See :func:`sweep_data` for one-factor-at-a-time designs and the binning of continuous designs.
    """
    table, note = sweep_data(runs, parameter, criteria)
    groups = Groups(runs)
    nrows, ncols = _wrap(len(criteria), 3)
    fig, axes = subplots(nrows, ncols, figsize=(0.8 + 3.5 * ncols, 1.8 + 2.7 * nrows), sharex=True,
                         layout="constrained", squeeze=False)
    styles = ["-", "--", ":", "-."]
    spec = BY_NAME.get(parameter)
    choices = [] if is_numeric(runs[parameter]) else sorted(table[parameter].unique())
    levels = {c: k for k, c in enumerate(choices)}  # a choice's position on the x axis
    for ax, criterion in zip(axes.flat, criteria, strict=False):
        part = table[table["criterion"] == criterion]
        for s, m in groups.keys:
            line = part[(part["structure"] == s) & (part["measures"] == m)]
            if line.empty:
                continue
            colour = MODEL_COLOURS.get(s, "#4c72b0")
            style = styles[groups.sets.index(m) % len(styles)]
            x = line[parameter].map(levels).to_numpy(float) if levels else line[parameter].to_numpy(float)
            y = line["mean"].to_numpy(float)
            half = line["ci95_half"].to_numpy(float)
            ax.plot(x, y, color=colour, linestyle=style, marker=MODEL_MARKERS.get(s, "o"), markersize=4,
                    linewidth=1.4)
            ax.fill_between(x, y - np.nan_to_num(half), y + np.nan_to_num(half), color=colour, alpha=0.15,
                            linewidth=0)
        if spec is not None and spec.low <= spec.default <= spec.high:
            ax.axvline(spec.default, color="#7f7f7f", linestyle=":", linewidth=1)
        ax.set_title(pretty(criterion))
        ax.grid(alpha=0.3)
    _hide_unused(axes, len(criteria))
    unit = f" ({spec.unit})" if spec is not None else ""
    for ax in axes[-1]:
        ax.set_xlabel(f"{parameter}{unit}")
        if spec is not None and spec.integer:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if choices:
            ax.set_xticks(range(len(choices)), [textwrap.fill(c, 14) for c in choices], fontsize="small")
    for ax in axes[:, 0]:
        ax.set_ylabel("criterion score (0–1)" if set(criteria) <= set(CRITERIA) else "value")
    handles = []
    for s in groups.structures:
        for m in groups.sets:
            if (s, m) in groups.keys:
                handles.append(Line2D([], [], color=MODEL_COLOURS.get(s, "#4c72b0"), marker=MODEL_MARKERS.get(s, "o"),
                                      linestyle=styles[groups.sets.index(m) % len(styles)],
                                      label=groups.label(s, m).replace("\n", " ")))
    handles.append(Patch(color="#7f7f7f", alpha=0.3, label="95 % CI of the mean"))
    if spec is not None:
        handles.append(Line2D([], [], color="#7f7f7f", linestyle=":", label=f"default ({spec.default:g})"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), title="organisation model")
    n = table["n"]
    per = "bin" if "binned" in note else "value"
    fig.suptitle(f"Response of the criteria to {parameter}: mean and 95 % CI over {_count([n.min(), n.max()])} "
                 f"per {per}" + (f"\n({note})" if note else ""))
    return fig


# --- measures ---
def measure_differences(runs: pd.DataFrame, criteria: Sequence[str] = CRITERIA, reference: str = "") -> pd.DataFrame:
    """What each measure set adds under each model: mean with the set minus mean without, and its 95 % CI.

    Welch's t interval (runs with and without the set have independent seeds).  One row per
    model, measure set (other than ``reference``, default: no measures) and criterion.
    """
    rows = []
    for structure, by_model in runs.groupby("structure", sort=False):
        base = by_model[by_model["measures"] == reference]
        if base.empty:
            continue
        for measures, part in by_model.groupby("measures", sort=False):
            if measures == reference:
                continue
            for criterion in criteria:
                a, b = part[criterion].to_numpy(float), base[criterion].to_numpy(float)
                diff, low, high = welch_interval(b, a)
                half = (high - low) / 2
                rows.append({"structure": structure, "measures": measures, "criterion": criterion, "difference": diff,
                             "ci95_low": diff - half, "ci95_high": diff + half, "n": len(a), "n_reference": len(b)})
    return pd.DataFrame(rows, columns=["structure", "measures", "criterion", "difference", "ci95_low", "ci95_high",
                                       "n", "n_reference"])


@styled
def measure_effects(runs: pd.DataFrame, criteria: Sequence[str] = CRITERIA, reference: str = "") -> Figure:
    """Forest plot: each measure set's effect on each criterion under each model, vs no measures (95 % CI)."""
    table = measure_differences(runs, criteria, reference)
    if table.empty:
        raise ValueError("measure_effects needs runs without measures and with at least one measure set, "
                         "for the same organisation model.")
    structures = list(dict.fromkeys(table["structure"]))
    sets = list(dict.fromkeys(table["measures"]))
    nrows, ncols = _wrap(len(criteria), 3)
    height = 0.5 + 0.32 * len(sets) * max(1, len(structures) / 2)
    fig, axes = subplots(nrows, ncols, figsize=(2.2 + 3.2 * ncols, 1.8 + height * nrows), sharey=True,
                         layout="constrained", squeeze=False)
    step = 0.8 / len(structures)
    for ax, criterion in zip(axes.flat, criteria, strict=False):
        part = table[table["criterion"] == criterion]
        for j, structure in enumerate(structures):
            rows = part[part["structure"] == structure]
            y = np.array([sets.index(m) for m in rows["measures"]]) + (j - (len(structures) - 1) / 2) * step
            d = rows["difference"].to_numpy(float)
            err = np.vstack([d - rows["ci95_low"].to_numpy(float), rows["ci95_high"].to_numpy(float) - d])
            ax.errorbar(d, y, xerr=np.nan_to_num(err), fmt=MODEL_MARKERS.get(structure, "o"), markersize=4,
                        color=MODEL_COLOURS.get(structure, "#4c72b0"), capsize=2, linewidth=1)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(pretty(criterion))
        ax.grid(axis="x", alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=True))
        for k in range(1, len(sets)):
            ax.axhline(k - 0.5, color="#e0e0e0", linewidth=0.6)
    _hide_unused(axes, len(criteria))
    axes[0, 0].set_yticks(range(len(sets)), [measures_label(m) for m in sets])
    axes[0, 0].set_ylim(len(sets) - 0.5, -0.5)
    for ax in axes[-1]:
        ax.set_xlabel("difference in criterion score")
    fig.legend(handles=model_handles(structures, lines=True), loc="outside lower center", ncols=min(4, len(structures)),
               title="organisation model")
    ref = measures_label(reference)
    fig.suptitle(f"What each measure adds (seed 002 §5.4): mean with the measure minus mean with {ref}, "
                 f"95 % CI (Welch)\n{_count(table['n'].tolist())} with each measure set, "
                 f"{_count(table['n_reference'].tolist())} with {ref}{_points_note(runs)}; "
                 "each panel has its own scale")
    return fig


# --- sensitivity ---
SOBOL_AXIS = (-0.05, 1.05)


def _clipped(value: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and asymmetric error bars kept inside the Sobol' axis, so nothing is drawn off it."""
    low, high = SOBOL_AXIS
    shown = np.clip(np.nan_to_num(value), low, high)
    lower = np.clip(np.nan_to_num(value - conf), low, high)
    upper = np.clip(np.nan_to_num(value + conf), low, high)
    return shown, np.vstack([shown - lower, upper - shown])


@styled
def sensitivity_indices(table: pd.DataFrame) -> Figure:
    """Morris and Sobol' indices per criterion (rows) and method (columns), one bar per parameter and model.

    Morris: mu* (mean absolute elementary effect, bar, with its 95 % confidence) and sigma
    (their spread: interactions or non-linearity, open diamond).  Sobol': total-order ST
    (bar; hatched where not converged) and first-order S1 (dot), each with its 95 % confidence,
    clipped to the [0, 1] axis.
    """
    methods = [m for m in ("morris", "sobol") if (table["method"] == m).any()]
    if not methods:
        raise ValueError("the sensitivity table has no 'morris' or 'sobol' rows.")
    criteria = [c for c in CRITERIA if (table["criterion"] == c).any()]
    criteria += [c for c in dict.fromkeys(table["criterion"]) if c not in criteria]
    parameters = list(dict.fromkeys(table["parameter"]))
    numbers = [c for c in ("mu_star", "mu_star_conf", "sigma", "S1", "S1_conf", "ST", "ST_conf") if c in table]
    table = table.assign(measures=table["measures"].fillna("").astype(str),
                         **{c: pd.to_numeric(table[c], errors="coerce") for c in numbers})
    keys = list(dict.fromkeys(zip(table["structure"], table["measures"], strict=True)))
    by_set = len({m for _, m in keys}) > 1
    height = 0.6 + 0.16 * len(parameters) * max(1.0, len(keys) / 2)
    fig, axes = subplots(len(criteria), len(methods), figsize=(1.8 + 4.6 * len(methods), 2.2 + height * len(criteria)),
                         sharey=True, sharex="col", layout="constrained", squeeze=False)
    slot = 0.8 / len(keys)
    for row, criterion in enumerate(criteria):
        for col, method in enumerate(methods):
            ax = axes[row, col]
            part = table[(table["criterion"] == criterion) & (table["method"] == method)]
            for j, (s, m) in enumerate(keys):
                rows = part[(part["structure"] == s) & (part["measures"] == m)].set_index("parameter")
                rows = rows.reindex(parameters)
                y = np.arange(len(parameters)) + (j - (len(keys) - 1) / 2) * slot
                colour = MODEL_COLOURS.get(s, "#4c72b0")
                if method == "morris":
                    ax.barh(y, rows["mu_star"], height=slot * 0.9, color=colour, xerr=rows["mu_star_conf"],
                            error_kw={"capsize": 2, "linewidth": 0.8})
                    ax.plot(rows["sigma"], y, linestyle="none", marker="D", markersize=3.5, markerfacecolor="white",
                            markeredgecolor="black", markeredgewidth=0.8)
                else:
                    status = rows["status"].fillna("ok").astype(str) if "status" in rows else pd.Series("ok", rows.index)
                    shaky = status.str.startswith("not converged").to_numpy()
                    st, st_err = _clipped(rows["ST"].to_numpy(float), rows["ST_conf"].to_numpy(float))
                    s1, s1_err = _clipped(rows["S1"].to_numpy(float), rows["S1_conf"].to_numpy(float))
                    for shaken, alpha, hatch in ((False, 0.55, None), (True, 0.25, "////")):
                        pick = shaky == shaken
                        ax.barh(y[pick], st[pick], height=slot * 0.85, color=colour, alpha=alpha, hatch=hatch,
                                edgecolor=colour, linewidth=0.4, xerr=st_err[:, pick],
                                error_kw={"capsize": 1.5, "linewidth": 0.7, "ecolor": "#595959"})
                    known = np.isfinite(rows["S1"].to_numpy(float))  # an undefined index has no dot
                    ax.errorbar(s1[known], y[known], xerr=s1_err[:, known], linestyle="none", marker="o", markersize=3,
                                color="black", elinewidth=0.6, capsize=1)
                    for k in np.flatnonzero(status.str.startswith("undefined").to_numpy()):
                        ax.text(0.02, y[k], "undefined (constant)", va="center", fontsize=6, color="#595959")
            ax.axvline(0, color="black", linewidth=0.6)
            ax.grid(axis="x", alpha=0.3)
            ax.set_title(f"{pretty(criterion)}: " + ("Morris" if method == "morris" else "Sobol'"), loc="left",
                         fontsize=9)
            if row == len(criteria) - 1:
                ax.set_xlabel("elementary effect on the criterion score" if method == "morris"
                              else "share of output variance")
            for k in range(1, len(parameters)):
                ax.axhline(k - 0.5, color="#e0e0e0", linewidth=0.6)
    if "sobol" in methods:  # indices lie in [0, 1]; estimates and intervals beyond are clipped to it (_clipped)
        axes[0, methods.index("sobol")].set_xlim(*SOBOL_AXIS)
    axes[0, 0].set_yticks(range(len(parameters)), parameters)
    axes[0, 0].set_ylim(len(parameters) - 0.5, -0.5)
    handles = [Patch(color=MODEL_COLOURS.get(s, "#4c72b0"),
                     label=group_label(s, m, with_measures=by_set).replace("\n", " ")) for s, m in keys]
    if "morris" in methods:
        handles += [Patch(color="#595959", label="Morris μ*: mean |elementary\neffect| (bar, 95 % conf.)"),
                    Line2D([], [], linestyle="none", marker="D", markerfacecolor="white", markeredgecolor="black",
                           label="Morris σ: spread of the effects\n(interactions, non-linearity)")]
    if "sobol" in methods:
        handles += [Patch(color="#595959", alpha=0.55, label="Sobol' ST: total-order index\n(bar, 95 % conf.)"),
                    Patch(facecolor="white", edgecolor="#595959", hatch="////",
                          label="ST not converged (CI > 0.1 or\nmoved > 0.05 from half the sample)"),
                    Line2D([], [], linestyle="none", marker="o", color="black",
                           label="Sobol' S1: first-order index\n(dot, 95 % conf.)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, title="organisation model and indices")
    fig.suptitle("Global sensitivity of the criteria to the varied parameters (SALib): "
                 + " and ".join({"morris": "Morris screening", "sobol": "Sobol' indices"}[m] for m in methods))
    return fig


# --- everything a batch supports ---
def read_sensitivity(path: str | Path) -> pd.DataFrame:
    """``sensitivity.csv`` with ``""`` (no measures) kept as ``""`` and the indices as numbers."""
    table = pd.read_csv(path, dtype={"measures": str})
    return table.assign(measures=table["measures"].fillna(""))



def save_batch_figures(folder: str | Path, runs: pd.DataFrame, *, steps: pd.DataFrame | None = None,
                       sensitivity: pd.DataFrame | None = None, out: str | Path | None = None) -> list[Path]:
    """Write every figure the batch's data supports into ``out`` (default ``folder/figures``); return the paths.

    Always ``criteria.png``, ``assignments.png`` and ``coverage.png``; ``staircase.png`` when
    the weekly series exist (``steps``, default: ``folder/steps.parquet/``); ``measures.png``
    when the batch has runs without measures and with some, for the same model;
    ``sweep_<parameter>.png`` for each parameter the design varies; ``sensitivity.png`` when
    there are sensitivity indices (``sensitivity``, default: ``folder/sensitivity.csv``).
    """
    folder = Path(folder)
    target = Path(out) if out is not None else folder / "figures"
    target.mkdir(parents=True, exist_ok=True)
    if steps is None and (folder / "steps.parquet").is_dir():
        steps = pd.read_parquet(folder / "steps.parquet")
    if sensitivity is None and (folder / "sensitivity.csv").is_file():
        sensitivity = read_sensitivity(folder / "sensitivity.csv")
    jobs: list[tuple[str, Callable[[], Figure]]] = [("criteria.png", lambda: criteria_by_model(runs))]
    if steps is not None and not steps.empty:
        jobs.append(("staircase.png", lambda: staircase_over_time(steps, runs)))
    jobs.append(("assignments.png", lambda: assignment_flow(runs, steps)))
    jobs.append(("coverage.png", lambda: coverage_by_size_class(runs)))
    if not measure_differences(runs, CRITERIA[:1]).empty:
        jobs.append(("measures.png", lambda: measure_effects(runs)))
    for parameter in factors(runs):
        if runs[parameter].nunique() > 1:
            jobs.append((f"sweep_{parameter}.png", lambda p=parameter: sweep_response(runs, p)))
    if sensitivity is not None and not sensitivity.empty:
        jobs.append(("sensitivity.png", lambda: sensitivity_indices(sensitivity)))
    paths = []
    for name, make in jobs:
        make().savefig(target / name, dpi=DPI)
        paths.append(target / name)
    return paths
