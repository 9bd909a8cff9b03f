"""Morris and Sobol' indices per criterion and parameter, and the table they are drawn from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.experiments.labels import pretty
from sim.simulation.metrics import CRITERIA

from ..style import MODEL_COLOURS
from .canvas import styled, subplots
from .groups import group_label

SOBOL_AXIS = (-0.05, 1.05)


def _clipped(value: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and asymmetric error bars kept inside the Sobol' axis, so nothing is drawn off it."""
    low, high = SOBOL_AXIS
    half = np.abs(np.nan_to_num(conf))  # a half-width, whatever sign the installed SALib gives an undefined one
    shown = np.clip(np.nan_to_num(value), low, high)
    lower = np.clip(np.nan_to_num(value) - half, low, high)
    upper = np.clip(np.nan_to_num(value) + half, low, high)
    return shown, np.vstack([np.maximum(shown - lower, 0.0), np.maximum(upper - shown, 0.0)])


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
                    ax.barh(y, rows["mu_star"], height=slot * 0.9, color=colour,
                            xerr=rows["mu_star_conf"].abs().fillna(0.0),
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


def read_sensitivity(path: str | Path) -> pd.DataFrame:
    """``sensitivity.csv`` with ``""`` (no measures) kept as ``""`` and the indices as numbers."""
    table = pd.read_csv(path, dtype={"measures": str})
    return table.assign(measures=table["measures"].fillna(""))
