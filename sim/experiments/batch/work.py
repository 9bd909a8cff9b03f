"""What a worker does: one run to a result row and its weekly series, or to a failure row saying why.

Everything here runs in the worker process (a local worker or a Dask worker) and is the same
on every backend, so a run's result never depends on where it ran.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.simulation.metrics import BUDGET, CRITERIA, LEVEL_SHARES, METRICS, horizon_values
from sim.simulation.model import CoordinationModel
from sim.simulation.structures import OrganisationModel, budget_nok, check_structure

from ..designs import PREMISE, premise_of
from ..scenario import Scenario
from ..structural import changed, is_structural, recorded
from .specs import RunSpec

SERIES = ("week", *CRITERIA, *LEVEL_SHARES, "assignments_issued", "assignments_completed", "assignments_dropped")
_SERIES_AT = np.array([METRICS.index(name) for name in SERIES[1:]])  # where the series' metrics are in a history row


@dataclass
class Outcome:
    """What some runs produced: result rows, their weekly series and failure rows (one chunk when saved).

    A series is ``(run_id, values)``: one row per week from week 0, the columns of
    :data:`SERIES` after ``week``.  Arrays, not tables: a run's DataFrame cost more to build,
    send and concatenate than the rest of its outcome.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    series: list[tuple[str, np.ndarray]] = field(default_factory=list)
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


def simulated(spec: RunSpec, scenario: Scenario) -> tuple[OrganisationModel | str, dict[str, float], int | None]:
    """The structure a run simulates (its scenario's, with the point's structural fields), its parameters, and its
    premise about a change of mandate (the point's, where the design crosses premises, else the scenario's)."""
    point = dict(spec.parameters)
    premise = premise_of(point)
    point.pop(PREMISE, None)
    changes = {k: v for k, v in point.items() if is_structural(k)}
    params = {**scenario.parameters, **{k: v for k, v in point.items() if k not in changes}}
    organisation = scenario.organisation(spec.structure)
    if changes:
        organisation = changed(check_structure(organisation), changes)
    return organisation, params, scenario.mandate_change if premise == "scenario" else premise


def failed(spec: RunSpec, error: str, trace: str = "") -> Outcome:
    """A run recorded as failed, with the reason (``ExceptionType: message`` or what the supervisor saw)."""
    return Outcome(failures=[{**identity_row(spec), "status": "failed", "error": error, "traceback": trace}])


def attempts(task: list[RunSpec], scenario: Scenario) -> Iterator[Outcome]:
    """Each run of a task, in order; any exception, or a result that is not finite, is a recorded failure.

    Consecutive runs of one set-up (structure, measures, point) differ only in their seed: they
    replicate the first one's model, which builds the static world once for them all and gives
    exactly what building each anew gives.
    """
    setup, like = None, None
    for spec in task:
        if (spec.structure, spec.measures, spec.parameters) != setup:
            setup, like = (spec.structure, spec.measures, spec.parameters), None
        try:
            model, history = simulate(spec, scenario, like)
            like = like or model
            tables = [model.municipality_table()] if scenario.municipality_table else []
        except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded, not fatal
            yield failed(spec, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            continue
        yield _outcome(spec, scenario, history, tables)


def attempt(spec: RunSpec, scenario: Scenario) -> Outcome:
    """One run, as :func:`attempts` gives it."""
    return next(attempts([spec], scenario))


def simulate(spec: RunSpec, scenario: Scenario, like: CoordinationModel | None = None,
             ) -> tuple[CoordinationModel, np.ndarray]:
    """One run: its model after the scenario's weeks, and its weekly metrics (``metric_history()``).

    With ``like`` (a model of the same set-up) the run is its
    :meth:`~sim.simulation.model.CoordinationModel.replicate`.
    """
    if like is None:
        organisation, params, premise = simulated(spec, scenario)
        model = CoordinationModel(organisation, scenario.measure_set(spec.measures), engine=scenario.engine,
                                  municipalities=scenario.municipalities, mandate_change_week=premise,
                                  rer_pot=scenario.rer_pot, rng=spec.seed, **params)
    else:
        model = like.replicate(spec.seed)
    model.run_weeks(scenario.weeks)
    return model, model.metric_history()


def _outcome(spec: RunSpec, scenario: Scenario, history: np.ndarray, tables: list[pd.DataFrame]) -> Outcome:
    row = {m: float(value) for m, value in zip(METRICS, history[-1], strict=True)}
    part = history[:, _SERIES_AT]
    bad = _not_finite(row, part)
    if bad:
        return failed(spec, f"NonFiniteResult: {bad}")
    row[BUDGET] = budget_nok(scenario.measure_set(spec.measures))
    row.update(horizon_values(history))
    municipalities = [t.assign(run_id=spec.run_id)[["run_id", *t.columns]] for t in tables]
    series = [(spec.run_id, part)] if scenario.series else []
    return Outcome(rows=[{**identity_row(spec), **row}], series=series, municipalities=municipalities)


def _not_finite(row: dict[str, float], part: np.ndarray) -> str:
    """Where a run's result is NaN or infinite (a mean over it would be NaN), or '' when it is all finite."""
    for name, value in row.items():
        if not np.isfinite(value):
            return f"{name} = {value} after the last week"
    if not np.isfinite(part).all():
        week, column = np.argwhere(~np.isfinite(part))[0]
        return f"{SERIES[1 + column]} = {part[week, column]} in week {week}"
    return ""


def steps_table(series: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """The weekly series of some runs as one table: ``run_id``, then the columns of :data:`SERIES`."""
    lengths = [len(values) for _, values in series]
    table = pd.DataFrame(np.concatenate([values for _, values in series]), columns=list(SERIES[1:]))
    table.insert(0, "week", np.concatenate([np.arange(n) for n in lengths]))
    table.insert(0, "run_id", np.repeat(np.array([run_id for run_id, _ in series], dtype=object), lengths))
    return table


def execute(task: list[RunSpec], scenario: Scenario) -> Outcome:
    """Run a task's specs in order (what a Dask worker runs; local workers report run by run)."""
    outcome = Outcome()
    for done in attempts(task, scenario):
        outcome.add(done)
    return outcome
