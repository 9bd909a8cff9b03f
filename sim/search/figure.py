"""The front in one figure: parallel coordinates over the six criteria and the cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..metrics import CRITERIA
from ..plots import model_label, pretty, styled, subplots
from ..scenario import Search
from ..style import MODEL_COLOURS
from .scores import COST


@styled
def front_figure(candidates: pd.DataFrame, search: Search) -> Figure:
    """Every judged candidate (grey), the front (blue) and the references (their colours), one axis per objective.

    Each axis spans the candidates' range of mean scores; cost is drawn reversed, so up is
    better on every axis.
    """
    axes_names = [f"{c}_mean" for c in CRITERIA] + [f"{COST}_mean"]
    values = candidates[axes_names].to_numpy(float)
    low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled = (values - low) / span
    scaled[:, -1] = 1.0 - scaled[:, -1]
    scaled[:, high <= low] = 0.5  # every structure scores the same here: neither worst nor best
    fig, ax = subplots(figsize=(10.5, 5.2))
    x = np.arange(len(axes_names))
    feasible = candidates["n_failed"].to_numpy() == 0
    rest = feasible & ~candidates["on_front"].to_numpy() & ~candidates["reference"].to_numpy()
    for row in scaled[rest]:
        ax.plot(x, row, color="#bdbdbd", linewidth=0.6, alpha=0.5)
    for row in scaled[candidates["on_front"].to_numpy() & ~candidates["reference"].to_numpy()]:
        ax.plot(x, row, color="#3b6ea8", linewidth=1.2, alpha=0.8)
    handles = [Line2D([], [], color="#bdbdbd", label=f"judged ({int(rest.sum())})"),
               Line2D([], [], color="#3b6ea8", label=f"on the front ({int(candidates['on_front'].sum())})")]
    for k in np.flatnonzero(candidates["reference"].to_numpy()):
        structure = candidates["structure"].iloc[k]
        colour = MODEL_COLOURS.get(structure, "#000000")
        ax.plot(x, scaled[k], color=colour, linewidth=2.6)
        handles.append(Line2D([], [], color=colour, linewidth=2.6, label=f"{model_label(structure)}, as declared"))
    labels = [pretty(c) for c in CRITERIA] + ["cost (reversed)"]
    ax.set_xticks(x, [f"{name}\n{lo:.3g}–{hi:.3g}" if k < len(CRITERIA) else f"{name}\n{hi:.3g}–{lo:.3g} py"
                      for k, (name, lo, hi) in enumerate(zip(labels, low, high, strict=True))], fontsize="small")
    ax.set_yticks([0, 1], ["worst\njudged", "best\njudged"])
    for k in x:
        ax.axvline(k, color="#7f7f7f", linewidth=0.6)
    ax.set_xlim(-0.2, len(axes_names) - 0.8)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, frameon=False)
    ax.set_title("Structures judged by the search: mean scores over the design points, "
                 "each axis from the worst to the best judged")
    return fig
