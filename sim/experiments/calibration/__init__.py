"""Bayesian calibration: screen, ABC-SMC on the seeds' process patterns (A) and with the report's orderings (B), then
the posterior predictive probability of every verdict.  ``docs/CALIBRATION.md`` states the method and its outcome.

1. :mod:`.screen`: Sobol' indices (SALib) of every uncertain parameter on the calibration's summaries pick the
   parameters the patterns identify; the others are carried through from their priors.
2. :mod:`.inference`: pyabc's ABC-SMC of the picked parameters on the process patterns of :mod:`.patterns`
   (calibration A, whose posterior medians are the defaults), and on the patterns and the report's 14 orderings
   (calibration B); the distance is the sum of soft discrepancies (:mod:`.distance`).
3. :mod:`.predictive`: the probability of each ordering, relation to today, cell of tables 4-6 and pattern
   under each posterior, at 2, 5 and 10 years, with its Monte Carlo error.

Everything is written into one folder, locked while it is written and refused when its scenario or code
differs from what made it; every simulation is cached there, so a killed calibration resumes without
redoing one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.simulation.parameters import BY_NAME, PRIOR, PRIORS

from ..batch.errors import BatchConflict
from ..batch.fingerprint import differences, fingerprint
from ..batch.lock import FolderLock
from ..runner import claim_folder, output_path, write_atomic, write_parquet_atomic
from ..scenario import Scenario
from .distance import distance, shortfall
from .inference import Posterior, infer, weighted_quantiles
from .patterns import MODELS, ORDERINGS, PATTERNS, PROGRAMME
from .predictive import predictive
from .screen import calibrated, screen
from .world import Cache, World

RECORD = "calibration.json"  # the folder's fingerprint and what it holds


def check_calibration_scenario(scenario: Scenario) -> None:
    """The scenario declares the 0-24 programme and compares today's organisation and models 1-3."""
    missing = [m for m in MODELS if m not in scenario.structures]
    if missing:
        raise ValueError(f"the calibration compares {', '.join(MODELS)}: structures must list them all "
                         f"(missing {', '.join(missing)}); the report's orderings and relations to today need them.")
    if PROGRAMME not in scenario.organisations():
        raise ValueError(f"the calibration scenario must declare [models.{PROGRAMME}], the 0-24 collaboration whose "
                         "patterns it fits (scenarios/calibration.toml).")
    if scenario.mandate_change_week != "never":
        raise ValueError("the calibration fits the report's premise (no change of mandate); set mandate_change_week = "
                         "\"never\" (the posterior predictive reports both premises).")


def calibrate(scenario: Scenario, *, out: str | os.PathLike[str] | None = None, workers: int = 2,
              quiet: bool = True, restart: bool = False) -> dict[str, Any]:
    """Screen, calibrate A and B, and score the posterior predictive; write the folder's tables; the diagnostics.

    Re-running into the same folder resumes; ``restart`` empties a folder another scenario or code made.
    """
    check_calibration_scenario(scenario)
    folder = output_path(out, "calibrate: out") if out is not None else scenario.output_dir
    claim_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder)
    lock.acquire()
    try:
        _claim(folder, scenario, restart)
        return _calibrate(scenario, folder, workers, quiet)
    finally:
        lock.release()


def _claim(folder: Path, scenario: Scenario, restart: bool) -> None:
    """Refuse a folder another scenario or code made (unless ``restart``), then record this one's fingerprint."""
    record = folder / RECORD
    mine = fingerprint(scenario)
    if record.is_file():
        theirs = json.loads(record.read_text(encoding="utf-8"))["fingerprint"]
        if theirs != mine:
            if not restart:
                changed = "; ".join(differences(theirs, mine)[:6])
                raise BatchConflict(f"{folder} holds a calibration of another scenario or code ({changed}); run "
                                    "`sim calibrate ... --restart` to start it afresh there, or choose another --out.")
            for name in ("simulations.sqlite", "simulations.sqlite-wal", "simulations.sqlite-shm", "abc_A.sqlite",
                         "abc_B.sqlite", "abc_A_seconds.csv", "abc_B_seconds.csv", "screen.csv", "screen_reach.csv", SECONDS):
                (folder / name).unlink(missing_ok=True)
    write_atomic(record, json.dumps({"fingerprint": mine}, indent=2).encode())


