"""How far a simulated summary is from what a target says: a soft (probit) discrepancy, not a significance test.

For a target ``low <= x <= high`` the discrepancy of a summary ``x`` is the negative log of the
probability, under a normal error of scale ``s``, that ``x`` lies on the target's side of each
bound: ``-log Φ((x - low) / s) - log Φ((high - x) / s)``.  Well inside the bounds it is about 0,
at a bound log 2, and beyond it grows with the square of the distance in units of ``s``.  An
ordering is a lower bound of 0 on a standardised difference (the difference of means over the
pooled standard deviation of the runs), so neither its size nor its discrepancy depends on the
number of replications, as a Welch statistic would.  ``s`` is the target's own tolerance and,
for a target no parameter point of the screen reaches, a model-discrepancy term that widens it
by the shortfall (Kennedy and O'Hagan's discrepancy, in its simplest form): such a target then
weighs in the distance by how much a point improves on it, not as a constant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from scipy.special import log_ndtr

from .patterns import Target


def discrepancy(x: float, target: Target, model_discrepancy: float = 0.0) -> float:
    """The soft discrepancy of ``x`` from ``target`` (0 well inside its bounds)."""
    if not math.isfinite(x):
        return math.inf
    scale = math.hypot(target.scale, model_discrepancy)
    out = 0.0
    if math.isfinite(target.low):
        out -= float(log_ndtr((x - target.low) / scale))
    if math.isfinite(target.high):
        out -= float(log_ndtr((target.high - x) / scale))
    return out


def shortfall(x: float, target: Target) -> float:
    """How far ``x`` lies outside the target's bounds, in its units (0 inside)."""
    return max(0.0, target.low - x, x - target.high)


def distance(summaries: Mapping[str, float], targets: Iterable[Target],
             model_discrepancy: Mapping[str, float] | None = None) -> float:
    """The sum of the targets' discrepancies: the calibration's distance (a negative log pseudo-likelihood)."""
    extra = model_discrepancy or {}
    return sum(discrepancy(summaries[t.name], t, extra.get(t.name, 0.0)) for t in targets)


__all__ = ["discrepancy", "distance", "shortfall"]
