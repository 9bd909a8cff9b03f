"""Municipal coverage by SSB size class: the share of municipalities that took up state support."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from sim.experiments.labels import measures_label
from sim.simulation.metrics import SIZE_CLASSES

from ..style import MODEL_COLOURS
from .canvas import hide_unused, styled, subplots, wrap
from .frames import as_runs, points_note, runs_text
from .groups import Groups, model_handles

SIZE_LABELS = {"coverage_small": "small\n(under 5,000)", "coverage_medium": "medium\n(5,000–19,999)",
               "coverage_large": "large\n(20,000 and more)"}


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


@styled
def coverage_by_size_class(runs: pd.DataFrame) -> Figure:
    """Share of municipalities reached in the last year, by SSB size class, per model: mean and 95 % CI.

    One panel per measure set; bars are the organisation models.  The interval is a percentile
    bootstrap over runs (:func:`share_interval`), which stays within [0, 1] as a share must.
    """
    runs = as_runs(runs)
    groups = Groups(runs)
    nrows, ncols = wrap(len(groups.sets), 2)
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
    hide_unused(axes, len(groups.sets))
    for ax in axes[:, 0]:
        ax.set_ylabel("share of municipalities with a\ntake-up of state support in the last year")
    n = runs.groupby(["structure", "measures"], sort=False).size().tolist()
    fig.suptitle(f"Municipal coverage by size class\nmean and 95 % bootstrap CI over {runs_text(n)} per bar"
                 f"{points_note(runs)}")
    fig.legend(handles=model_handles(groups.structures), loc="outside right center", title="organisation model")
    return fig
