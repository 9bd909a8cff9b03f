"""What a worker does: one run to a result row and its weekly series, or to a failure row saying why.

Everything here runs in the worker process (a local worker or a Dask worker) and is the same
on every backend, so a run's result never depends on where it ran.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import CRITERIA, LEVEL_SHARES, METRICS
from ..runner import run_one
from ..scenario import Scenario
from ..structural import changed, is_structural, recorded
from ..structures import OrganisationModel, check_structure
from .specs import RunSpec

SERIES = ("week", *CRITERIA, *LEVEL_SHARES, "assignments_issued", "assignments_completed", "assignments_dropped")


@dataclass
class Outcome:
    """What some runs produced: result rows, their weekly series and failure rows (one chunk when saved)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    series: list[pd.DataFrame] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    municipalities: list[pd.DataFrame] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.rows += other.rows
        self.series += other.series
        self.failures += other.failures
        self.municipalities += other.municipalities

    def __len__(self) -> int:
        return len(self.rows) + len(self.failures)


def identity_row(spec: RunSpec) -> dict[str, Any]:
    """The columns that say which run a row is about (structural values as a table holds them)."""
    return {"run_id": spec.run_id, "structure": spec.structure, "measures": ",".join(spec.measures),
            "point": spec.point, "replication": spec.replication, "seed": spec.seed,
            **{k: recorded(v) if is_structural(k) else v for k, v in spec.parameters}}


def simulated(spec: RunSpec, scenario: Scenario) -> tuple[OrganisationModel | str, dict[str, float]]:
    """The structure a run simulates (its scenario's, with the point's structural fields) and its parameters."""
    point = dict(spec.parameters)
    changes = {k: v for k, v in point.items() if is_structural(k)}
    params = {**scenario.parameters, **{k: v for k, v in point.items() if k not in changes}}
    organisation = scenario.organisation(spec.structure)
    if changes:
        organisation = changed(check_structure(organisation), changes)
    return organisation, params


def failed(spec: RunSpec, error: str, trace: str = "") -> Outcome:
    """A run recorded as failed, with the reason (``ExceptionType: message`` or what the supervisor saw)."""
    return Outcome(failures=[{**identity_row(spec), "status": "failed", "error": error, "traceback": trace}])


def attempt(spec: RunSpec, scenario: Scenario) -> Outcome:
    """Run one spec; any exception, or a result that is not finite, is a recorded failure, never fatal."""
    try:
        organisation, params = simulated(spec, scenario)
        tables: list[pd.DataFrame] = []
        at_end = (lambda model: tables.append(model.municipality_table())) if scenario.municipality_table else None
        steps = run_one(organisation, scenario.measure_set(spec.measures), weeks=scenario.weeks, seed=spec.seed,
                        engine=scenario.engine, municipalities=scenario.municipalities,
                        mandate_change_week=scenario.mandate_change, rer_pot=scenario.rer_pot, at_end=at_end,
                        **params)
    except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded, not fatal
        return failed(spec, f"{type(exc).__name__}: {exc}", traceback.format_exc())
    part = steps[list(SERIES)].copy()
    final = steps.iloc[-1]
    row = {m: float(final[m]) for m in METRICS}
    bad = _not_finite(row, part)
    if bad:
        return failed(spec, f"NonFiniteResult: {bad}")
    municipalities = [t.assign(run_id=spec.run_id)[["run_id", *t.columns]] for t in tables]
    if not scenario.series:
        return Outcome(rows=[{**identity_row(spec), **row}], municipalities=municipalities)
    part.insert(0, "run_id", spec.run_id)
    return Outcome(rows=[{**identity_row(spec), **row}], series=[part], municipalities=municipalities)


def _not_finite(row: dict[str, float], part: pd.DataFrame) -> str:
    """Where a run's result is NaN or infinite (a mean over it would be NaN), or '' when it is all finite."""
    for name, value in row.items():
        if not np.isfinite(value):
            return f"{name} = {value} after the last week"
    values = part.to_numpy(float)
    if not np.isfinite(values).all():
        week, column = np.argwhere(~np.isfinite(values))[0]
        return f"{part.columns[column]} = {values[week, column]} in week {int(part['week'].iloc[week])}"
    return ""


def execute(task: list[RunSpec], scenario: Scenario) -> Outcome:
    """Run a task's specs in order (what a Dask worker runs; local workers report run by run)."""
    outcome = Outcome()
    for spec in task:
        outcome.add(attempt(spec, scenario))
    return outcome
