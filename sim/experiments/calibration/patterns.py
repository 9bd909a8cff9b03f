"""What the calibration compares the model with: the seeds' process patterns, the report's orderings, held-out facts.

Every statement is a *target* on one summary of simulated runs: an interval or a bound on a
natural scale (steps of the staircase, a share), or a sign for an ordering between two models
(a standardised difference: the difference of means over the pooled standard deviation of
the runs, so its size does not depend on how many replications there are).  Calibration A
fits the process patterns only (:data:`PATTERNS`); the report's 14 orderings and its relations
to today's organisation are then an out-of-sample test (:data:`ORDERINGS`, :data:`RELATIONS`).
Calibration B fits the patterns and the orderings.  ``docs/CALIBRATION.md`` states why each
pattern is read as it is, before any run.

The patterns are observed in a *calibration world* of four set-ups: the 0-24 collaboration
(2015-2020), a five-year programme of five directorates, declared in the calibration scenario
(``programme_0_24``), with today's arenas silent (they did not yet exist); today's organisation
(``baseline``); today's organisation with programme financing (the 0-24 pilot); and, for the
orderings, models 1-3.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.simulation.metrics import CRITERIA, HORIZON_YEARS
from sim.simulation.model import CoordinationModel
from sim.simulation.structures import OrganisationModel

from ..orderings import report_orderings

PROGRAMME = "programme_0_24"  # the declared model of the calibration scenario
PROGRAMME_YEARS = 5  # 2015-2020 (004 §1.1)
EARLY_WEEKS = 78  # DFØ's first note (Difi 2016) came after about a year and a half of the programme
AFTER_WEEKS = 52  # a year after the programme's end
PILOT_FROM, PILOT_WEEKS = 260, 156  # the pilot's three years (2020-2023), once the state's work is under way


@dataclass(frozen=True)
class Target:
    """One statement the model is held to: ``low <= summary <= high`` (either bound may be missing).

    ``scale`` is how far outside the bounds a summary may stray before the statement is clearly
    broken, in the summary's own units: the probit discrepancy of
    :func:`sim.experiments.calibration.distance.discrepancy` uses it.
    """

    name: str
    statement: str
    source: str
    low: float = -math.inf
    high: float = math.inf
    scale: float = 1.0


PATTERNS: tuple[Target, ...] = (
    Target("p024_step_early", "the 0-24 collaboration is judged at step 2 in its early phase",
           "004 §2.3: 'I vårt notat fra 2016 observerte og vurderte vi samarbeidet med trinn 2 som målestokk, gitt at "
           "programmet fortsatt befant seg i en tidlig fase'", low=1.5, high=2.5, scale=0.25),
    Target("p024_step_end", "by its end it works at steps 3-4",
           "004 §2.3: 'Nå ved avrundingen av programmet retter vi oppmerksomheten mot nivå 3 og nivå 4'; §4: 'Vi mener "
           "at samarbeidet har vært vellykket'", low=2.5, high=3.5, scale=0.25),
    Target("p024_top_end", "some of its pairs have reached step 4 by its end",
           "004 §2.3: 'det er mulig å ha nådd trinn 4 i en beslutningsfase'", low=0.02, scale=0.02),
    Target("p024_fall_after", "a year after it ends without a continuation its relations are lower",
           "004 §4.1: 'Det kan føre til et rykk tilbake til start på samordningstrappa'", high=-0.25, scale=0.25),
    Target("today_cross_step", "today's cross-sector relations do not reach shared problem understanding",
           "001 (0-24 evaluation): 'En hovedutfordring handler om felles problemforståelse'; 001 and 003: weak "
           "cross-sector coordination is the main obstacle", high=2.0, scale=0.25),
    Target("pilot_climb_share", "with pooled programme financing most municipalities that take it up move on",
           "002 §Finansiering: 'de fleste kommunene har tatt store steg med hensyn til å forankre, konkretisere, "
           "pilotere og iverksette ulike tiltak og samarbeidsmodeller'", low=0.5, scale=0.1),
)


def _ordering_target(criterion: str, lower: str, higher: str) -> Target:
    return Target(f"order|{criterion}|{lower}<{higher}", f"{criterion}: {lower} < {higher}",
                  "000 tables 4-6 (the report's verdicts)", low=0.0, scale=0.5)


ORDERINGS: tuple[Target, ...] = tuple(_ordering_target(r.criterion, r.lower, r.higher)
                                      for r in report_orderings().itertuples(index=False))
# the report's relations to today's organisation (000 table 4, model 1), held out in both calibrations
RELATIONS: tuple[Target, ...] = (
    Target("today|shared_understanding|baseline<model1", "shared_understanding: today < model1",
           "000 table 4: 'Noe styrket sammenliknet med i dag'", low=0.0, scale=0.5),
    Target("today|strategic_coordination|baseline<model1", "strategic_coordination: today < model1",
           "000 table 4: 'Noe sterkere enn dagens situasjon'", low=0.0, scale=0.5),
    Target("today|local_support|baseline~model1", "local_support: model1 as today",
           "000 table 4: 'Som i dag, liten ytterligere understøttende funksjon'", low=-0.5, high=0.5, scale=0.5),
)
MODELS = ("baseline", "model1", "model2", "model3")


SEPARATED = 5.0  # pooled standard deviations: two normal groups this far apart overlap in under 1 % of their runs


def standardised(low: np.ndarray, high: np.ndarray) -> float:
    """(mean(high) - mean(low)) / pooled standard deviation: an ordering's size that does not shrink with replications.

    Clipped to ±:data:`SEPARATED`: beyond it the groups no longer overlap, and a larger value says
    only that the runs barely vary (with a handful of replications the pooled deviation can be
    near zero, and the ratio in the thousands).  With no spread at all the sign alone decides.
    """
    pooled = math.sqrt((np.var(low, ddof=1) + np.var(high, ddof=1)) / 2) if min(len(low), len(high)) > 1 else 0.0
    difference = float(np.mean(high) - np.mean(low))
    if pooled == 0.0:
        return math.copysign(SEPARATED, difference) if difference else 0.0
    return max(-SEPARATED, min(SEPARATED, difference / pooled))


def _in_threads(function, items: Sequence[Any], threads: int) -> list[Any]:
    if threads <= 1 or len(items) == 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(min(threads, len(items)), thread_name_prefix="sim-calibration") as pool:
        return list(pool.map(function, items))


def _replicas(structure: str | OrganisationModel, seeds: Sequence[int], measures: Sequence[str] = (),
              **keywords: Any) -> list[CoordinationModel]:
    first = CoordinationModel(structure, measures, rng=seeds[0], **keywords)
    return [first, *(first.replicate(seed) for seed in seeds[1:])]


def _mean_step(model: CoordinationModel, pairs: np.ndarray) -> float:
    return float(model.state.level[pairs].mean())


def programme_summaries(programme: OrganisationModel, seeds: Sequence[int], parameters: Mapping[str, float],
                        threads: int = 2) -> dict[str, float]:
    """The 0-24 patterns: its member pairs' mean step early and at its end, the share at step 4 at its end, and the
    change in the year after it ends (means over the replications)."""
    period = PROGRAMME_YEARS * 52

    def one(model: CoordinationModel) -> tuple[float, float, float, float]:
        pairs = model.world.ar_pairs[model.world.ar_pair_ptr[0]:model.world.ar_pair_ptr[1]]
        model.run_weeks(EARLY_WEEKS)
        early = _mean_step(model, pairs)
        model.run_weeks(period - EARLY_WEEKS)
        end, top = _mean_step(model, pairs), float((model.state.level[pairs] == 4).mean())
        model.run_weeks(AFTER_WEEKS)
        return early, end, top, _mean_step(model, pairs) - end

    rows = np.array(_in_threads(one, _replicas(programme, seeds, **parameters), threads))
    return dict(zip(("p024_step_early", "p024_step_end", "p024_top_end", "p024_fall_after"), rows.mean(axis=0),
                    strict=True))


def today_summaries(seeds: Sequence[int], parameters: Mapping[str, float], threads: int = 2) -> dict[str, float]:
    """Today's organisation after ten years: the mean step of its active cross-sector relations; and three years of
    pooled programme financing, once the state's work is under way: the share of the municipalities that took
    something up in those years whose local coordination climbed in them."""
    def cross(model: CoordinationModel) -> float:
        model.run_weeks(520)
        w, s = model.world, model.state
        active = w.pair_cross & (model.week - s.last_contact < 52)
        return float(s.level[active].mean()) if active.any() else 0.0

    def pilot(model: CoordinationModel) -> float:
        model.run_weeks(PILOT_FROM)  # the state's pipeline of assignments under way, as it was when the pilot began
        level, uptakes = model.state.local_level.copy(), model.state.uptakes.copy()
        model.run_weeks(PILOT_WEEKS)
        took = model.state.uptakes > uptakes
        return float((model.state.local_level[took] > level[took]).mean()) if took.any() else 0.0

    today = _in_threads(cross, _replicas("baseline", seeds, **parameters), threads)
    pooled = _in_threads(pilot, _replicas("baseline", seeds, ("programme_financing",), **parameters), threads)
    return {"today_cross_step": float(np.mean(today)), "pilot_climb_share": float(np.mean(pooled))}


def model_criteria(seeds: Sequence[int], parameters: Mapping[str, float], threads: int = 2,
                   mandate_change_week: int | None = None) -> dict[str, np.ndarray]:
    """Each of today's organisation and models 1-3: the six criteria at each horizon, one row per replication.

    Keyed ``"<model>|<years>"``: an array of (replications, criteria).
    """
    from sim.simulation.metrics import INDEX

    columns = [INDEX[c] for c in CRITERIA]

    def run(model: CoordinationModel) -> np.ndarray:
        model.run_weeks(HORIZON_YEARS[-1] * 52)
        history = model.metric_history()
        return np.stack([history[years * 52, columns] for years in HORIZON_YEARS])

    out: dict[str, np.ndarray] = {}
    for structure in MODELS:
        runs = np.array(_in_threads(run, _replicas(structure, seeds, mandate_change_week=mandate_change_week,
                                                   **parameters), threads))  # (replications, horizons, criteria)
        for h, years in enumerate(HORIZON_YEARS):
            out[f"{structure}|{years}"] = runs[:, h, :]
    return out


def comparison_summaries(criteria: Mapping[str, np.ndarray], years: int = HORIZON_YEARS[-1]) -> dict[str, float]:
    """The standardised difference of each ordering and each relation to today at ``years``."""
    out = {}
    for target in (*ORDERINGS, *RELATIONS):
        _, criterion, pair = target.name.split("|")
        low, high = pair.replace("~", "<").split("<")
        k = CRITERIA.index(criterion)
        out[target.name] = standardised(criteria[f"{low}|{years}"][:, k], criteria[f"{high}|{years}"][:, k])
    return out


__all__ = ["MODELS", "ORDERINGS", "PATTERNS", "PROGRAMME", "RELATIONS", "Target", "comparison_summaries",
           "model_criteria", "programme_summaries", "standardised", "today_summaries"]
