"""The search's answer per priority: what to choose, the best reference beside it, and how sure that is.

For each priority (each criterion, and ``balanced``: all six weighed equally) the choice is the
candidate of least minimax regret over the scenarios (:mod:`.regret`), the cheaper in NOK (time
and money at ``search.person_year_nok``) on a tie; the best reference is chosen by the same rule
among the references (each report model with each measure set).  How sure: 95 % percentile
bootstrap intervals over the scenarios (each a mean over its replications; scipy.stats.bootstrap)
of the choice's share of scenarios within tolerance of the best and of its mean advantage over
the best reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..scenario import Search
from .regret import PRIORITIES, regrets
from .scores import COST

RESAMPLES = 2000


def decide(candidates: pd.DataFrame, scores: dict[int, pd.DataFrame], search: Search) -> pd.DataFrame:
    """One row per priority; ``scores`` holds each feasible candidate's scenario scores by its row in ``candidates``."""
    if not scores:
        return pd.DataFrame()
    common, stacked, regret = regrets(scores)
    rows = list(scores)
    total = candidates.loc[rows, "total_cost_nok"].to_numpy(float)
    is_reference = candidates.loc[rows, "reference"].to_numpy(bool)
    records = []
    for j, priority in enumerate(PRIORITIES):
        worst = regret[:, :, j].max(axis=1)
        order = np.lexsort((total, worst))  # least minimax regret, then least total cost
        choice = order[0]
        refs = order[is_reference[order]]
        ref = refs[0] if len(refs) else None
        within = (regret[choice, :, j] <= search.tolerance).astype(float)
        record = {"priority": priority, "scenarios": len(common), **_described("choice", candidates, rows[choice]),
                  "choice_regret_max": float(worst[choice]), "choice_within_tolerance": float(within.mean()),
                  **_interval("choice_within_tolerance", within, search.seed)}
        if ref is not None:
            advantage = stacked[choice, :, j] - stacked[ref, :, j]
            within_ref = (regret[ref, :, j] <= search.tolerance).mean()
            record |= {**_described("reference", candidates, rows[ref]),
                       "reference_regret_max": float(worst[ref]), "reference_within_tolerance": float(within_ref),
                       "advantage": float(advantage.mean()), **_interval("advantage", advantage, search.seed)}
        records.append(record)
    return pd.DataFrame(records)


def _described(prefix: str, candidates: pd.DataFrame, row: int) -> dict[str, object]:
    c = candidates.loc[row]
    return {f"{prefix}": c["candidate"], f"{prefix}_structure": c["structure"], f"{prefix}_measures": c["measures"],
            f"{prefix}_is_reference": bool(c["reference"]), f"{prefix}_description": c["description"],
            f"{prefix}_{COST}": float(c[f"{COST}_mean"]), f"{prefix}_budget_nok": float(c["budget_nok_mean"]),
            f"{prefix}_total_cost_nok": float(c["total_cost_nok"])}


def _interval(name: str, values: np.ndarray, seed: int) -> dict[str, float]:
    """The 95 % percentile bootstrap interval of the mean of ``values`` (its resamples seeded by the search's seed)."""
    if len(values) < 2 or np.ptp(values) == 0:  # one scenario, or all alike: no spread to resample
        return {f"{name}_low": float(values.mean()), f"{name}_high": float(values.mean())}
    found = stats.bootstrap((values,), np.mean, n_resamples=RESAMPLES, confidence_level=0.95, method="percentile",
                            random_state=np.random.default_rng(seed))
    return {f"{name}_low": float(found.confidence_interval.low), f"{name}_high": float(found.confidence_interval.high)}


__all__ = ["decide"]
