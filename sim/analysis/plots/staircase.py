"""The coordination staircase over time: the share of relations on each step, with its spread over runs."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.simulation.metrics import LEVEL_SHARES

from ..style import LEVEL_COLOURS, LEVEL_NAMES
from .canvas import hide_unused, styled, subplots, wrap
from .frames import as_runs, as_steps, points_note, with_labels
from .groups import Groups, group_label


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
    nrows, ncols = wrap(len(keys), 2 if len(keys) <= 4 else 3)
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
    hide_unused(axes, len(keys))
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
                 + points_note(runs))
    return fig
