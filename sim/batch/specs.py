"""Which runs a scenario has: every run's identity, id and seed, in a fixed order.

A run's ``run_id`` and seed derive from its identity (structure, measures, parameter point,
replication) and the scenario's base seed, so adding runs never changes existing ones and a
finished run is recognised when a batch is resumed or extended.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..designs import design_points
from ..rng import key_from_seed
from ..scenario import Scenario


@dataclass(frozen=True)
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
    identity = json.dumps([structure, list(measures), [[k, repr(v)] for k, v in varied], replication])
    digest = hashlib.sha256(identity.encode()).digest()
    words = [int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4)]
    return RunSpec(digest.hex()[:16], structure, measures, point, varied, replication,
                   key_from_seed([scenario.seed, *words]))


def groups(scenario: Scenario) -> list[tuple[str, tuple[str, ...], int, dict[str, float]]]:
    """Every (structure, measure set, point number, point) of the scenario, in plan order."""
    points = design_points(scenario.design)
    return [(s, tuple(m), k, pt) for s in scenario.structures for m in scenario.measures
            for k, pt in enumerate(points)]


def plan(scenario: Scenario, replications: dict[tuple, int] | None = None) -> list[RunSpec]:
    """Every run of the scenario in a fixed order (``replications`` per group overrides the scenario's)."""
    fixed = scenario.replications if isinstance(scenario.replications, int) else scenario.replications.min
    specs: dict[str, RunSpec] = {}  # a repeated design point is the same run: keep its first occurrence
    for structure, measures, point, params in groups(scenario):
        n = (replications or {}).get((structure, measures, point), fixed)
        for r in range(n):
            spec = run_spec(scenario, structure, measures, point, params, r)
            specs.setdefault(spec.run_id, spec)
    return list(specs.values())
