"""The screen: which uncertain parameters move which calibration summaries (Sobol' indices with SALib).

Every parameter of :data:`sim.simulation.parameters.PRIORS` varies over its prior at once in
Saltelli's extension of a Sobol' sequence; each point is simulated in the calibration world
with the same replication seeds (common random numbers, so that noise does not pass for an
effect); SALib estimates each parameter's first-order and total-order index on each summary,
with bootstrap 95 % intervals.  A parameter whose total-order index clearly reaches the
scenario's ``screen_cutoff`` on a process pattern is calibrated in A; on a pattern or an
ordering, in B.
The others are carried through from their priors.  The points are simulated in worker
processes and cached (:class:`~sim.experiments.calibration.world.Cache`), so a killed screen
resumes where it stopped.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from tqdm import tqdm

from sim.simulation.parameters import PRIORS

from .patterns import ORDERINGS, PATTERNS
from .world import World, point_of

NAMES: tuple[str, ...] = tuple(p.name for p in PRIORS)
PROBLEM = {"num_vars": len(PRIORS), "names": list(NAMES), "bounds": [[p.low, p.high] for p in PRIORS]}
NOISE_REPEATS = 16  # the prior midpoint simulated with this many seed sets: how much of a summary is noise


def _evaluate(world: World, values: Sequence[float]) -> dict[str, float]:
    return world.summaries(point_of(NAMES, values), orderings=True)


def _simulate(world: World, points: np.ndarray, workers: int, quiet: bool, label: str) -> list[dict[str, float]]:
    _evaluate(world, points[0])  # in the parent first: the kernels compiled or loaded before the workers fork
    if workers <= 1:
        return [_evaluate(world, x) for x in tqdm(points, desc=label, disable=quiet)]
    single = replace(world, threads=1)
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(tqdm(pool.map(_evaluate, [single] * len(points), points, chunksize=8), total=len(points),
                         desc=label, disable=quiet))


def screen(world: World, samples: int, cutoff: float, noise_limit: float, seed: int, workers: int = 2,
           quiet: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol' indices of every uncertain parameter on every summary, which parameters each calibration fits, and the
    summaries at every point of the screen.

    One row per parameter and summary: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (bootstrap 95 %
    half-widths), the summary's ``noise_share`` (the share of its variance over the screen that
    the replications' seeds alone give at the prior midpoint), and ``calibrated_A`` /
    ``calibrated_B`` per parameter: the lower end of its total-order index's interval reaches
    ``cutoff`` on a summary of that calibration whose noise share is at most ``noise_limit`` (on a
    summary mostly made of noise, Sobol' indices share the noise out among the parameters).
    """
    points = sobol_sample.sample(PROBLEM, N=samples, calc_second_order=False, seed=seed)
    common = replace(world, common_seeds=True)
    rows = _simulate(common, points, workers, quiet, "screen")
    summaries = list(rows[0])
    values = np.array([[row[name] for name in summaries] for row in rows])
    middle = [(p.low + p.high) / 2 for p in PRIORS]
    noise = [replace(world, seed=world.seed + 1 + k, common_seeds=True) for k in range(NOISE_REPEATS)]
    repeated = np.array([[row[name] for name in summaries] for row in
                         (_evaluate(w, middle) for w in tqdm(noise, desc="noise", disable=quiet))])
    table = []
    for j, summary in enumerate(summaries):
        y = values[:, j]
        spread = float(np.var(y, ddof=1))
        share = float(np.var(repeated[:, j], ddof=1) / spread) if spread > 0 else float("nan")
        if spread == 0:  # a summary no parameter moves: every index is 0
            indices = {"S1": np.zeros(len(NAMES)), "S1_conf": np.zeros(len(NAMES)),
                       "ST": np.zeros(len(NAMES)), "ST_conf": np.zeros(len(NAMES))}
        else:
            indices = sobol_analyze.analyze(PROBLEM, y, calc_second_order=False, num_resamples=200,
                                            conf_level=0.95, seed=seed, print_to_console=False)
        for k, name in enumerate(NAMES):
            table.append({"parameter": name, "summary": summary, "S1": float(indices["S1"][k]),
                          "S1_conf": float(indices["S1_conf"][k]), "ST": float(indices["ST"][k]),
                          "ST_conf": float(indices["ST_conf"][k]), "noise_share": share})
    frame = pick(pd.DataFrame(table), cutoff, noise_limit)
    return frame, pd.DataFrame(values, columns=summaries)


def pick(frame: pd.DataFrame, cutoff: float, noise_limit: float) -> pd.DataFrame:
    """The screen's table with ``calibrated_A`` and ``calibrated_B``: the parameters whose total-order index's 95 %
    interval lies above ``cutoff`` on a pattern (A) or on a pattern or an ordering (B) that is at most ``noise_limit``
    noise."""
    moved = (frame["ST"] - frame["ST_conf"] >= cutoff) & (frame["noise_share"] <= noise_limit)
    for label, kinds in (("A", {t.name for t in PATTERNS}), ("B", {t.name for t in (*PATTERNS, *ORDERINGS)})):
        picked = set(frame.loc[moved & frame["summary"].isin(kinds), "parameter"])
        frame = frame.assign(**{f"calibrated_{label}": frame["parameter"].isin(picked)})
    return frame


def calibrated(frame: pd.DataFrame, which: str) -> tuple[str, ...]:
    """The parameters the screen picked for calibration ``which`` ("A" or "B"), in the table's order."""
    return tuple(p for p in NAMES if frame.loc[frame["parameter"] == p, f"calibrated_{which}"].any())


__all__ = ["NAMES", "PROBLEM", "calibrated", "pick", "screen"]
