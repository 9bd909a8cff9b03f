"""Which runs a scenario has: every run's identity, id and seed, in a fixed order.

A run's ``run_id`` and seed derive from its identity (structure, measures, parameter point,
replication) and the scenario's base seed, so adding runs never changes existing ones and a
finished run is recognised when a batch is resumed or extended.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from sim.simulation.rng import key_from_seed

from ..designs import design_points
from ..scenario import Scenario


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run of a batch, fully determined by its identity."""

    run_id: str
    structure: str
    measures: tuple[str, ...]
    point: int
    parameters: tuple[tuple[str, float], ...]
    replication: int
    seed: int


def run_spec(scenario: Scenario, structure: str, measures: tuple[str, ...], point: int, parameters: dict[str, float],
             replication: int) -> RunSpec:
    """A run's spec: id and seed from a stable hash of its identity and the base seed."""
    varied = tuple(sorted(parameters.items()))
    digest = hashlib.sha256(_identity(structure, measures, varied, replication).encode()).digest()
    words = [int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4)]
    return RunSpec(digest.hex()[:16], structure, measures, point, varied, replication,
                   key_from_seed([scenario.seed, *words]))


def _identity(structure: str, measures: tuple[str, ...], varied: tuple[tuple[str, float], ...],
              replication: int | None) -> str:
    """What a run's id hashes (``replication`` None: the set-up its replications share)."""
    return json.dumps([structure, list(measures), [[k, repr(v)] for k, v in varied],
                       *([] if replication is None else [replication])])


def groups(scenario: Scenario) -> list[tuple[str, tuple[str, ...], int, dict[str, float]]]:
    """Every (structure, measure set, point number, point) of the scenario, in plan order."""
    points = design_points(scenario.design, scenario.parameters)
    return [(s, tuple(m), k, pt) for s in scenario.structures for m in scenario.measures
            for k, pt in enumerate(points)]


def planned_runs(scenario: Scenario, replications: dict[tuple, int] | None = None) -> Iterator[RunSpec]:
    """Every run of the scenario in a fixed order, one at a time (``replications`` per group overrides the scenario's).

    A repeated design point is the same set-up, so its runs are the same runs: each comes once,
    where it first occurs.  Drawn lazily, so a batch of any size holds one group's worth of specs.
    """
    fixed = scenario.replications if isinstance(scenario.replications, int) else scenario.replications.min
    given: dict[str, int] = {}  # replications already planned per set-up
    for structure, measures, point, params in groups(scenario):
        n = (replications or {}).get((structure, measures, point), fixed)
        setup = _identity(structure, measures, tuple(sorted(params.items())), None)
        for r in range(given.get(setup, 0), n):
            yield run_spec(scenario, structure, measures, point, params, r)
        given[setup] = max(given.get(setup, 0), n)


def plan(scenario: Scenario, replications: dict[tuple, int] | None = None) -> list[RunSpec]:
    """:func:`planned_runs` as a list."""
    return list(planned_runs(scenario, replications))


@dataclass(frozen=True)
class PlanIndex:
    """Where each planned run stands: its place in plan order and its current design point, in compact arrays.

    Built in one pass over :func:`planned_runs`, it holds 24 bytes per run instead of the specs,
    so the tables of a batch of any size are put in order without holding its plan.
    """

    ids: np.ndarray  # run ids (16 hex digits) as uint64, sorted
    order: np.ndarray  # plan position of each id
    points: np.ndarray  # current design point of each id
    varied: tuple[str, ...]  # every parameter or structural field some planned run varies, sorted

    @classmethod
    def of(cls, specs: Iterable[RunSpec]) -> PlanIndex:
        ids, points, varied = [], [], set()
        for spec in specs:
            ids.append(int(spec.run_id, 16))
            points.append(spec.point)
            varied.update(name for name, _ in spec.parameters)
        key = np.array(ids, np.uint64)
        sort = np.argsort(key, kind="stable")
        return cls(key[sort], sort.astype(np.int64), np.array(points, np.int64)[sort], tuple(sorted(varied)))

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, run_ids: Iterable[str]) -> np.ndarray:
        """Each run's index into the arrays, or -1 for a run not in the plan."""
        key = np.array([int(r, 16) for r in run_ids], np.uint64)
        if not len(self.ids):
            return np.full(len(key), -1, np.int64)
        at = np.minimum(np.searchsorted(self.ids, key), len(self.ids) - 1)
        return np.where(self.ids[at] == key, at, -1)


class FinishedRuns:
    """The run ids a folder has committed, as sorted uint64 (8 bytes a run; a set of str took ~100).

    Ids committed since the last merge wait in a set of ints and are merged once they are an eighth
    of the rest, so a batch that commits chunk after chunk sorts its ids O(log n) times, not per chunk.
    """

    MERGE_AT = 4096  # the fewest waiting ids worth a merge

    def __init__(self) -> None:
        self._merged = np.empty(0, np.uint64)
        self._recent: set[int] = set()

    def update(self, run_ids: Iterable[str]) -> None:
        self._recent.update(int(r, 16) for r in run_ids)
        if len(self._recent) > max(self.MERGE_AT, len(self._merged) // 8):
            self._merged = np.union1d(self._merged, np.fromiter(self._recent, np.uint64, len(self._recent)))
            self._recent = set()

    def __contains__(self, run_id: str) -> bool:
        key = int(run_id, 16)
        return key in self._recent or self._holds(key)

    def __len__(self) -> int:
        return len(self._merged) + sum(1 for key in self._recent if not self._holds(key))

    def _holds(self, key: int) -> bool:
        at = int(np.searchsorted(self._merged, np.uint64(key)))
        return at < len(self._merged) and int(self._merged[at]) == key
