"""The verdict rule: the report's strict orderings, checked with Welch intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import CRITERIA
from sim.analysis.validation import NotComparable, side_by_side
from sim.experiments.intervals import welch_interval
from sim.experiments.orderings import MODELS, SCALE, ordering_table, report_orderings, report_verdicts, verdicts


def _runs(means: dict[str, dict[str, float]], n: int = 30, spread: float = 0.01) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for model, by_criterion in means.items():
        for _ in range(n):
            rows.append({"structure": model, "measures": "",
                         **{c: by_criterion[c] + rng.normal(0, spread) for c in CRITERIA}})
    return pd.DataFrame(rows)


def _report_like() -> dict[str, dict[str, float]]:
    table = pd.read_csv("sim/data/report_verdicts.csv")
    return {m: {c: SCALE[v] / 2 for c, v in zip(g["criterion"], g["verdict"], strict=True)}
            for m, g in table.groupby("structure")}


def test_the_report_implies_fourteen_strict_orderings():
    orderings = report_orderings()
    assert len(orderings) == 14
    assert {"criterion": "cross_sector_organisation", "lower": "model1", "higher": "model3"} in \
        orderings.to_dict("records")
    assert not ((orderings["criterion"] == "shared_understanding") & (orderings["lower"] == "model2")).any()


def test_data_shaped_like_the_report_agrees_everywhere_and_reversed_data_nowhere():
    agreeing = verdicts(_runs(_report_like()))
    assert agreeing["agrees"].all()
    reversed_means = {m: {c: -v for c, v in d.items()} for m, d in _report_like().items()}
    disagreeing = verdicts(_runs(reversed_means))
    assert not disagreeing["agrees"].any()


def test_indistinguishable_models_are_medium():
    flat = {m: dict.fromkeys(CRITERIA, 0.5) for m in ("model1", "model2", "model3")}
    v = verdicts(_runs(flat, spread=0.05))
    assert (v["simulated"] == "medium").all()


def test_welch_interval_matches_a_hand_computation():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 5.0, 7.0, 9.0])
    diff, lo, hi = welch_interval(a, b)
    assert diff == 3.5
    se = np.sqrt(np.var(a, ddof=1) / 4 + np.var(b, ddof=1) / 4)
    assert lo < diff - 1.9 * se and hi > diff + 1.9 * se


def test_side_by_side_is_the_report_table_with_the_simulated_verdicts_beside_it():
    table = side_by_side(_runs(_report_like()))
    assert table["criterion"].tolist() == list(CRITERIA)
    report = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    for model in MODELS:
        assert table[f"{model}_report"].tolist() == [report[(model, c)] for c in CRITERIA]
        assert table[f"{model}_agrees"].all()
        assert set(table[f"{model}_simulated"]) <= {"weak", "medium", "strong"}


def test_a_batch_without_two_runs_of_two_models_is_refused_naming_what_is_missing():
    runs = _runs(_report_like(), n=3)  # model1, model2, model3 in that order
    with pytest.raises(NotComparable, match="model1: 3, model2: 1, model3: 0"):
        side_by_side(runs.iloc[:4])
    two = side_by_side(runs.iloc[:7])  # model3 has one run: the comparison is between models 1 and 2
    assert [c for c in two.columns if c.endswith("_simulated")] == ["model1_simulated", "model2_simulated"]
    assert set(ordering_table(runs.iloc[:7])[["lower", "higher"]].stack()) <= {"model1", "model2"}
    with pytest.raises(NotComparable, match="measures 'outreach'"):
        side_by_side(runs, measures="outreach")
    with pytest.raises(NotComparable, match="no finished runs"):
        side_by_side(pd.DataFrame())
