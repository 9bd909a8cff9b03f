"""Regret against the best candidate per scenario, checked against a table worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments.search.regret import PRIORITIES, regret_table, scenario_scores
from sim.simulation.metrics import CRITERIA, at_horizon


def _scores(values: dict[str, list[float]]) -> dict[str, pd.DataFrame]:
    """Candidates scoring ``values[c]`` on every criterion in scenarios 0, 1, 2 (one horizon)."""
    index = pd.MultiIndex.from_tuples([(k, 2) for k in range(3)], names=["point", "horizon"])
    out = {}
    for key, row in values.items():
        table = pd.DataFrame({c: row for c in CRITERIA}, index=index)
        table["balanced"] = table[list(CRITERIA)].mean(axis=1)
        out[key] = table
    return out


def test_minimax_regret_and_share_within_tolerance_by_hand():
    # scenario:      0    1    2
    # a             .50  .40  .90      best per scenario: .60 (b), .40 (a), .90 (a)
    # b             .60  .10  .86      regret a: .10 0 0 -> max .10, within .05: 2/3
    # c             .56  .38  .50      regret b: 0 .30 .04 -> max .30, within: 2/3
    #                                   regret c: .04 .02 .40 -> max .40, within: 2/3
    table = regret_table(_scores({"a": [.5, .4, .9], "b": [.6, .1, .86], "c": [.56, .38, .5]}), 0.05, 0.1)
    for p in PRIORITIES:
        assert table.loc[["a", "b", "c"], f"regret_max_{p}"].to_numpy() == pytest.approx([0.10, 0.30, 0.40])
        assert table.loc[["a", "b", "c"], f"within_tolerance_{p}"].to_numpy() == pytest.approx([2 / 3] * 3)
        assert table.at["a", f"{p}_scenario_q10"] == pytest.approx(np.quantile([.5, .4, .9], 0.1))
    assert table.attrs["scenarios"] == 3


def test_the_balanced_priority_weighs_the_criteria_equally():
    index = pd.MultiIndex.from_tuples([(0, 2)], names=["point", "horizon"])
    a = pd.DataFrame({c: [1.0 if c == CRITERIA[0] else 0.0] for c in CRITERIA}, index=index)
    b = pd.DataFrame({c: [0.3] for c in CRITERIA}, index=index)
    for t in (a, b):
        t["balanced"] = t[list(CRITERIA)].mean(axis=1)
    table = regret_table({"a": a, "b": b}, 0.0, 0.1)
    assert table.at["a", "regret_max_balanced"] == pytest.approx(0.3 - 1 / 6)
    assert table.at["b", "regret_max_balanced"] == 0.0
    assert table.at["a", f"regret_max_{CRITERIA[0]}"] == 0.0 and table.at["b", f"regret_max_{CRITERIA[0]}"] == 0.7


def test_only_scenarios_every_candidate_met_set_the_bar():
    scores = _scores({"a": [.5, .4, .9], "b": [.6, .1, .86]})
    scores["b"] = scores["b"].iloc[:2]  # b never met scenario 2, where a is far ahead
    table = regret_table(scores, 0.0, 0.1)
    assert table.attrs["scenarios"] == 2 and table.at["b", "regret_max_balanced"] == pytest.approx(0.3)


def test_scenario_scores_are_point_means_per_horizon_reached():
    runs = pd.DataFrame({"point": [0, 0, 1, 1]})
    for c in CRITERIA:
        runs[at_horizon(c, 2)] = [0.1, 0.3, 0.5, 0.7]
        runs[at_horizon(c, 5)] = [0.2, 0.2, 0.4, 0.4]
    scores = scenario_scores(runs)
    assert list(scores.index) == [(0, 2), (0, 5), (1, 2), (1, 5)]
    assert scores[CRITERIA[0]].to_list() == pytest.approx([0.2, 0.2, 0.6, 0.4])
    assert scores["balanced"].to_list() == pytest.approx([0.2, 0.2, 0.6, 0.4])


def test_runs_shorter_than_two_years_are_read_at_their_end():
    runs = pd.DataFrame({"point": [0, 0, 1]} | {c: [0.2, 0.4, 0.9] for c in CRITERIA})
    scores = scenario_scores(runs)
    assert list(scores.index) == [(0, 0), (1, 0)] and scores["balanced"].to_list() == pytest.approx([0.3, 0.9])
