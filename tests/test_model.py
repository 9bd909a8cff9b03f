"""The model's invariants, reproducibility and Mesa conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.simulation.core
from sim import CRITERIA, METRICS, CoordinationModel
from sim.simulation.datasets import load_municipalities
from sim.simulation.metrics import SECTORS
from sim.simulation.state import COMPLETED, DROPPED, OPEN
from sim.simulation.structures import catalogue

from .helpers import STRUCTURES, simulate

MEASURES = tuple(catalogue().measures)


def test_usage_from_the_issue_runs_and_reports_the_six_criteria():
    m = CoordinationModel(structure="model2", measures=("identical_assignments",), rng=7)
    for _ in range(104):
        m.step()
    crit = m.criteria()
    assert tuple(crit) == CRITERIA == (
        "cross_sector_organisation", "shared_understanding", "strategic_coordination",
        "operational_implementation", "local_support", "use_of_existing_structures")
    assert all(0.0 <= v <= 1.0 for v in crit.values())
    frame = m.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(METRICS)
    assert len(frame) == 105  # the start plus one row per week: collected exactly once per step
    assert frame.iloc[-1][list(CRITERIA)].to_dict() == crit


def test_agent_sets_are_views_of_the_state():
    m = simulate("model3", 60, rng=2)
    assert len(m.ministries) == 8 and len(m.municipalities) == 357
    assert len(m.directorates) == 13 and len(m.regional_offices) == 17
    [hdir] = m.directorates.select(lambda a: a.code == "Hdir")
    [bufdir] = m.directorates.select(lambda a: a.code == "Bufdir")
    q = m.world.pair_id[hdir.index, bufdir.index]
    assert hdir.level_with(bufdir) == m.state.level[q]
    [oslo] = m.municipalities.select(lambda a: a.number == 301)
    assert oslo.population > 600_000
    assert oslo.local_level == m.state.local_level[oslo.row]
    assert sum(m.municipalities.get("outreach")) == int(m.state.outreach.sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structure=st.sampled_from(STRUCTURES), measures=st.sets(st.sampled_from(MEASURES), max_size=3),
       seed=st.integers(0, 2**32 - 1), weeks=st.integers(1, 200),
       turnover=st.floats(0.0, 1.0), dip=st.integers(0, 4), cap=st.integers(1, 4),
       mandate_change=st.one_of(st.none(), st.integers(0, 200)))
def test_invariants_hold_for_any_model_seed_and_parameters(structure, measures, seed, weeks, turnover, dip, cap,
                                                          mandate_change):
    m = simulate(structure, weeks, measures=tuple(measures), rng=seed, turnover_rate=turnover,
                 interpretation_level=dip, municipal_cap=cap, mandate_change_week=mandate_change)
    s, w = m.state, m.world
    assert s.level.min() >= 0 and s.level.max() <= 4
    assert np.all(s.level >= w.pair_floor)
    assert s.m_level.min() >= 0 and s.m_level.max() <= cap
    assert s.local_level.min() >= 0 and s.local_level.max() <= 4
    n = int(s.counters[0])
    status = s.a_status[:n]
    assert set(np.unique(status)) <= {OPEN, COMPLETED, DROPPED}  # each exactly one of open/completed/dropped
    out = m.outcomes()
    assert out["assignments_issued"] == n
    assert out["assignments_open"] + out["assignments_completed"] + out["assignments_dropped"] == n
    assert out["assignments_completed"] == np.sum(status == COMPLETED)
    assert out["assignments_dropped"] == np.sum(status == DROPPED)
    assert np.all(s.a_closed[:n][status != OPEN] >= s.a_issued[:n][status != OPEN])
    assert abs(sum(out[f"level_{k}_share"] for k in range(5)) - 1.0) < 1e-12
    assert all(0.0 <= out[c] <= 1.0 for c in CRITERIA)
    assert np.all((s.engagement >= 0) & (s.engagement <= 1)) and np.all((s.knowledge >= 0) & (s.knowledge <= 1))
    assert np.all((s.portfolio >= 0) & (s.portfolio <= 1))
    assert 0.0 <= out["sector_balance"] <= 1.0 + 1e-12
    shares = sum(out[f"effort_share_{code}"] for code in SECTORS)
    assert shares == 0.0 or abs(shares - 1.0) < 1e-9


def test_same_seed_gives_identical_data_and_different_seeds_differ():
    a = simulate("model1", 200, rng=5).datacollector.get_model_vars_dataframe()
    b = simulate("model1", 200, rng=5).datacollector.get_model_vars_dataframe()
    c = simulate("model1", 200, rng=6).datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not a.equals(c)


def test_seed_keyword_is_honoured_like_rng():
    a = simulate("baseline", 80, seed=9).datacollector.get_model_vars_dataframe()
    b = simulate("baseline", 80, seed=9).datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@settings(max_examples=8, deadline=None)
@given(permutation_seed=st.integers(0, 10_000), structure=st.sampled_from(STRUCTURES))
def test_relabelling_municipalities_leaves_national_totals_unchanged(permutation_seed, structure):
    table = load_municipalities()
    shuffled = table.sample(frac=1.0, random_state=permutation_seed).reset_index(drop=True)
    a = simulate(structure, 156, rng=3)
    b = simulate(structure, 156, rng=3, municipalities=shuffled)
    assert a.outcomes() == b.outcomes()
    by_number_a = dict(zip(a.world.mu_number, a.state.local_level, strict=True))
    by_number_b = dict(zip(b.world.mu_number, b.state.local_level, strict=True))
    assert by_number_a == by_number_b


@pytest.mark.parametrize(("kwargs", "words"), [
    (dict(structure="model4"), ["structure", "model4", "baseline, model1, model2, model3"]),
    (dict(structure="modell2"), ["Did you mean 'model2'"]),
    (dict(measures=("outreach", "teleport")), ["measures", "teleport", "identical_assignments"]),
    (dict(engine="cuda"), ["engine", "numba, python"]),
    (dict(n_municipalities=-5), ["n_municipalities", "[1, 1000000]"]),
    (dict(n_municipalities=0), ["n_municipalities"]),
    (dict(turnover_rate=1.5), ["turnover_rate", "[0, 1]"]),
    (dict(annual_assignments=-1), ["annual_assignments", "out of range"]),
    (dict(annual_assignments=1.5), ["annual_assignments", "whole number"]),
    (dict(turnovr_rate=0.1), ["turnovr_rate", "Did you mean 'turnover_rate'"]),
    (dict(horizon_weeks=0), ["horizon_weeks"]),
])
def test_bad_arguments_raise_value_error_naming_argument_and_allowed(kwargs, words):
    with pytest.raises(ValueError) as info:
        CoordinationModel(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_horizon_sets_running_false():
    m = CoordinationModel(horizon_weeks=3, rng=1)
    while m.running:
        m.step()
    assert m.week == 3


def test_scaled_synthetic_population_runs():
    m = simulate("model2", 30, rng=1, n_municipalities=1000)
    assert len(m.municipalities) == 1000
    assert m.state.local_level.shape == (1000,)


@pytest.mark.parametrize("engine", ["numba", "python"])
def test_run_weeks_gives_exactly_the_rows_of_stepping(engine):
    stepped = simulate("model3", 130, rng=4, engine=engine)
    bulk = CoordinationModel(structure="model3", rng=4, engine=engine)
    bulk.run_weeks(100)
    bulk.run_weeks(30)
    collecting = CoordinationModel(structure="model3", rng=4, engine=engine)
    assert len(collecting.datacollector.get_model_vars_dataframe()) == 1  # built at week 0: the weeks below join it
    collecting.run_weeks(100)
    for _ in range(30):
        collecting.step()
    assert bulk.week == stepped.week == collecting.week == 130
    if hasattr(bulk, "steps"):  # Mesa 3's step counter follows the weeks; Mesa 4 has none
        assert bulk.steps == stepped.steps == collecting.steps == 130
    for model in (bulk, collecting):
        pd.testing.assert_frame_equal(model.datacollector.get_model_vars_dataframe(),
                                      stepped.datacollector.get_model_vars_dataframe(), check_exact=True)
        # each row's week, where Mesa's collect records its clock and Mesa 3.4.2+'s batch_run looks it up
        assert model.datacollector._collection_steps == list(range(131))
    n = int(stepped.state.counters[0])
    for field in bulk.state._fields:
        a, b = getattr(bulk.state, field), getattr(stepped.state, field)
        if field.startswith("a_"):  # capacity may differ; the issued assignments may not
            a, b = a[:n], b[:n]
        np.testing.assert_array_equal(a, b, err_msg=field)


def assert_same_run(a: CoordinationModel, b: CoordinationModel) -> None:
    """Same metric rows and the same state (assignment arrays up to the assignments issued)."""
    np.testing.assert_array_equal(a.metric_history(), b.metric_history())
    n = int(a.state.counters[0])
    for field, x, y in zip(a.state._fields, a.state, b.state, strict=True):
        np.testing.assert_array_equal(x[:n] if field.startswith("a_") else x, y[:n] if field.startswith("a_") else y,
                                      err_msg=field)


@pytest.mark.parametrize("generator", [True, False], ids=["generator", "call per week"])
def test_stepping_sees_every_change_made_between_weeks(generator, monkeypatch):
    # step() keeps a compiled generator on the arrays it started with: each change below must reach it
    # (on numba versions that cannot cache it, each step calls the kernel instead: the same weeks)
    monkeypatch.setattr(sim.simulation.core, "STEP_GENERATOR", generator)
    def replace_params(model):
        model.params = model.params._replace(turnover_rate=0.3)

    def change_in_place(model):
        model.state.level[:5] = 4

    def replace_state(model):
        model.state = model.state._replace(knowledge=model.state.knowledge * 0.5)

    stepped = CoordinationModel("model3", rng=7)
    bulk = CoordinationModel("model3", rng=7)
    # each phase: a change made to both models, then weeks stepped in one and run in one call in the other
    phases = [(None, 10), ("run_weeks", 20), (None, 40), (replace_params, 15), (change_in_place, 15),
              (replace_state, 15)]  # the 40 weeks cross a year and grow the assignment arrays
    for change, weeks in phases:
        if change == "run_weeks":
            stepped.run_weeks(weeks)
        else:
            if change is not None:
                change(stepped)
                change(bulk)
            for _ in range(weeks):
                stepped.step()
        bulk.run_weeks(weeks)
        assert_same_run(stepped, bulk)
    untouched = CoordinationModel("model3", rng=7)
    untouched.run_weeks(stepped.week)
    assert not np.array_equal(untouched.metric_history(), stepped.metric_history())  # the changes mattered


def test_run_weeks_stops_at_the_horizon():
    m = CoordinationModel(horizon_weeks=10, rng=1)
    m.run_weeks(25)
    assert m.week == 10 and not m.running


def test_finished_models_are_released_for_garbage_collection():
    # Mesa <= 3.3.1 keeps every model in Agent._ids (mesa#3179); the model releases itself
    import gc
    import weakref

    ref = weakref.ref(simulate("baseline", 5, rng=1))
    gc.collect()
    assert ref() is None


def test_seed_and_rng_give_the_same_model_and_only_rng_reaches_mesa(monkeypatch):
    """Mesa 3.5 deprecates Model(seed=...) and Mesa 4 removes it: the seed keyword is passed on as rng."""
    import mesa

    passed: list[dict] = []
    real = mesa.Model.__init__

    def spy(self, *args, **kwargs):
        passed.append(kwargs)
        real(self, *args, **kwargs)

    monkeypatch.setattr(mesa.Model, "__init__", spy)
    by_seed, by_rng = CoordinationModel("model2", seed=5), CoordinationModel("model2", rng=5)
    assert all("seed" not in kwargs for kwargs in passed)
    by_seed.run_weeks(30)
    by_rng.run_weeks(30)
    assert by_seed.criteria() == by_rng.criteria() and by_seed.random.random() == by_rng.random.random()
    with pytest.raises(ValueError, match="either rng or seed"):
        CoordinationModel("model2", seed=1, rng=2)


def test_shared_actor_columns_give_the_world_fresh_tables_give_and_users_get_copies():
    from sim.simulation.datasets import load_actors, shipped_actors
    from sim.simulation.structures import check_measures, check_structure
    from sim.simulation.world import actor_columns, build_world

    model = CoordinationModel("model3", ("outreach",), rng=3)
    fresh = build_world(load_actors(), check_structure("model3"), check_measures(("outreach",)), model.params,
                        model.world.key)
    for name, value in model.world._asdict().items():
        assert np.array_equal(value, getattr(fresh, name)), name
    assert actor_columns(shipped_actors()) is actor_columns(shipped_actors())  # computed once, shared
    model.actors.municipalities.loc[0, "population"] = 1  # a user's change stays in the user's copy
    assert shipped_actors().municipalities.loc[0, "population"] != 1
    assert CoordinationModel("model3", rng=3).actors.municipalities.loc[0, "population"] != 1


def test_a_structure_is_checked_once_on_the_way_in(monkeypatch):
    """The model checks the structure and measures; the world builder trusts what it is given."""
    from sim.simulation import model as model_module
    from sim.simulation import structures, world

    calls = []

    def spy(structure):
        calls.append(structure)
        return structures.check_structure(structure)

    for module in (model_module, world):  # wherever a check could be called from
        monkeypatch.setattr(module, "check_structure", spy, raising=False)
    CoordinationModel("model2", ("outreach",), rng=1)
    assert calls == ["model2"]
