"""mesa.batch_run works on the model unchanged, serially and with several processes."""

from __future__ import annotations

import inspect
import pickle

import mesa
import pytest

from sim import CRITERIA, CoordinationModel

from .helpers import STRUCTURES, simulate

# two runs of each structure: Mesa 3.5 takes their seeds as `rng` and deprecates `iterations`, which 3.3 needs
REPEAT = {"rng": [1, 2]} if "rng" in inspect.signature(mesa.batch_run).parameters else {"iterations": 2}


@pytest.mark.parametrize("processes", [1, 2])
def test_batch_run_returns_the_six_criteria(processes):
    results = mesa.batch_run(CoordinationModel, parameters={"structure": list(STRUCTURES), "turnover_rate": [0.1]},
                             max_steps=30, number_processes=processes, display_progress=False, **REPEAT)
    assert len(results) == 8
    assert {r["structure"] for r in results} == set(STRUCTURES)
    for row in results:
        for name in CRITERIA:
            assert 0.0 <= row[name] <= 1.0


def test_model_and_collected_data_pickle():
    m = simulate("model3", 10, rng=1)
    clone = pickle.loads(pickle.dumps(m))
    assert clone.datacollector.get_model_vars_dataframe().equals(m.datacollector.get_model_vars_dataframe())
    clone.run_weeks(5)  # and it goes on as the original does
    m.run_weeks(5)
    assert clone.datacollector.get_model_vars_dataframe().equals(m.datacollector.get_model_vars_dataframe())
