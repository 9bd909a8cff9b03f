"""The two confidence intervals every table and figure uses (t-based, 95 % by default)."""

from __future__ import annotations

import math

import numpy as np


def ci_half_width(values: np.ndarray, level: float = 0.95) -> float:
    """Half-width of the t interval of the mean (inf for fewer than 2 values)."""
    n = len(values)
    if n < 2:
        return math.inf
    return _t_quantile(0.5 + level / 2, n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n)


def welch_interval(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``b - a`` and its Welch interval (independent samples; nan bounds below 2 values each)."""
    diff = float(np.mean(b) - np.mean(a))
    if len(a) < 2 or len(b) < 2:
        return diff, math.nan, math.nan
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0.0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = _t_quantile(0.5 + level / 2, dof) * se
    return diff, diff - half, diff + half


def _t_quantile(q: float, dof: float) -> float:
    """Student's t quantile.  scipy.stats is imported here, on first use: ``import sim`` need not pay its 0.3 s."""
    from scipy import stats

    return float(stats.t.ppf(q, dof))
