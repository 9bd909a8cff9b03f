"""Approximate Bayesian computation by sequential Monte Carlo with pyabc, resumable after a kill.

pyabc's ABC-SMC (Del Moral et al. 2012; Klinger, Rickert and Hasenauer 2018) with an adaptive
threshold (the weighted median of the previous population's distances), a multivariate
normal perturbation kernel and uniform priors over the screened parameters.  The model of a
particle is its point simulated in the calibration world
(:class:`~sim.experiments.calibration.world.World`), the distance the sum of the soft
discrepancies of its targets (:mod:`~sim.experiments.calibration.distance`).

pyabc keeps every finished generation in its SQLite history.  To make a killed calibration
cheap to resume, generations are run one at a time, each by a fresh ``ABCSMC`` loaded from the
history (exactly what a resumed calibration does) after numpy's global generator (which pyabc's
single-core sampler draws from) is seeded from the calibration's seed and the generation's
number: a generation that was interrupted proposes the same particles again, and the world's
cache answers the ones already simulated.  Each particle's replications run in two
threads (the compiled week releases the GIL), so two cores are busy.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc

from sim.simulation.parameters import PRIOR

from .distance import distance
from .patterns import Target
from .world import World, point_of


@dataclass(frozen=True)
class Posterior:
    """The last population of an ABC-SMC run: particles, weights, distances, and each generation's record."""

    particles: pd.DataFrame  # one column per calibrated parameter, then "weight" and "distance"
    generations: pd.DataFrame  # per generation: t, epsilon, simulations, accepted, acceptance_rate, ess, seconds
    library: str


def _generation_seed(seed: int, label: str, t: int) -> int:
    return int(hashlib.sha256(f"{seed}:{label}:{t}".encode()).hexdigest()[:8], 16)


def infer(world: World, names: Sequence[str], targets: Sequence[Target], orderings: bool, folder: Path,
          label: str, *, particles: int, max_generations: int, min_acceptance: float, seed: int,
          model_discrepancy: Mapping[str, float] | None = None, quiet: bool = True) -> Posterior:
    """Run (or resume) ABC-SMC of ``names`` on ``targets`` into ``folder/abc_<label>.sqlite``; its last population.

    Stops after ``max_generations`` generations, or when a generation accepts fewer than
    ``min_acceptance`` of its proposals.
    """
    if not names:  # nothing for the targets to identify: the population is the prior's, every particle alike
        return Posterior(pd.DataFrame({"weight": np.full(particles, 1.0 / particles), "distance": math.nan}),
                         pd.DataFrame(columns=["t", "epsilon", "simulations", "accepted", "acceptance_rate", "ess",
                                               "seconds"]), f"pyabc {pyabc.__version__}")
    logging.getLogger("ABC").setLevel(logging.WARNING if quiet else logging.INFO)
    logging.getLogger("pyabc").setLevel(logging.WARNING if quiet else logging.INFO)
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", PRIOR[n].low, PRIOR[n].high - PRIOR[n].low) for n in names})
    extra = dict(model_discrepancy or {})

    def model(theta: Mapping[str, float]) -> dict[str, float]:
        return world.summaries(point_of(names, [theta[n] for n in names]), orderings)

    def measure(x: Mapping[str, float], _observed: Mapping[str, float]) -> float:
        return distance(x, targets, extra)

    def generation() -> pyabc.ABCSMC:  # a fresh object each time: pyabc caches the population it starts from
        return pyabc.ABCSMC(model, prior, measure, population_size=particles, sampler=pyabc.SingleCoreSampler(),
                            eps=pyabc.QuantileEpsilon(alpha=0.5), transitions=pyabc.MultivariateNormalTransition())

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"abc_{label}.sqlite"
    url = f"sqlite:///{db}"
    if not (db.is_file() and _has_run(url)):
        generation().new(url, {"none": 0.0})
    timings = _timings(folder, label)
    while True:
        abc = generation()
        history = abc.load(url, 1)
        t = history.max_t + 1
        if t >= max_generations or _stopped(history, min_acceptance):
            break
        np.random.seed(_generation_seed(seed, label, t))
        started = time.perf_counter()
        abc.run(max_nr_populations=1, min_acceptance_rate=min_acceptance)
        if history.max_t < t:  # the generation stopped short of its particles: acceptance too low
            break
        timings[t] = time.perf_counter() - started
        _save_timings(folder, label, timings)
    return _posterior(history, names, timings)


def _has_run(url: str) -> bool:
    """The history file holds a run to continue (pyabc writes it when ``new`` is called)."""
    try:
        return len(pyabc.History(url).all_runs()) > 0
    except Exception:  # noqa: BLE001 - a file that never got a run in it: start anew
        return False


def _stopped(history: pyabc.History, min_acceptance: float) -> bool:
    if history.max_t < 0:
        return False
    last = history.get_all_populations().iloc[-1]
    return last["samples"] > 0 and last["particles"] / last["samples"] < min_acceptance


def _timings(folder: Path, label: str) -> dict[int, float]:
    path = folder / f"abc_{label}_seconds.csv"
    if not path.is_file():
        return {}
    table = pd.read_csv(path)
    return dict(zip(table["t"].astype(int), table["seconds"].astype(float), strict=True))


def _save_timings(folder: Path, label: str, timings: Mapping[int, float]) -> None:
    pd.DataFrame({"t": list(timings), "seconds": list(timings.values())}).to_csv(
        folder / f"abc_{label}_seconds.csv", index=False)


def _posterior(history: pyabc.History, names: Sequence[str], timings: Mapping[int, float]) -> Posterior:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    distances = history.get_weighted_distances(t=history.max_t)["distance"].to_numpy(float)
    particles = frame[list(names)].reset_index(drop=True).assign(weight=weights / weights.sum(), distance=distances)
    rows = []
    for _, pop in history.get_all_populations().iterrows():
        t = int(pop["t"])
        if t < 0:
            continue
        _, w = history.get_distribution(m=0, t=t)
        rows.append({"t": t, "epsilon": float(pop["epsilon"]), "simulations": int(pop["samples"]),
                     "accepted": int(pop["particles"]), "acceptance_rate": float(pop["particles"] / pop["samples"]),
                     "ess": float(pyabc.weighted_statistics.effective_sample_size(w)),
                     "seconds": float(timings.get(t, math.nan))})
    return Posterior(particles, pd.DataFrame(rows), f"pyabc {pyabc.__version__}")


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: Sequence[float]) -> list[float]:
    """Quantiles of a weighted sample (pyabc's weighted_quantile, one per ``q``)."""
    return [float(pyabc.weighted_statistics.weighted_quantile(values, weights, alpha=a)) for a in q]


__all__ = ["Posterior", "infer", "weighted_quantiles"]