def _calibrate(scenario: Scenario, folder: Path, workers: int, quiet: bool) -> dict[str, Any]:
    settings = scenario.calibration
    cache = Cache(folder / "simulations.sqlite")
    world = World(scenario.organisations()[PROGRAMME], dict(scenario.parameters), settings.replications,
                  scenario.seed, cache, threads=2)
    with _timed(folder, "screen"):
        table, reach = _screen(world, scenario, folder, workers, quiet)
    extra = dict(zip(reach["summary"], reach["model_discrepancy"], strict=True))
    stages: dict[str, Posterior] = {}
    names: dict[str, tuple[str, ...]] = {}
    for label, targets, orderings in (("A", PATTERNS, False), ("B", (*PATTERNS, *ORDERINGS), True)):
        screened = set(calibrated(table, label)) | set(settings.also_calibrate)
        names[label] = tuple(p.name for p in PRIORS if p.name in screened)
        with _timed(folder, f"calibration {label}"):
            stages[label] = infer(world, names[label], targets, orderings, folder, label,
                                  particles=settings.particles, max_generations=settings.max_generations,
                                  min_acceptance=settings.min_acceptance, seed=scenario.seed,
                                  model_discrepancy=extra, quiet=quiet)
    with _timed(folder, "profiles"):
        profiles = _profiles(world, stages["A"], names["A"], extra)
    tables = []
    for label, posterior in stages.items():
        with _timed(folder, f"predictive {label}"):
            found = predictive(world, posterior.particles, names[label], settings.predictive_draws,
                               settings.predictive_replications, scenario.seed + 1, quiet=quiet)
        tables.append(found.assign(calibration=label, held_out=found["kind"].map(_held_out(label))))
    predictions = pd.concat(tables, ignore_index=True)
    posterior = pd.concat([p.particles.assign(calibration=label) for label, p in stages.items()], ignore_index=True)
    diagnostics = _diagnostics(stages, names, table, reach, settings, _seconds(folder), cache)
    write_parquet_atomic(posterior, folder / "posterior.parquet")
    write_atomic(folder / "profiles.csv", profiles.to_csv(index=False, float_format="%.6g").encode())
    write_atomic(folder / "predictive.csv", predictions.to_csv(index=False, float_format="%.6g").encode())
    write_atomic(folder / "diagnostics.json", json.dumps(diagnostics, indent=2).encode())
    return diagnostics


SECONDS = "seconds.json"  # wall seconds per stage, summed over the invocations that finished it


@contextmanager
def _timed(folder: Path, stage: str) -> Iterator[None]:
    """Add the stage's wall time to the folder's record once it finishes (a resumed stage adds what it still took)."""
    started = time.perf_counter()
    yield
    seconds = _seconds(folder)
    seconds[stage] = round(seconds.get(stage, 0.0) + time.perf_counter() - started, 1)
    write_atomic(folder / SECONDS, json.dumps(seconds, indent=2).encode())


def _seconds(folder: Path) -> dict[str, float]:
    path = folder / SECONDS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


PROFILE_POINTS = 9  # values across a prior at which a parameter's profile is simulated


def _profiles(world: World, posterior: Posterior, names: tuple[str, ...], extra: dict[str, float]) -> pd.DataFrame:
    """Each calibrated parameter of A moved across its prior, the others at their posterior medians: the distance.

    A parameter the patterns identify has a profile with a clear minimum; a flat one is not identified.
    """
    particles = posterior.particles
    weights = particles["weight"].to_numpy(float)
    medians = {n: weighted_quantiles(particles[n].to_numpy(float), weights, (0.5,))[0] for n in names}
    rows = []
    for name in names:
        prior = PRIOR[name]
        for value in np.linspace(prior.low, prior.high, PROFILE_POINTS):
            point = {**medians, name: float(value)}
            found = world.summaries({n: float(f"{v:.12g}") for n, v in point.items()}, orderings=False)
            rows.append({"parameter": name, "value": float(value), "median": medians[name],
                         "distance": distance(found, PATTERNS, extra),
                         **{t.name: found[t.name] for t in PATTERNS}})
    return pd.DataFrame(rows)


