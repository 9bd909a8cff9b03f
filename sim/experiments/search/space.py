"""The search space: pymoo's mixed variables for a scenario's ``[search]``, and the candidates they decode to.

A candidate is a base structure (one of the scenario's ``structures``), the measures switched
on, and a value for each structural field of ``search.space``.  Its runs are the design's
points (the uncertainty sample) times the replications, with common random numbers: run k, r
of every candidate has the same parameter point and the same seed, so two candidates differ
only by what their structures make the actors do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from pymoo.core.variable import Binary, Choice, Integer, Real

from sim.simulation.rng import key_from_seed
from sim.simulation.structures import OrganisationModel, check_structure

from ..batch.specs import RunSpec, run_spec
from ..designs import design_points
from ..scenario import Scenario, SearchRange
from ..structural import changed, numeric_type, typed

STRUCTURE = "structure"


@dataclass(frozen=True)
class Candidate:
    """One structure the search judges: a base model, the measures switched on, the structural fields set."""

    structure: str
    measures: tuple[str, ...]
    changes: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> str:
        """A stable name of the candidate (the same structure always has the same key)."""
        identity = json.dumps([self.structure, list(self.measures), [[k, repr(v)] for k, v in self.changes]])
        return hashlib.sha256(identity.encode()).hexdigest()[:12]

    def organisation(self, scenario: Scenario) -> OrganisationModel:
        """The organisation model this candidate simulates."""
        return changed(check_structure(scenario.organisation(self.structure)), dict(self.changes))


def variables(scenario: Scenario) -> dict[str, Any]:
    """pymoo variables: the base structure, one per space field (choices by index), one bit per measure."""
    search = scenario.search
    found: dict[str, Any] = {}
    if len(scenario.structures) > 1:
        found[STRUCTURE] = Choice(options=list(scenario.structures))
    for name, choices in search.space.items():
        if isinstance(choices, SearchRange):
            whole = numeric_type(name) is int
            low, high = (round(choices.low), round(choices.high)) if whole else (choices.low, choices.high)
            found[name] = Integer(bounds=(low, high)) if whole else Real(bounds=(float(low), float(high)))
        elif len(choices) > 1:
            found[name] = Choice(options=list(range(len(choices))))
    for measure in search.measures:
        found[f"measure:{measure}"] = Binary()
    return found


def decode(scenario: Scenario, x: dict[str, Any]) -> Candidate:
    """The candidate a pymoo solution stands for (numpy scalars become Python values)."""
    search = scenario.search
    plain = {k: v.item() if isinstance(v, np.generic) else v for k, v in x.items()}
    structure = str(plain.get(STRUCTURE, scenario.structures[0]))
    changes = []
    for name, choices in search.space.items():
        value = plain[name] if isinstance(choices, SearchRange) else choices[int(plain.get(name, 0))]
        changes.append((name, typed(name, value)))
    measures = tuple(sorted(m for m in search.measures if plain.get(f"measure:{m}")))
    return Candidate(structure, measures, tuple(sorted(changes)))


def reference(structure: str, measures: tuple[str, ...] = ()) -> Candidate:
    """A structure as it is declared, with some measures: what the search compares its candidates with."""
    return Candidate(structure, tuple(sorted(measures)), ())


def references(scenario: Scenario) -> list[Candidate]:
    """Every reference structure with every subset of the searchable measures (none first).

    A candidate is compared with each reference given the same measures, so that "better than
    model X" means a better structure, not more measures; the reference's best measure set is
    among these too.
    """
    search = scenario.search
    subsets = [m for k in range(len(search.measures) + 1) for m in itertools.combinations(search.measures, k)]
    return [reference(s, m) for s in search.references or scenario.structures for m in subsets]


def candidate_specs(scenario: Scenario, candidate: Candidate, points: list[dict[str, Any]] | None = None,
                    ) -> list[RunSpec]:
    """The candidate's runs: each design point and replication, with that point's and replication's seed.

    ``points``: the design's points when the caller has them (a posterior design reads its file to draw them).
    """
    specs = []
    for k, point in enumerate(design_points(scenario.design, scenario.parameters) if points is None else points):
        for r in range(scenario.max_replications):
            spec = run_spec(scenario, candidate.structure, candidate.measures, k, {**point, **dict(candidate.changes)}, r)
            # its own id: a batch's run of the same identity has another seed, and the two must never pass for each other
            run_id = hashlib.sha256(f"{spec.run_id}:common-random-numbers".encode()).hexdigest()[:16]
            specs.append(dataclasses.replace(spec, run_id=run_id, seed=common_seed(scenario, k, r)))
    return specs


def common_seed(scenario: Scenario, point: int, replication: int) -> int:
    """The seed of run (point, replication) for every candidate: common random numbers across structures."""
    return key_from_seed([scenario.seed, point, replication])
