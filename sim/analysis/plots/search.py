"""A search's front in one figure: parallel coordinates over the six criteria and the cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.experiments.labels import model_label, pretty
from sim.experiments.scenario import Search
from sim.experiments.search.outputs import front_text
from sim.experiments.search.scores import COST
from sim.simulation.metrics import CRITERIA

from ..style import MODEL_COLOURS
from .canvas import styled, subplots


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
    reference = candidates["reference"].to_numpy()
    front = candidates["on_front"].to_numpy() & ~reference
    rest = feasible & ~front & ~reference
    # a many-objective front holds hundreds: drawn faint, with the structures that match references picked out
    fade = min(0.6, 30 / max(1, front.sum()))
    for row in scaled[rest]:
        ax.plot(x, row, color="#bdbdbd", linewidth=0.5, alpha=min(0.5, fade))
    for row in scaled[front]:
        ax.plot(x, row, color="#3b6ea8", linewidth=0.8, alpha=fade)
    per_reference = [c for c in candidates.columns if c.startswith("as_good_as_") and c != "as_good_as_all_references"]
    as_good = candidates[per_reference].sum(axis=1).to_numpy()
    strong = ~reference & (as_good >= 2)
    for row in scaled[strong]:
        ax.plot(x, row, color="#08306b", linewidth=1.8)
    handles = [Line2D([], [], color="#bdbdbd", label=f"judged, dominated ({int(rest.sum())})"),
               Line2D([], [], color="#3b6ea8", label=f"on the front: {front_text(candidates)}"),
               Line2D([], [], color="#08306b", linewidth=1.8,
                      label=f"as good as two or more references\nat no more cost ({int(strong.sum())})")]
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