def _held_out(label: str) -> dict[str, bool]:
    """Which kinds of statement a calibration did not fit: A fitted the patterns only, B the orderings too."""
    return {"pattern": False, "ordering": label == "A", "relation": True, "cell": label == "A"}


def _screen(world: World, scenario: Scenario, folder: Path, workers: int, quiet: bool
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The screen's table (computed once per folder) and, per summary, how often the screen's points meet it."""
    path, reached = folder / "screen.csv", folder / "screen_reach.csv"
    if path.is_file() and reached.is_file():
        return pd.read_csv(path), pd.read_csv(reached)
    settings = scenario.calibration
    table, values = screen(replace(world, replications=settings.screen_replications), settings.screen_samples,
                           settings.screen_cutoff, settings.screen_noise, scenario.seed, workers=workers, quiet=quiet)
    rows = []
    for target in (*PATTERNS, *ORDERINGS):
        x = values[target.name].to_numpy(float)
        gaps = np.array([shortfall(v, target) for v in x])
        rows.append({"summary": target.name, "statement": target.statement, "share_met": float((gaps == 0).mean()),
                     "model_discrepancy": float(gaps.min()), "screen_min": float(x.min()),
                     "screen_max": float(x.max())})
    reach = pd.DataFrame(rows)
    write_atomic(path, table.to_csv(index=False, float_format="%.6g").encode())
    write_atomic(reached, reach.to_csv(index=False, float_format="%.6g").encode())
    return table, reach


def _diagnostics(stages: dict[str, Posterior], names: dict[str, tuple[str, ...]], table: pd.DataFrame,
                 reach: pd.DataFrame, settings: Any, seconds: dict[str, float], cache: Cache) -> dict[str, Any]:
    out: dict[str, Any] = {"library": next(iter(stages.values())).library, "method": "pyabc ABC-SMC, adaptive "
                           "epsilon (weighted median), multivariate normal kernel, uniform priors; soft probit "
                           "discrepancies; Sobol' screen (SALib) with common random numbers",
                           "wall_seconds": {**seconds, "total": round(sum(seconds.values()), 1)},
                           "points_simulated": len(cache),
                           "points_simulated_twice": cache.redone(),
                           "particles": settings.particles, "replications": settings.replications,
                           "screen": {"samples": settings.screen_samples, "cutoff": settings.screen_cutoff,
                                      "noise_limit": settings.screen_noise,
                                      "parameters": int(table["parameter"].nunique())},
                           "model_discrepancy": {r.summary: r.model_discrepancy for r in reach.itertuples()
                                                 if r.model_discrepancy > 0}}
    for label, posterior in stages.items():
        particles = posterior.particles
        weights = particles["weight"].to_numpy(float)
        rows = []
        for name in names[label]:
            prior = PRIOR[name]
            lo, med, hi = weighted_quantiles(particles[name].to_numpy(float), weights, (0.05, 0.5, 0.95))
            prior_width = 0.9 * (prior.high - prior.low)
            rows.append({"parameter": name, "prior": [prior.low, prior.high], "prior_90": [
                prior.low + 0.05 * (prior.high - prior.low), prior.high - 0.05 * (prior.high - prior.low)],
                "posterior_median": med, "posterior_90": [lo, hi], "width_ratio": (hi - lo) / prior_width,
                "default": BY_NAME[name].default})
        generations = posterior.generations
        last = generations.iloc[-1] if len(generations) else None
        out[label] = {"calibrated": list(names[label]), "generations": generations.to_dict(orient="records"),
                      "final_epsilon": float(last["epsilon"]) if last is not None else None,
                      "ess": float(1.0 / np.sum(weights**2)),
                      "simulations": int(generations["simulations"].sum()) if len(generations) else 0,
                      "parameters": rows}
    return out


__all__ = ["calibrate", "check_calibration_scenario"]
