"""The (model, measure set) groups of a batch: their order, places, colours, labels, legends and bars."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.experiments.intervals import ci_half_width
from sim.experiments.labels import measures_label, model_label

from ..style import MEASURE_COLOURS, MODEL_COLOURS, MODEL_MARKERS, NO_MEASURES_COLOUR


def group_label(structure: str, measures: str, *, with_measures: bool = True) -> str:
    return model_label(structure) + (f"\n{measures_label(measures)}" if with_measures else "")


class Groups:
    """The (structure, measure set) groups of a batch in plan order, and how to place and colour them."""

    def __init__(self, runs: pd.DataFrame) -> None:
        # first-seen order, whatever the pandas version (GroupBy.groups of older pandas sorts the keys)
        self.keys: list[tuple[str, str]] = list(dict.fromkeys(zip(runs["structure"], runs["measures"], strict=True)))
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


def group_legend(fig, groups: Groups, loc: str = "outside lower center") -> None:
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


def bar_groups(ax, runs: pd.DataFrame, groups: Groups, column: str, *, annotate: bool, fmt: str = "{:.2f}") -> None:
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


def structure_ticks(ax, groups: Groups, extra: Callable[[str], str] | None = None) -> None:
    """Model names under the clusters (their titles are in the legend), and ``extra`` beneath each.

    A name wider than its cluster is wrapped at spaces; one that still is (or many structures) is written on one
    line with ``extra``, turned 45°, so that no two labels overlap whatever their number.
    """
    n = len(groups.structures)
    slot = ax.get_window_extent().width * 72 / ax.figure.dpi / n  # points per cluster (a subfigure's axes too)
    chars = max(4, int(slot / (0.62 * float(ax.xaxis.get_ticklabels()[0].get_fontsize())) - 1))
    names = [textwrap.fill(s, chars, break_long_words=False, break_on_hyphens=False) for s in groups.structures]
    if all(len(line) <= chars for name in names for line in name.splitlines()):
        ax.set_xticks(range(n), [name + (f"\n{extra(s)}" if extra else "")
                                 for name, s in zip(names, groups.structures, strict=True)])
    else:
        ax.set_xticks(range(n), [s + (f": {extra(s)}" if extra else "") for s in groups.structures], rotation=45,
                      ha="right", rotation_mode="anchor")
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(-0.6, n - 0.4)
