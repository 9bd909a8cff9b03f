"""Designs over a calibration's posterior and the premises about a change of mandate (issue 30, item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments.batch import plan, run_batch
from sim.experiments.batch.work import simulated
from sim.experiments.designs import NEVER, PREMISE, design_points
from sim.experiments.posterior import posterior_draws, read_posterior
from sim.experiments.scenario import ScenarioError, load_scenario, scenario_from_dict
from sim.simulation.parameters import BY_NAME, PRIOR

CALIBRATED = ("capacity_scale", "weak_priority", "turnover_rate")


def _posterior(path, n=20, seed=1):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({name: rng.uniform(PRIOR[name].low, PRIOR[name].high, n) for name in CALIBRATED})
    table["weight"] = rng.random(n)
    table["distance"] = rng.random(n)
    b = table.assign(calibration="B")
    pd.concat([table.assign(calibration="A"), b], ignore_index=True).to_parquet(path)
    return table


def test_draws_take_the_calibrated_parameters_from_the_particles_and_the_rest_from_their_priors(tmp_path):
    particles = _posterior(tmp_path / "posterior.parquet")
    draws = posterior_draws(read_posterior(tmp_path / "posterior.parquet", "A"), 50, seed=4)
    assert len(draws) == 50
    for point in draws:
        for name in CALIBRATED:
            assert np.isclose(particles[name], point[name]).any(), name  # a particle's value, never a new one
        for name, value in point.items():
            prior = PRIOR[name]
            assert prior.low <= value <= prior.high, name
            assert isinstance(value, int) == BY_NAME[name].integer, name
        assert set(point) == set(PRIOR)  # nothing the calibration left open is fixed at a default
    again = posterior_draws(read_posterior(tmp_path / "posterior.parquet", "A"), 50, seed=4)
    assert again == draws
    assert posterior_draws(read_posterior(tmp_path / "posterior.parquet", "A"), 50, seed=5) != draws


def test_heavier_particles_are_drawn_more_often(tmp_path):
    particles = _posterior(tmp_path / "posterior.parquet")
    particles["weight"] = 0.0
    particles.loc[3, "weight"] = 3.0
    particles.loc[7, "weight"] = 1.0
    particles.assign(calibration="A").to_parquet(tmp_path / "skewed.parquet")
    draws = posterior_draws(read_posterior(tmp_path / "skewed.parquet", "A"), 400, seed=0)
    chosen = pd.Series([d["capacity_scale"] for d in draws]).value_counts()
    # systematic resampling: each particle's count is within one of its weight's share
    assert chosen[particles.at[3, "capacity_scale"]] in (299, 300, 301)
    assert chosen[particles.at[7, "capacity_scale"]] in (99, 100, 101)


def test_the_scenarios_own_values_are_neither_resampled_nor_drawn(tmp_path):
    _posterior(tmp_path / "posterior.parquet")
    particles = read_posterior(tmp_path / "posterior.parquet", "A")
    draws = posterior_draws(particles, 10, seed=0, fixed={"weak_priority": 0.3, "climb_threshold": 3.0})
    assert all("weak_priority" not in d and "climb_threshold" not in d for d in draws)


def test_premises_cross_every_draw_and_decide_the_mandate_of_each_run(tmp_path):
    _posterior(tmp_path / "posterior.parquet")
    (tmp_path / "s.toml").write_text(
        'name = "p"\nstructures = ["model3"]\nweeks = 52\nseed = 3\nreplications = 1\n'
        '[design]\nkind = "posterior"\nposterior = "posterior.parquet"\nsamples = 3\npremises = ["never", 13]\n')
    scenario = load_scenario(tmp_path / "s.toml")
    points = design_points(scenario.design, scenario.parameters)
    assert len(points) == 6 and [p[PREMISE] for p in points] == [NEVER, 13] * 3
    assert points[0] | {PREMISE: 13} == points[1]  # the same draw under both premises
    for spec in plan(scenario):  # each run is simulated under its point's premise (None: no change of mandate)
        assert simulated(spec, scenario)[2] == (None if dict(spec.parameters)[PREMISE] == NEVER else 13)
    run_batch(scenario, out=tmp_path / "out", workers=1, quiet=True)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs.groupby(PREMISE).size().to_dict() == {NEVER: 3, 13: 3}


@pytest.mark.parametrize(("design", "message"), [
    ({"kind": "posterior", "samples": 3}, "needs 'posterior'"),
    ({"kind": "posterior", "posterior": "p.parquet", "samples": 0}, "samples"),
    ({"kind": "posterior", "posterior": "p.parquet", "samples": 3, "ranges": {"weak_priority": [0.1, 0.2]}},
     "neither 'values' nor 'ranges'"),
    ({"kind": "lhs", "samples": 3, "ranges": {"weak_priority": [0.1, 0.2]}, "posterior": "p.parquet"},
     "only by kind 'posterior'"),
    ({"kind": "none", "premises": ["never", "never"]}, "each premise once"),
    ({"kind": "none", "premises": ["sometimes"]}, "premises"),
    ({"kind": "none", "premises": [-5]}, "premises"),
])
def test_malformed_posterior_designs_are_refused(design, message):
    with pytest.raises(ValueError, match=message):
        scenario_from_dict({"name": "x", "structures": ["model3"], "weeks": 52, "design": design})


def test_premises_and_a_scenario_wide_change_of_mandate_are_one_rule_too_many():
    with pytest.raises(ValueError, match="premises"):
        scenario_from_dict({"name": "x", "structures": ["model3"], "weeks": 52, "mandate_change_week": 10,
                            "design": {"kind": "none", "premises": ["never", 10]}})


def test_a_missing_or_foreign_posterior_file_is_refused_on_load(tmp_path):
    (tmp_path / "s.toml").write_text('name = "p"\nstructures = ["model3"]\nweeks = 52\n'
                                     '[design]\nkind = "posterior"\nposterior = "nowhere.parquet"\nsamples = 3\n')
    with pytest.raises(ScenarioError, match="design.posterior"):
        load_scenario(tmp_path / "s.toml")
    pd.DataFrame({"x": [1.0]}).to_parquet(tmp_path / "nowhere.parquet")
    with pytest.raises(ScenarioError, match="not a posterior"):
        load_scenario(tmp_path / "s.toml")
