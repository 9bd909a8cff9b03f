"""What each measure set adds under each model: differences from no measures, with their CIs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.experiments.intervals import welch_interval
from sim.experiments.labels import measures_label, pretty
from sim.simulation.metrics import CRITERIA

from ..style import MODEL_COLOURS, MODEL_MARKERS
from .canvas import hide_unused, styled, subplots, wrap
from .frames import points_note, runs_text
from .groups import model_handles


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
    nrows, ncols = wrap(len(criteria), 3)
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
    hide_unused(axes, len(criteria))
    axes[0, 0].set_yticks(range(len(sets)), [measures_label(m) for m in sets])
    axes[0, 0].set_ylim(len(sets) - 0.5, -0.5)
    for ax in axes[-1]:
        ax.set_xlabel("difference in criterion score")
    fig.legend(handles=model_handles(structures, lines=True), loc="outside lower center", ncols=min(4, len(structures)),
               title="organisation model")
    ref = measures_label(reference)
    fig.suptitle(f"What each measure adds (seed 002 §5.4): mean with the measure minus mean with {ref}, "
                 f"95 % CI (Welch)\n{runs_text(table['n'].tolist())} with each measure set, "
                 f"{runs_text(table['n_reference'].tolist())} with {ref}{points_note(runs)}; "
                 "each panel has its own scale")
    return fig
