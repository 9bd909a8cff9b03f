"""The actor network of each model in a batch, drawn by simulating one of its runs again from its seed."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from sim.experiments.batch.specs import plan
from sim.experiments.batch.work import simulated
from sim.experiments.labels import measures_label, model_label
from sim.experiments.scenario import scenario_from_dict
from sim.simulation.model import CoordinationModel

from ..plots.network import actor_network

NETWORK_DPI = 120


def network_figures(manifest: dict[str, Any], runs: pd.DataFrame) -> list[tuple[str, bytes | None, str]]:
    """One actor network per model, at the end of its first run (the lowest point and replication, in plan order).

    Returns (title, PNG bytes or None, caption or the error that kept it from being drawn) triples.
    """
    scenario = scenario_from_dict(manifest.get("scenario", {}), "manifest.json")
    specs = {s.run_id: s for s in plan(scenario)}
    found = []
    for structure in dict.fromkeys(runs["structure"]):
        rows = runs[runs["structure"] == structure].sort_values(["point", "replication"], kind="stable")
        first = rows.iloc[0]
        measures = tuple(m for m in str(first["measures"]).split(",") if m)
        title = f"{model_label(structure)}, {measures_label(first['measures'])}"
        try:
            organisation, params, premise = simulated(specs[first["run_id"]], scenario)
            model = CoordinationModel(structure=organisation, measures=scenario.measure_set(measures),
                                      engine=scenario.engine, municipalities=scenario.municipalities,
                                      mandate_change_week=premise, rer_pot=scenario.rer_pot,
                                      rng=int(first["seed"]), **params)
            model.run_weeks(scenario.weeks)
            buffer = io.BytesIO()
            actor_network(model).savefig(buffer, format="png", dpi=NETWORK_DPI)
            caption = (f"run {first['run_id']} (seed {int(first['seed'])}, replication {int(first['replication'])}) "
                       f"after week {model.week}")
            found.append((title, buffer.getvalue(), caption))
        except Exception as exc:  # noqa: BLE001 - the report must not fail on one figure
            found.append((title, None, f"the network figure could not be drawn: {type(exc).__name__}: {exc}"))
    return found
