"""A search's figures: the front in parallel coordinates, and each criterion against the cost in NOK."""

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
    per_reference = [c for c in candidates.columns if c.startswith("as_good_as_") and c != "as_good_as_all_references"
                     and not c.endswith("_best_measures")]
    as_good = candidates[per_reference].sum(axis=1).to_numpy()
    strong = ~reference & (as_good >= 2)
    for row in scaled[strong]:
        ax.plot(x, row, color="#08306b", linewidth=1.8)
    handles = [Line2D([], [], color="#bdbdbd", label=f"judged, dominated ({int(rest.sum())})"),
               Line2D([], [], color="#3b6ea8", label=f"on the front: {front_text(candidates)}"),
               Line2D([], [], color="#08306b", linewidth=1.8,
                      label=f"as good as two or more references\nat no more cost ({int(strong.sum())})")]
    for k in np.flatnonzero(candidates["reference"].to_numpy()):  # each with each measure set: the plain one thick
        structure, plain = candidates["structure"].iloc[k], candidates["measures"].iloc[k] == ""
        colour = MODEL_COLOURS.get(structure, "#000000")
        ax.plot(x, scaled[k], color=colour, linewidth=2.6 if plain else 0.8, alpha=1.0 if plain else 0.5)
        if plain:
            handles.append(Line2D([], [], color=colour, linewidth=2.6,
                                  label=f"{model_label(structure)}, as declared\n(thin: with measure sets)"))
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


@styled
def tradeoff_figure(candidates: pd.DataFrame, search: Search) -> Figure:
    """Total cost a year in NOK against each criterion's mean: every structure judged, the front, the references.

    Time is converted at ``search.person_year_nok`` and the measures' budgets added
    (``total_cost_nok``), so structures that buy their scores with money show it.
    """
    fig, axes = subplots(2, 3, figsize=(12, 7), sharex=True)
    feasible = candidates["n_failed"].to_numpy() == 0
    reference = candidates["reference"].to_numpy()
    front = candidates["on_front"].to_numpy() & ~reference & feasible
    rest = feasible & ~front & ~reference
    cost = candidates["total_cost_nok"].to_numpy(float) / 1e6
    for ax, criterion in zip(axes.flat, CRITERIA, strict=True):
        y = candidates[f"{criterion}_mean"].to_numpy(float)
        ax.scatter(cost[rest], y[rest], s=6, color="#bdbdbd", label="judged, dominated")
        ax.scatter(cost[front], y[front], s=10, color="#3b6ea8", label="on the front")
        for structure in dict.fromkeys(candidates.loc[reference, "structure"]):
            mine = reference & (candidates["structure"] == structure).to_numpy()
            plain = mine & (candidates["measures"] == "").to_numpy()
            colour = MODEL_COLOURS.get(structure, "#000000")
            ax.scatter(cost[mine & ~plain], y[mine & ~plain], s=14, marker="x", color=colour, linewidths=0.8,
                       label=f"{model_label(structure)} with measure sets")
            ax.scatter(cost[plain], y[plain], s=60, marker="o", color=colour, edgecolors="black",
                       label=f"{model_label(structure)}, as declared")
        ax.set_title(pretty(criterion), fontsize="medium")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel(f"cost, MNOK a year (a person-year = {search.person_year_nok / 1e6:g} MNOK)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, frameon=False, fontsize="small")
    fig.suptitle("What each structure costs and what it scores: mean over the scenarios")
    return fig
