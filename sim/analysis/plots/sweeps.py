"""Response curves: each criterion against one factor a design varies, per model."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.experiments.batch.tables import IDENTITY, factors
from sim.experiments.labels import pretty
from sim.simulation.metrics import CRITERIA, RECORDED
from sim.simulation.parameters import BY_NAME

from ..style import MODEL_COLOURS, MODEL_MARKERS
from .canvas import hide_unused, styled, subplots, wrap
from .frames import runs_text
from .groups import Groups, mean_ci


def is_numeric(column: pd.Series) -> bool:
    """Whether a varied factor is a number (a parameter, a numeric structural field) rather than a choice."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _differs(column: pd.Series, reference: Any) -> np.ndarray:
    if is_numeric(column):
        return ~np.isclose(column.to_numpy(float), float(reference))
    return (column != reference).to_numpy()


def sweep_data(runs: pd.DataFrame, parameter: str, criteria: Sequence[str] = CRITERIA, *, bins: int = 8,
               max_values: int = 12) -> tuple[pd.DataFrame, str]:
    """Mean and 95 % CI of each criterion per value (or quantile bin) of ``parameter``, per group.

    In a one-factor-at-a-time design only the runs where every other varied parameter is at its
    base value (point 0) are used, so the other factors' points do not blur the response.  With
    more than ``max_values`` distinct values (``lhs``, ``sobol``, ``morris``) the values are
    binned into ``bins`` quantile bins, placed at the mean value in the bin; the response is
    then marginal: the other parameters vary within each bin.  Returns the long table and a
    note saying which of these applied.
    """
    if parameter not in runs.columns or parameter in RECORDED or parameter in IDENTITY:
        raise ValueError(f"{parameter!r} is not a parameter varied in these runs; varied: "
                         f"{', '.join(factors(runs)) or 'none'}.")
    data = runs
    note = ""
    others = [p for p in factors(runs) if p != parameter]
    base = runs[runs["point"] == 0] if "point" in runs else runs.iloc[:0]
    if others and not base.empty:
        reference = base.iloc[0]
        differs = np.column_stack([_differs(runs[c], reference[c]) for c in [parameter, *others]])
        if (differs.sum(axis=1) <= 1).all():  # one factor at a time
            data = runs[~differs[:, 1:].any(axis=1)]
            note = "one factor at a time: the other varied parameters at their base values"
        else:
            what = others[0] if len(others) == 1 else f"{len(others)} varied parameters"
            note = f"averaged over the other {what}"
    if not is_numeric(data[parameter]):  # a structural choice (a topology, who issues, whose letters): one level each
        x = data[parameter].astype(str)
        position = x
    elif (x := data[parameter].astype(float)).nunique() > max_values:
        binned = pd.qcut(x, q=bins, duplicates="drop")
        position = x.groupby(binned, observed=True).transform("mean")
        note = f"values binned into {binned.nunique()} quantile bins, each placed at its mean; " + (
            note or "other parameters vary")
    else:
        position = x
    rows = []
    for (structure, measures, value), part in data.assign(_x=position).groupby(["structure", "measures", "_x"],
                                                                               sort=False):
        for criterion in criteria:
            mean, half = mean_ci(part[criterion].to_numpy(float))
            rows.append({"structure": structure, "measures": measures, parameter: value, "criterion": criterion,
                         "n": len(part), "mean": mean, "ci95_half": half})
    table = pd.DataFrame(rows).sort_values(["structure", "measures", parameter], kind="stable")
    return table.reset_index(drop=True), note


@styled
def sweep_response(runs: pd.DataFrame, parameter: str, criteria: Sequence[str] = CRITERIA) -> Figure:
    """Response of each criterion to one varied parameter: mean and 95 % CI per value, one line per model.

    See :func:`sweep_data` for one-factor-at-a-time designs and the binning of continuous designs.
    """
    table, note = sweep_data(runs, parameter, criteria)
    groups = Groups(runs)
    nrows, ncols = wrap(len(criteria), 3)
    fig, axes = subplots(nrows, ncols, figsize=(0.8 + 3.5 * ncols, 1.8 + 2.7 * nrows), sharex=True,
                         layout="constrained", squeeze=False)
    styles = ["-", "--", ":", "-."]
    spec = BY_NAME.get(parameter)
    choices = [] if is_numeric(runs[parameter]) else sorted(table[parameter].unique())
    levels = {c: k for k, c in enumerate(choices)}  # a choice's position on the x axis
    for ax, criterion in zip(axes.flat, criteria, strict=False):
        part = table[table["criterion"] == criterion]
        for s, m in groups.keys:
            line = part[(part["structure"] == s) & (part["measures"] == m)]
            if line.empty:
                continue
            colour = MODEL_COLOURS.get(s, "#4c72b0")
            style = styles[groups.sets.index(m) % len(styles)]
            x = line[parameter].map(levels).to_numpy(float) if levels else line[parameter].to_numpy(float)
            y = line["mean"].to_numpy(float)
            half = line["ci95_half"].to_numpy(float)
            ax.plot(x, y, color=colour, linestyle=style, marker=MODEL_MARKERS.get(s, "o"), markersize=4,
                    linewidth=1.4)
            ax.fill_between(x, y - np.nan_to_num(half), y + np.nan_to_num(half), color=colour, alpha=0.15,
                            linewidth=0)
        if spec is not None and spec.low <= spec.default <= spec.high:
            ax.axvline(spec.default, color="#7f7f7f", linestyle=":", linewidth=1)
        ax.set_title(pretty(criterion))
        ax.grid(alpha=0.3)
    hide_unused(axes, len(criteria))
    unit = f" ({spec.unit})" if spec is not None else ""
    for ax in axes[-1]:
        ax.set_xlabel(f"{parameter}{unit}")
        if spec is not None and spec.integer:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if choices:
            ax.set_xticks(range(len(choices)), [textwrap.fill(c, 14) for c in choices], fontsize="small")
    for ax in axes[:, 0]:
        ax.set_ylabel("criterion score (0–1)" if set(criteria) <= set(CRITERIA) else "value")
    handles = []
    for s in groups.structures:
        for m in groups.sets:
            if (s, m) in groups.keys:
                handles.append(Line2D([], [], color=MODEL_COLOURS.get(s, "#4c72b0"), marker=MODEL_MARKERS.get(s, "o"),
                                      linestyle=styles[groups.sets.index(m) % len(styles)],
                                      label=groups.label(s, m).replace("\n", " ")))
    handles.append(Patch(color="#7f7f7f", alpha=0.3, label="95 % CI of the mean"))
    if spec is not None:
        handles.append(Line2D([], [], color="#7f7f7f", linestyle=":", label=f"default ({spec.default:g})"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), title="organisation model")
    n = table["n"]
    per = "bin" if "binned" in note else "value"
    fig.suptitle(f"Response of the criteria to {parameter}: mean and 95 % CI over {runs_text([n.min(), n.max()])} "
                 f"per {per}" + (f"\n({note})" if note else ""))
    return fig
