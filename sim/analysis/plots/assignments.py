"""Assignments issued, completed and dropped, and their lead time: at the end of the run and over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .canvas import hide_unused, styled, wrap
from .frames import as_runs, as_steps, points_note, runs_text, with_labels
from .groups import Groups, bar_groups, group_label, group_legend, structure_ticks

FLOWS = ("assignments_issued", "assignments_completed", "assignments_dropped")


@styled
def assignment_flow(runs: pd.DataFrame, steps: pd.DataFrame | None = None) -> Figure:
    """Assignments issued, completed and dropped (cumulative) and lead time, per model: mean and 95 % CI.

    With ``steps`` holding the cumulative counts per week (``SERIES`` of :mod:`sim.experiments.batch`), a
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
    nrows, ncols = wrap(len(keys), 4) if series else (0, 0)
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
        bar_groups(ax, runs, groups, column, annotate=annotate, fmt="{:.0f}")
        structure_ticks(ax, groups)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.grid(axis="y")
        ax.margins(y=0.12)
    n = runs.groupby(["structure", "measures"], sort=False).size().tolist()
    top.suptitle(f"Assignments (oppdrag) at the end of the run: mean and 95 % CI over {runs_text(n)} per bar"
                 f"{points_note(runs)}")
    group_legend(top, groups)
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
    hide_unused(axes, len(groups.keys))
    for ax in axes[-1]:
        ax.set_xlabel("years since start")
    for ax in axes[:, 0]:
        ax.set_ylabel("assignments (cumulative)")
    handles = [Line2D([], [], color=c, linestyle=st, label=lab) for lab, c, st in FLOW_STYLE.values()]
    handles.append(Patch(color="#7f7f7f", alpha=0.15, label="5–95 % of runs"))
    sub.legend(handles=handles, loc="outside lower center", ncols=len(handles), title="assignments")
    n = data.groupby(["structure", "measures"])["run_id"].nunique().tolist() or [0]
    sub.suptitle(f"The same over time: mean (line) and 5–95 % (band) of {runs_text(n)} per panel", fontsize=10)
