"""The change of mandate is a scenario premise (seed 000 model 3), stated, validated and shown in both readings."""

from __future__ import annotations

import numpy as np
import pytest

from sim import CoordinationModel
from sim.cli import main
from sim.experiments.batch import run_batch
from sim.experiments.scenario import ScenarioError, scenario_from_dict

BASE = {"name": "t", "structures": ["model1", "model2", "model3"], "weeks": 30, "replications": 2, "seed": 3}


@pytest.mark.parametrize("value", [True, "sometimes", -1, 5201, 104.0, "104"])
def test_a_bad_mandate_change_week_is_refused_naming_the_field(value):
    with pytest.raises(ScenarioError, match="mandate_change_week"):
        scenario_from_dict({**BASE, "mandate_change_week": value})


@pytest.mark.parametrize("value", [True, -3, 2.5, "never"])
def test_the_model_refuses_a_bad_mandate_change_week(value):
    with pytest.raises(ValueError, match="mandate_change_week"):
        CoordinationModel("model3", mandate_change_week=value)


def test_the_premise_decides_whether_model_3_gets_rights_and_nothing_else():
    never = CoordinationModel("model3", rng=1)
    change = CoordinationModel("model3", rng=1, mandate_change_week=52)
    assert np.all(never.world.ar_decides_from[:2] == -1) and np.all(change.world.ar_decides_from[:2] == 52)
    for structure in ("baseline", "model1", "model2"):  # no arena of theirs waits for a mandate change
        a = CoordinationModel(structure, rng=1)
        b = CoordinationModel(structure, rng=1, mandate_change_week=52)
        np.testing.assert_array_equal(a.world.ar_decides_from, b.world.ar_decides_from)


def test_compare_report_prints_both_readings_headed_by_their_premise(tmp_path, capsys):
    never = scenario_from_dict(BASE)
    change = scenario_from_dict({**BASE, "mandate_change_week": 10})
    run_batch(never, out=tmp_path / "never", workers=1, quiet=True)
    run_batch(change, out=tmp_path / "change", workers=1, quiet=True)
    capsys.readouterr()
    assert main(["compare-report", str(tmp_path / "never"), "--mandate-change", str(tmp_path / "change")]) == 0
    out = capsys.readouterr().out
    first, second = out.split("=" * 78)
    assert "premise: no change of mandate" in first
    assert "premise: a change of mandate in week 10" in second
    assert first.count("orderings reproduced") == second.count("orderings reproduced") == 1
