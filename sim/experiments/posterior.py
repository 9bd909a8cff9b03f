"""Draws of the uncertain parameters: from a calibration's posterior, the others from their priors.

One rule, used by the calibration (its nuisance parameters and its posterior predictive) and by
designs of kind ``posterior`` (a batch or a search judged over what the calibration learnt):
the calibrated parameters come from a weighted population (systematic resampling), every other
parameter with a prior (:data:`sim.simulation.parameters.PRIORS`) is drawn uniformly from its
prior, so what the calibration did not pin down is carried as uncertainty, never fixed at a
default.  Whole-number parameters are rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.simulation.parameters import BY_NAME, PRIOR, PRIORS

CALIBRATIONS = ("A", "B")  # the two calibrations of `sim calibrate` (docs/CALIBRATION.md)


def typed(name: str, value: float) -> float | int:
    """A parameter value as the model takes it: whole numbers rounded."""
    return round(value) if BY_NAME[name].integer else float(value)


def from_priors(rng: np.random.Generator, exclude: Iterable[str] = ()) -> dict[str, float | int]:
    """Every parameter with a prior but those in ``exclude``, drawn uniformly from its prior (in table order)."""
    skip = set(exclude)
    return {p.name: typed(p.name, rng.uniform(p.low, p.high)) for p in PRIORS if p.name not in skip}


def resample(particles: pd.DataFrame, names: Sequence[str], n: int, seed: int) -> pd.DataFrame:
    """``n`` draws from a weighted population (systematic resampling: each particle about its weight's share)."""
    weights = particles["weight"].to_numpy(float)
    positions = (np.random.default_rng(seed).random() + np.arange(n)) / n
    index = np.minimum(np.searchsorted(np.cumsum(weights / weights.sum()), positions), len(weights) - 1)
    return particles.iloc[index][list(names)].reset_index(drop=True)


def read_posterior(path: str | Path, calibration: str) -> pd.DataFrame:
    """One calibration's weighted population from a ``posterior.parquet`` of `sim calibrate` (ValueError if not one)."""
    if calibration not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}")
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read a posterior ({exc}); give the posterior.parquet that `sim calibrate` "
                         "writes (results/calibration/posterior.parquet).") from None
    missing = {"calibration", "weight"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: not a posterior of `sim calibrate` (no column {', '.join(sorted(missing))}).")
    mine = table[table["calibration"] == calibration]
    if mine.empty or not np.isfinite(mine["weight"].to_numpy(float)).all() or mine["weight"].sum() <= 0:
        raise ValueError(f"{path}: no weighted particles of calibration {calibration}.")
    return mine.dropna(axis=1, how="all").reset_index(drop=True)


def posterior_draws(particles: pd.DataFrame, n: int, seed: int,
                    fixed: Mapping[str, float] | None = None) -> list[dict[str, float | int]]:
    """``n`` parameter points: the calibrated parameters resampled by weight, the others drawn from their priors.

    ``fixed`` parameters (a scenario's own values) are neither resampled nor drawn.  Draw ``k``'s
    prior draws come from a generator seeded with ``(seed, k)``, so a point never depends on how
    many others are drawn.
    """
    keep = dict(fixed or {})
    calibrated = [c for c in particles.columns if c in PRIOR and c not in keep]
    sample = resample(particles, calibrated, n, seed)
    points = []
    for k, row in enumerate(sample.itertuples(index=False)):
        own = {name: typed(name, float(v)) for name, v in zip(calibrated, row, strict=True)}
        others = from_priors(np.random.default_rng([seed, k]), exclude=[*own, *keep])
        points.append({p.name: (own | others)[p.name] for p in PRIORS if p.name in own or p.name in others})
    return points


__all__ = ["CALIBRATIONS", "from_priors", "posterior_draws", "read_posterior", "resample", "typed"]
