"""Replications of one set-up share its world and give exactly what separate models give; agents and the
DataCollector are built on demand and hold what eager construction held."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import METRICS, CoordinationModel
from sim.experiments.batch.specs import plan
from sim.experiments.batch.work import SERIES, attempt, attempts
from sim.experiments.scenario import scenario_from_dict
from sim.simulation.agents import Municipality
from sim.simulation.replications import run_replications
from sim.simulation.state import WEEKS_PER_YEAR, max_new_assignments

SEEDS = (0, 5, 2**40 + 3)


def separate(structure, seed, weeks, **kwargs) -> CoordinationModel:
    model = CoordinationModel(structure, rng=seed, **kwargs)
    model.run_weeks(weeks)
    return model


@pytest.mark.parametrize(("structure", "kwargs"), [
    ("baseline", {}),
    ("model3", {"measures": ("outreach", "identical_assignments"), "mandate_change_week": 30}),
    ("model2", {"n_municipalities": 40, "turnover_rate": 0.5}),
])
@pytest.mark.parametrize("threads", [1, 2])
def test_replications_equal_separate_models(structure, kwargs, threads):
    models = run_replications(structure, SEEDS, weeks=90, threads=threads, **kwargs)
    for seed, model in zip(SEEDS, models, strict=True):
        alone = separate(structure, seed, 90, **kwargs)
        pd.testing.assert_frame_equal(model.weekly_metrics(), alone.weekly_metrics(), check_exact=True)
        assert model.world.key == alone.world.key and model.week == alone.week == 90
        pd.testing.assert_frame_equal(model.assignments(), alone.assignments())
    assert all(m.world.pair_id is models[0].world.pair_id for m in models)  # the static arrays are shared


def test_replications_differ_by_seed_and_refuse_bad_arguments():
    a, b = run_replications("model1", [1, 2], weeks=60)
    assert not np.array_equal(a.metric_history(), b.metric_history())
    with pytest.raises(ValueError, match="seeds is empty"):
        run_replications("model1", [], weeks=5)
    with pytest.raises(ValueError, match="do not pass rng"):
        run_replications("model1", [1], weeks=5, rng=3)
    with pytest.raises(ValueError, match="threads"):
        run_replications("model1", [1], weeks=5, threads=0)


def test_the_python_engine_replicates_too():
    (model,) = run_replications("model2", [4], weeks=12, engine="python")
    fast = separate("model2", 4, 12)
    pd.testing.assert_frame_equal(model.weekly_metrics(), fast.weekly_metrics(), check_exact=True)


def test_a_replicate_continues_like_a_fresh_model_step_by_step():
    first = separate("model2", 1, 40)
    twin, fresh = first.replicate(9), CoordinationModel("model2", rng=9)
    for _ in range(30):
        twin.step()
        fresh.step()
    pd.testing.assert_frame_equal(twin.datacollector.get_model_vars_dataframe(),
                                  fresh.datacollector.get_model_vars_dataframe(), check_exact=True)
    assert len(twin.agents) == len(fresh.agents) == 395


def test_agents_and_the_datacollector_wait_until_asked_for_and_hold_the_same():
    model = separate("model3", 7, 50)
    assert model.__dict__["_state_actors"] is None and model.__dict__["_collector"] is None
    frame = model.datacollector.get_model_vars_dataframe()  # built now, from the 51 weeks kept as arrays
    assert list(frame.columns) == list(METRICS) and len(frame) == 51
    np.testing.assert_array_equal(frame.to_numpy(), model.metric_history())
    for _ in range(3):
        model.step()  # collected by the DataCollector from now on
    assert len(model.datacollector.get_model_vars_dataframe()) == 54
    assert model.__dict__["_state_actors"] is None
    assert {t.__name__ for t in model.agent_types} == {"Ministry", "Directorate", "RegionalOffice", "Municipality"}
    assert len(model.ministries) == 8 and len(model.municipalities) == 357
    assert all(a.model is model for a in model.agents)
    assert model.state_actors[0].unique_id == 1  # as eager construction numbered them


def test_a_user_datacollector_takes_over_collection():
    model = CoordinationModel("baseline", rng=3)
    # an agent reporter every agent type answers (Mesa 3.5 refuses one some lack), and one for municipalities
    model.datacollector = mesa.DataCollector(model_reporters={"open": lambda m: int(m.state.counters[0])},
                                             agent_reporters={"name": "name"},
                                             agenttype_reporters={Municipality: {"level": "state_level"}})
    for _ in range(5):
        model.step()
    model.run_weeks(3)  # asks it every week, as stepping does
    assert len(model.datacollector.get_model_vars_dataframe()) == 8
    assert len(model.datacollector.get_agent_vars_dataframe()) == 8 * len(model.agents)
    levels = model.datacollector.get_agenttype_vars_dataframe(Municipality)
    assert len(levels) == 8 * 357 and levels["level"].between(0, 4).all()
    fresh = CoordinationModel("baseline", rng=3)
    fresh.datacollector.model_reporters["open"] = lambda m: 0  # reporters of your own go in a collector of your own
    with pytest.raises(ValueError, match="collects its metrics only"):
        fresh.step()


def test_a_task_of_replications_gives_what_each_run_alone_gives():
    scenario = scenario_from_dict({"name": "r", "structures": ["baseline", "model2"], "weeks": 30, "replications": 3,
                                   "seed": 4, "municipality_table": True})
    specs = plan(scenario)
    together = list(attempts(specs, scenario))
    for spec, outcome in zip(specs, together, strict=True):
        alone = attempt(spec, scenario)
        assert outcome.rows == alone.rows
        (run_id, series), (alone_id, alone_series) = outcome.series[0], alone.series[0]
        assert run_id == alone_id == spec.run_id and series.shape == (31, len(SERIES) - 1)
        np.testing.assert_array_equal(series, alone_series)
        pd.testing.assert_frame_equal(outcome.municipalities[0], alone.municipalities[0], check_exact=True)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 600))
def test_the_bound_on_new_assignments_over_weeks_is_the_sum_of_each_weeks(first_week, weeks):
    world = CoordinationModel("model2", rng=1).world
    each = sum((world.annual_issues if (first_week + k) % WEEKS_PER_YEAR == 0 else 0) + world.n_ministries
               for k in range(weeks))
    assert max_new_assignments(world, first_week, weeks) == each
