"""The report's six criteria per model and measure set, beside the report's verdicts."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.labels import pretty
from sim.experiments.orderings import report_verdicts
from sim.simulation.metrics import CRITERIA

from .canvas import styled, subplots
from .frames import as_runs, points_note, runs_text
from .groups import Groups, bar_groups, group_legend, structure_ticks


@styled
def criteria_by_model(runs: pd.DataFrame) -> Figure:
    """The six criteria per model and measure set: mean with 95 % CI, the report's verdict beneath each model."""
    runs = as_runs(runs)
    groups = Groups(runs)
    verdicts = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    panel = max(3.4, 0.5 + 0.2 * len(groups.keys), 0.45 * len(groups.structures))  # room for a turned label each
    nrows, ncols = (2, 3) if panel <= 4 else (3, 2)
    fig, axes = subplots(nrows, ncols, figsize=(0.8 + ncols * panel, 1.6 + 3.0 * nrows), sharey=True,
                         layout="constrained")
    annotate = len(groups.keys) <= 8
    for ax, criterion in zip(axes.flat, CRITERIA, strict=True):
        bar_groups(ax, runs, groups, criterion, annotate=annotate)
        structure_ticks(ax, groups, lambda s, c=criterion: verdicts.get((s, c), "–"))
        ax.set_title(pretty(criterion))
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y")
    for ax in axes[:, 0]:
        ax.set_ylabel("criterion score (0–1)")
    n = runs.groupby(["structure", "measures"], sort=False).size().tolist()
    fig.suptitle("The report's six criteria at the end of the run: mean and 95 % CI over "
                 f"{runs_text(n)} per bar{points_note(runs)}\n"
                 "beneath each model: the report's verdict (seed 000, tables 4–6; '–' = not rated)")
    group_legend(fig, groups)
    return fig
