"""`sim run`: one simulation from a scenario file; bad input is refused cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import CRITERIA
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_sim_run_writes_one_row_per_step_and_prints_a_summary(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "t"\nstructures = ["model2"]\nweeks = 40\n')
    assert main(["run", str(scenario), "--seed", "7", "--out", str(tmp_path / "out")]) == 0
    steps = pd.read_parquet(tmp_path / "out" / "steps.parquet")
    assert len(steps) == 41 and steps["week"].tolist() == list(range(41))
    assert set(CRITERIA) <= set(steps.columns)
    assert "shared_understanding" in capsys.readouterr().out


def test_shipped_scenario_runs_through_the_console_script(tmp_path):
    out = tmp_path / "model2"
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(ROOT / "scenarios" / "model2.toml"),
                           "--seed", "7", "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(out / "steps.parquet")) == 521


@pytest.mark.parametrize(("text", "words"), [
    ('name = "t"\nstructures = ["model2"\nweeks = 4\n', ["not valid TOML"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\nseeed = 3\n', ["seeed", "Did you mean 'seed'"]),
    ('name = "t"\nstructures = ["model9"]\nweeks = 4\n', ["structures", "model9", "baseline, model1"]),
    ('name = "t"\nstructures = ["model2"]\nmeasures = [["teleport"]]\nweeks = 4\n', ["measures", "teleport"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 0\n', ["weeks"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\nreplications = 0\n', ["replications", ">= 1"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\n[parameters]\nturnover_rate = 3.0\n',
     ["parameters", "turnover_rate", "[0, 1]"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\n[parameters]\nturnover_rate = "high"\n', ["turnover_rate"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\n[parameters]\nturnover_rate = "0.1"\n', ["turnover_rate"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\n[parameters]\nturnover_rate = true\n', ["turnover_rate"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\nreplications = {until_ci_half_width = 0.1, min = 5, max = 3}\n',
     ["replications", "max (3) must be >= min (5)"]),
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\n[design]\nkind = "grid"\nvalues = {nosuch = [1.0]}\n',
     ["design", "nosuch"]),
])
def test_bad_scenarios_exit_2_naming_file_and_field_and_write_nothing(tmp_path, capsys, text, words):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(scenario) in err
    for word in words:
        assert word in err
    assert not out.exists()


def test_unwritable_output_is_refused_and_earlier_results_survive(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "t"\nstructures = ["baseline"]\nweeks = 3\n')
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    assert main(["run", str(scenario), "--out", str(blocker / "sub")]) == 2
    assert "cannot be written" in capsys.readouterr().err
    assert blocker.read_text() == "keep me"
