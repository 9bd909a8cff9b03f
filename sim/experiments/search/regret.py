"""Robustness as regret: how far each candidate falls behind the best one, scenario by scenario.

A scenario is one state of what we do not know: a draw of the uncertain parameters (a design
point, which under a ``posterior`` design also carries its premise about a change of mandate)
read at one horizon (2, 5 and 10 years).  In each scenario the best candidate on a criterion sets
the bar; a candidate's regret there is how far below the bar it scores (0 for the best).  Per
candidate and criterion this gives the minimax regret (its worst scenario), the share of
scenarios in which it is within ``tolerance`` of the best, and the low quantile of its score
(MORDM's robust statistics, Kasprzyk et al. 2013; Herman et al. 2015).  ``balanced`` is the
criteria's equal-weight mean, scored the same way: the priority of no one criterion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.simulation.metrics import CRITERIA, HORIZON_YEARS, at_horizon

BALANCED = "balanced"  # the equal-weight mean of the six criteria
PRIORITIES: tuple[str, ...] = (*CRITERIA, BALANCED)


def scenario_scores(runs: pd.DataFrame) -> pd.DataFrame:
    """One candidate's score per scenario: its mean over replications per (point, horizon), a column per criterion.

    ``runs`` has a ``point`` column and each criterion at each horizon it reached
    (``<criterion>_at_<y>y``); horizons a run did not reach are left out, and a run that reached
    none is read at its end (horizon 0).
    """
    frames = []
    for years in HORIZON_YEARS:
        columns = [at_horizon(c, years) for c in CRITERIA]
        if not set(columns) <= set(runs.columns) or runs[columns].isna().all().all():
            continue
        means = runs.groupby("point", sort=True)[columns].mean()
        means.columns = list(CRITERIA)
        frames.append(means.assign(horizon=years).set_index("horizon", append=True))
    if not frames:  # a run shorter than two years: its end is the one horizon (labelled 0)
        means = runs.groupby("point", sort=True)[list(CRITERIA)].mean()
        frames.append(means.assign(horizon=0).set_index("horizon", append=True))
    scores = pd.concat(frames).sort_index()
    scores[BALANCED] = scores[list(CRITERIA)].mean(axis=1)
    return scores


def regrets(scores: dict[str, pd.DataFrame]) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The scenarios every candidate was scored in, and per candidate x scenario x priority its score and regret."""
    common = None
    for table in scores.values():
        common = table.index if common is None else common.intersection(table.index)
    stacked = np.stack([scores[k].loc[common, list(PRIORITIES)].to_numpy(float) for k in scores])
    return common, stacked, stacked.max(axis=0, keepdims=True) - stacked


def regret_table(scores: dict[str, pd.DataFrame], tolerance: float, quantile: float) -> pd.DataFrame:
    """Per candidate (the keys of ``scores``): for each priority its minimax regret, share within tolerance, quantile.

    Only the scenarios every candidate was scored in count, so the bar is set by all of them.
    Columns: ``regret_max_<p>``, ``within_tolerance_<p>`` and ``<p>_scenario_q<NN>`` (the low quantile of its
    scores over the scenarios) for each priority ``p``.
    """
    if not scores:
        return pd.DataFrame()
    common, stacked, regret = regrets(scores)
    label = f"q{round(quantile * 100):02d}"
    rows = {}
    for k, key in enumerate(scores):
        row = {}
        for j, p in enumerate(PRIORITIES):
            row[f"regret_max_{p}"] = float(regret[k, :, j].max()) if len(common) else np.nan
            row[f"within_tolerance_{p}"] = float((regret[k, :, j] <= tolerance).mean()) if len(common) else np.nan
            row[f"{p}_scenario_{label}"] = float(np.quantile(stacked[k, :, j], quantile)) if len(common) else np.nan
        rows[key] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs["scenarios"] = len(common)
    return table


__all__ = ["BALANCED", "PRIORITIES", "regret_table", "regrets", "scenario_scores"]
