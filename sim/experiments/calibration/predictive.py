"""How probable each statement is given the calibration: the posterior predictive, with its Monte Carlo error.

Draws are taken from a posterior population (systematic resampling by weight); each draw's
other uncertain parameters come from their priors, and the draw is simulated afresh with
``replications`` runs of today's organisation and models 1-3 under each premise about model
3's change of mandate.  For an ordering "A below B" the draw's statistic is the difference of
the means, mean(B) - mean(A), of the criterion after 2, 5 and 10 years; the statement's
probability is the share of draws in which it is positive: P(mean(B) > mean(A) | posterior).
Its Monte Carlo standard error is the binomial one over the draws, and beside it the
``sign_error``: the mean chance that a draw's difference has the wrong sign through its
replications alone, which must be small for the probability to mean what it says.  The same
for each relation to today, each cell of tables 4-6 (the cell's strict orderings all hold and
its equal-rated pairs differ by less than ``EQUAL`` pooled standard deviations), and each
process pattern (its target met by the draw's mean).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import ndtr
from tqdm import tqdm

from sim.simulation.metrics import CRITERIA, HORIZON_YEARS

from ..orderings import SCALE, report_verdicts
from ..posterior import resample
from .patterns import ORDERINGS, PATTERNS, RELATIONS, model_criteria
from .world import World, key, point_of

EQUAL = 0.2  # pooled standard deviations: a difference smaller than this is "the same" (a negligible effect)
PREMISES: tuple[tuple[str, int | None], ...] = (("no change of mandate", None), ("change of mandate in week 104", 104))


def _pairs(target_name: str) -> tuple[str, str, str]:
    _, criterion, pair = target_name.split("|")
    low, high = pair.replace("~", "<").split("<")
    return criterion, low, high


def _cells() -> list[tuple[str, str, str, list[tuple[str, int]]]]:
    """Each cell of tables 4-6: its label, model, criterion, and its comparisons (other model, the report's sign)."""
    verdicts = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    cells = []
    for criterion in CRITERIA:
        for model in ("model1", "model2", "model3"):
            rated = SCALE[verdicts[(model, criterion)]]
            comparisons = [(other, int(np.sign(rated - SCALE[verdicts[(other, criterion)]])))
                           for other in ("model1", "model2", "model3") if other != model]
            cells.append((f"{criterion}: {model} {verdicts[(model, criterion)]}", model, criterion, comparisons))
    return cells


def _agrees(difference: float, pooled: float, sign: int) -> bool:
    """A difference (this model minus another) on the report's side: higher, lower, or the same (|d| < EQUAL)."""
    if sign > 0:
        return difference > 0
    if sign < 0:
        return difference < 0
    return abs(difference) / pooled < EQUAL


def _draw_statistics(criteria: Mapping[str, np.ndarray]) -> dict[tuple[str, str, int], tuple[float, float, bool]]:
    """Per statement and horizon: the draw's difference, its standard error, and whether the statement holds."""
    out: dict[tuple[str, str, int], tuple[float, float, bool]] = {}
    for years in HORIZON_YEARS:
        def values(model: str, criterion: str, years: int = years) -> np.ndarray:
            return criteria[f"{model}|{years}"][:, CRITERIA.index(criterion)]

        for target in (*ORDERINGS, *RELATIONS):
            criterion, low, high = _pairs(target.name)
            a, b = values(low, criterion), values(high, criterion)
            difference = float(b.mean() - a.mean())
            se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
            pooled = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) or 1.0
            holds = _agrees(difference, pooled, 0 if "~" in target.name else 1)
            kind = "ordering" if target in ORDERINGS else "relation"
            out[(kind, target.statement, years)] = (difference, se, holds)
        for label, model, criterion, comparisons in _cells():
            agrees = True
            for other, sign in comparisons:
                a, b = values(other, criterion), values(model, criterion)
                pooled = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) or 1.0
                agrees &= _agrees(float(b.mean() - a.mean()), pooled, sign)
            out[("cell", label, years)] = (math.nan, math.nan, agrees)
    return out


def predictive(world: World, particles: pd.DataFrame, names: Sequence[str], draws: int, replications: int,
               seed: int, quiet: bool = True) -> pd.DataFrame:
    """The posterior predictive probability of every statement, premise and horizon, with its Monte Carlo error."""
    sample = resample(particles, names, draws, seed)
    simulate = replace(world, replications=replications)
    rows: dict[tuple[str, str, str, int], list[tuple[float, float, bool]]] = {}
    for k, (_, values) in enumerate(tqdm(sample.iterrows(), total=len(sample), desc="posterior predictive",
                                         disable=quiet)):
        point = point_of(names, values.to_list())
        parameters, seeds = simulate.parameters(point, k), simulate.seeds(point, k)
        for premise, week in PREMISES:
            criteria = _cached_criteria(simulate, point, k, parameters, seeds, week)
            for (kind, statement, years), value in _draw_statistics(criteria).items():
                rows.setdefault((kind, statement, premise, years), []).append(value)
        patterns = simulate.summaries(point, orderings=False, draw=k)
        for target in PATTERNS:
            x = patterns[target.name]
            rows.setdefault(("pattern", target.statement, "calibration world", 0), []).append(
                (x, math.nan, target.low <= x <= target.high))
    table = []
    for (kind, statement, premise, years), values in rows.items():
        difference = np.array([v[0] for v in values])
        se = np.array([v[1] for v in values])
        holds = np.array([v[2] for v in values], float)
        p = float(holds.mean())
        finite = np.isfinite(se) & (se > 0)
        table.append({
            "kind": kind, "statement": statement, "premise": premise, "horizon_years": years or None,
            "draws": len(values), "probability": p, "mc_se": math.sqrt(p * (1 - p) / len(values)),
            "sign_error": float(np.mean(ndtr(-np.abs(difference[finite]) / se[finite]))) if finite.any() else None,
            "mean": float(np.nanmean(difference)) if np.isfinite(difference).any() else None,
            "sd_over_draws": float(np.nanstd(difference, ddof=1)) if np.isfinite(difference).sum() > 1 else None,
            "mean_se": float(se[finite].mean()) if finite.any() else None})
    return pd.DataFrame(table)


def _cached_criteria(world: World, point: Mapping[str, float], draw: int, parameters: Mapping[str, float],
                     seeds: Sequence[int], week: int | None) -> dict[str, np.ndarray]:
    """Each model's criteria at each horizon for one draw and premise (kept in the world's cache)."""
    name = key("criteria", world.seed, world.replications, sorted(point.items()), draw, week, dict(world.base))
    if world.cache is not None:
        found = world.cache.get(name)
        if found is not None:
            return {k: np.array(v) for k, v in found.items()}
    criteria = model_criteria(seeds, parameters, world.threads, mandate_change_week=week)
    if world.cache is not None:
        world.cache.put(name, {k: v.tolist() for k, v in criteria.items()})
    return criteria


__all__ = ["EQUAL", "PREMISES", "predictive"]
