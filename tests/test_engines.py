"""Two engines, one truth: the numba kernels and the agents' pure-Python methods agree exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.simulation.structures import catalogue

from .helpers import STRUCTURES, simulate

ALL_MEASURES = tuple(catalogue().measures)


def _assert_same(structure, weeks, **kwargs):
    fast = simulate(structure, weeks, engine="numba", **kwargs)
    slow = simulate(structure, weeks, engine="python", **kwargs)
    pd.testing.assert_frame_equal(fast.datacollector.get_model_vars_dataframe(),
                                  slow.datacollector.get_model_vars_dataframe(), check_exact=True)
    for field in fast.state._fields:
        np.testing.assert_array_equal(getattr(fast.state, field), getattr(slow.state, field), err_msg=field)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_engines_agree_on_every_organisation_model(structure):
    # 160 weeks: past model 2's set-up (78) and model 3's mandate change (104)
    _assert_same(structure, 160, rng=2024)


@pytest.mark.parametrize("structure", ["model1", "model3"])
def test_engines_agree_with_every_measure_and_high_turnover(structure):
    _assert_same(structure, 120, rng=99, measures=ALL_MEASURES, turnover_rate=0.9, interpretation_level=1)


@pytest.mark.parametrize("renewed", [False, True])
def test_engines_agree_when_a_programme_period_ends(renewed):
    base = catalogue().models["model2"]
    board = base.arenas[0].model_copy(update={"period_weeks": 30, "renewed": renewed})
    _assert_same(base.model_copy(update={"arenas": (board,)}), 170, rng=5, renewal_gap_weeks=10)


def test_engines_agree_when_the_mandate_change_is_adopted():
    # decision rights from week 20: KUBU issues, the agencies decide, work handed to the lines, ownership diffused
    _assert_same("model3", 160, rng=7, mandate_change_week=20, responsibility_diffusion=0.5)
