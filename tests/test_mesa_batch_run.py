"""mesa.batch_run works on the model unchanged, serially and with several processes."""

from __future__ import annotations

import inspect
import pickle

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import CRITERIA, METRICS, CoordinationModel

from .helpers import STRUCTURES, simulate

WEEKS = 30
# two seeded runs of each structure: Mesa 3.5 takes their seeds as `rng` (and passes them on as `seed`, which the
# model takes) and deprecates `iterations`; Mesa 3.3 has neither, so there the seed is a model parameter
SEEDS = [1, 2]
BY_SEED = ({"rng": SEEDS}, {}) if "rng" in inspect.signature(mesa.batch_run).parameters else ({}, {"seed": SEEDS})


def batch_run(processes: int, **options) -> pd.DataFrame:
    rng, seed = BY_SEED
    results = mesa.batch_run(CoordinationModel, parameters={"structure": list(STRUCTURES), "turnover_rate": [0.1],
                                                            **seed},
                             max_steps=WEEKS, number_processes=processes, display_progress=False, **rng, **options)
    return pd.DataFrame(results)


@pytest.mark.timeout(300)  # Mesa 3.5 starts its processes by spawning: each imports the project again
@pytest.mark.parametrize("processes", [1, 2])
def test_batch_run_returns_the_six_criteria_of_the_last_week(processes):
    results = batch_run(processes)
    assert len(results) == len(STRUCTURES) * len(SEEDS)
    assert {r for r in results["structure"]} == set(STRUCTURES)
    assert (results["Step"] == WEEKS).all()
    assert results[list(CRITERIA)].apply(lambda c: c.between(0.0, 1.0)).all().all()


def test_batch_run_returns_a_row_per_week_of_each_run_as_the_model_alone_gives():
    results = batch_run(1, data_collection_period=1)
    assert len(results) == len(STRUCTURES) * len(SEEDS) * (WEEKS + 1)  # week 0 and each week after it
    for (structure, seed), run in results.groupby(["structure", "seed"]):
        assert list(run["Step"]) == list(range(WEEKS + 1))
        alone = CoordinationModel(structure, turnover_rate=0.1, rng=seed)
        alone.run_weeks(WEEKS)
        np.testing.assert_array_equal(run[list(METRICS)].to_numpy(), alone.metric_history()[:WEEKS + 1])


def test_model_and_collected_data_pickle():
    m = simulate("model3", 10, rng=1)
    clone = pickle.loads(pickle.dumps(m))
    assert clone.datacollector.get_model_vars_dataframe().equals(m.datacollector.get_model_vars_dataframe())
    clone.run_weeks(5)  # and it goes on as the original does
    m.run_weeks(5)
    assert clone.datacollector.get_model_vars_dataframe().equals(m.datacollector.get_model_vars_dataframe())
