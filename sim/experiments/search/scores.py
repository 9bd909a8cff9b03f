"""What the search knows of a candidate: its scores across the uncertainty sample, and how it compares.

Scores are taken over the design points: each point's mean over its replications, then the mean
over points (with the t interval over points: the expected score under the parameters' sample)
and a low quantile over points (the score the structure keeps in its worse parameter worlds, the
robust objective of MORDM).  Comparisons with a reference structure are paired: under common
random numbers run (k, r) of both saw the same parameters and seed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from sim.simulation.metrics import BUDGET, CRITERIA

from ..intervals import ci_half_width
from ..scenario import Search

COST = "cost_person_years"
COSTS: tuple[str, ...] = (COST, BUDGET)  # the actors' time and the measures' money, both minimised
SCORED: tuple[str, ...] = (*CRITERIA, *COSTS)
TOLERANCE = 1e-12  # "at least as good": equal means within rounding count as equal


def quantile_label(q: float) -> str:
    """The column suffix of a quantile: q10 for the 10th percentile."""
    return f"q{round(q * 100):02d}"


def point_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Each design point's mean over its replications, for the criteria and the cost (index: point)."""
    return runs.groupby("point", sort=True)[list(SCORED)].mean()


def scores(runs: pd.DataFrame, search: Search) -> dict[str, float]:
    """Mean, 95 % CI and the low quantile over design points of each criterion and the cost."""
    means = point_means(runs)
    row: dict[str, float] = {}
    for name in SCORED:
        values = means[name].to_numpy(float)
        mean, half = float(values.mean()), ci_half_width(values)
        row |= {f"{name}_mean": mean, f"{name}_ci95_low": mean - half, f"{name}_ci95_high": mean + half,
                f"{name}_{quantile_label(search.quantile)}": float(np.quantile(values, search.quantile))}
    return row


def objective_names(search: Search) -> list[str]:
    """The columns the search optimises, in order: each statistic of each criterion (maximised), then the costs."""
    suffix = {"mean": "mean", "quantile": quantile_label(search.quantile)}
    return [f"{c}_{suffix[s]}" for s in search.statistics for c in CRITERIA] + [f"{c}_mean" for c in COSTS]


def objectives(table: pd.DataFrame, search: Search) -> np.ndarray:
    """The objective matrix pymoo minimises: criteria negated, costs as they are."""
    names = objective_names(search)
    sign = np.array([-1.0] * (len(names) - len(COSTS)) + [1.0] * len(COSTS))
    return table[names].to_numpy(float) * sign


def non_dominated(matrix: np.ndarray) -> np.ndarray:
    """Row indices of the non-dominated rows of a minimisation matrix (pymoo's non-dominated sorting)."""
    if len(matrix) == 0:
        return np.array([], dtype=int)
    return np.asarray(NonDominatedSorting().do(matrix, only_non_dominated_front=True), dtype=int)


def paired(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """Per criterion and cost: mean difference a - b over design points, with its 95 % CI (both: point means)."""
    common = a.index.intersection(b.index)
    out = {}
    for name in SCORED:
        d = (a.loc[common, name] - b.loc[common, name]).to_numpy(float)
        mean = float(d.mean()) if len(d) else math.nan
        half = ci_half_width(d) if len(d) else math.inf
        out[name] = (mean, mean - half, mean + half)
    return out


def at_least_as_good(difference: dict[str, tuple[float, float, float]], tolerance: float = TOLERANCE) -> bool:
    """On every criterion at least the reference's mean score, at no more mean cost in time or money."""
    return (all(difference[c][0] >= -tolerance for c in CRITERIA)
            and all(difference[c][0] <= tolerance for c in COSTS))


def share_of_points_as_good(a: pd.DataFrame, b: pd.DataFrame, tolerance: float = TOLERANCE) -> float:
    """Share of design points where a is at least as good as b on every criterion at no more cost (point means)."""
    common = a.index.intersection(b.index)
    d = a.loc[common] - b.loc[common]
    good = (d[list(CRITERIA)] >= -tolerance).all(axis=1) & (d[list(COSTS)] <= tolerance).all(axis=1)
    return float(good.mean()) if len(good) else math.nan
