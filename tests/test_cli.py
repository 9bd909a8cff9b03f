"""`sim run`: one simulation from a scenario file; bad input is refused cleanly."""

from __future__ import annotations

import re
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


@pytest.mark.timeout(240)  # waits on a `sim` process: a hang fails here, with the stack
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
    ('name = "t"\nstructures = ["model2"]\nweeks = 4\nreplications = 0\n', ["replications", "[1, "]),
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


@pytest.fixture(scope="module")
def tiny_batch(tmp_path_factory) -> Path:
    """Models 1-3, 3 replications of 52 weeks: enough for Welch intervals, quick to run."""
    root = tmp_path_factory.mktemp("tiny")
    scenario = root / "tiny.toml"
    scenario.write_text('name = "tiny"\nstructures = ["model1", "model2", "model3"]\nweeks = 52\n'
                        'replications = 3\nseed = 5\n')
    assert main(["batch", str(scenario), "--out", str(root / "out"), "--workers", "1", "--quiet"]) == 0
    return root / "out"


def test_compare_report_prints_both_tables_in_100_columns_and_saves_them(tiny_batch, tmp_path, capsys):
    from sim.analysis.validation import REFERENCE_FILES

    assert main(["compare-report", str(tiny_batch), "--save", str(tmp_path / "ref")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(tiny_batch)
    assert max(len(line) for line in lines if str(tmp_path) not in line and str(tiny_batch) not in line) <= 100
    assert sum(line.startswith(CRITERIA) for line in lines) == 6 + 14  # verdict rows, then ordering rows
    assert re.fullmatch(r"\d+ of 14 orderings reproduced; \d+ of 18 cells agree in ordering \(.\), \d+ of 18 in label",
                        lines[-1])
    assert sorted(p.name for p in (tmp_path / "ref").iterdir()) == sorted(REFERENCE_FILES)
    verdicts = pd.read_csv(tmp_path / "ref" / "verdicts.csv")
    orderings = pd.read_csv(tmp_path / "ref" / "orderings.csv")
    agree = int(verdicts[["model1_agrees", "model2_agrees", "model3_agrees"]].to_numpy().sum())
    same = sum(int((verdicts[f"{m}_simulated"] == verdicts[f"{m}_report"]).sum()) for m in ("model1", "model2", "model3"))
    assert lines[-1].startswith(f"{orderings['reproduced'].sum()} of 14 orderings reproduced; {agree} of 18 cells agree "
                                "in ordering") and lines[-1].endswith(f", {same} of 18 in label")
    marked = [line for line in lines if line.startswith(CRITERIA)][:6]  # the mark is the ordering agreement
    flags = verdicts[["model1_agrees", "model2_agrees", "model3_agrees"]].to_numpy()
    assert [[cell.endswith(("✓", "*")) for cell in re.split(r"\s{2,}", line)[1:]] for line in marked] == flags.tolist()


def test_compare_report_shows_each_orderings_out_of_sample_probability(tiny_batch, tmp_path, capsys):
    committed = Path(__file__).resolve().parents[1] / "results" / "calibration"
    predictive = pd.read_csv(committed / "predictive.csv")
    assert main(["compare-report", str(tiny_batch), "--posterior", str(committed)]) == 0
    out = capsys.readouterr().out
    assert "P (calibration A)" in out and "out of sample" in out
    rows = predictive[(predictive["kind"] == "ordering") & (predictive["calibration"] == "A")
                      & (predictive["premise"] == "no change of mandate") & (predictive["horizon_years"] == 10)]
    for r in rows.itertuples(index=False):
        line = next(line for line in out.splitlines() if line.startswith(r.statement.split(":")[0])
                    and r.statement.split(": ")[1] in line)
        assert f"{r.probability:.2f} ± {r.mc_se:.2f}" in line, line
    old = tmp_path / "old"
    old.mkdir()
    (old / "predictive.csv").write_text("kind,statement,probability,low,high\nordering,x,0.5,0.1,0.9\n")
    assert main(["compare-report", str(tiny_batch), "--posterior", str(old)]) == 2
    assert "older `sim calibrate`" in capsys.readouterr().err


def test_compare_report_refuses_what_it_cannot_compare(tiny_batch, tmp_path, capsys):
    one_model = tmp_path / "one.toml"
    one_model.write_text('name = "one"\nstructures = ["baseline", "model1"]\nweeks = 8\nreplications = 2\n')
    assert main(["batch", str(one_model), "--out", str(tmp_path / "one"), "--workers", "1", "--quiet"]) == 0
    (tmp_path / "empty").mkdir()
    cases = [([str(tmp_path / "missing")], ["missing", "not a folder", "runs.parquet"]),
             ([str(tmp_path / "empty")], ["empty", "has no runs.parquet"]),
             ([str(tmp_path / "one")], ["one", "at least 2 replications", "model3: 0"]),
             ([str(tiny_batch), "--measures", "outreach"], [str(tiny_batch), "measures 'outreach'", "model1: 0"])]
    for argv, words in cases:
        assert main(["compare-report", *argv, "--save", str(tmp_path / "saved")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("sim compare-report: error: ")
        for word in words:
            assert word in err
    assert not (tmp_path / "saved").exists()


def test_a_first_run_says_it_compiles_the_kernels_and_compiles_them_once_before_running(tmp_path, monkeypatch,
                                                                                     capsys):
    from sim.simulation import provenance

    calls = []
    monkeypatch.setattr(provenance, "kernels_cached", lambda: False)
    monkeypatch.setattr(provenance, "compile_kernels", lambda: calls.append(1) or 12.0)
    assert main(["run", "scenarios/model1.toml", "--out", str(tmp_path / "one")]) == 0
    err = capsys.readouterr().err
    assert "compiling the simulation kernels once" in err and "compiled in 12 s" in err and calls == [1]
    assert main(["report", str(tmp_path / "nothing")]) == 2  # a command that does not simulate compiles nothing
    assert calls == [1]


HEAVY = ("numba", "pandas", "scipy", "mesa", "dask")
_PROBE = """
import sys
from sim.cli import main
try:
    code = main({argv!r})
except SystemExit as exc:
    code = exc.code
print(sorted(m for m in {heavy!r} if m in sys.modules), code)
"""


@pytest.mark.parametrize(("argv", "code"), [
    (["--help"], 0), (["batch", "--help"], 0), (["report", "--help"], 0), (["view", "--help"], 0),
    (["diff", "--help"], 0), (["batch"], 2), (["frobnicate"], 2),
    (["batch", "scenarios/compare_models.toml", "--workers", "0"], 2),
    (["batch", "scenarios/compare_models.toml", "--rerun-stale"], 2),
    (["run", "scenarios/model2.toml", "--out", ""], 2),
    (["batch", "scenarios/no_such_scenario.toml"], 2),
    (["batch", "README.md"], 2),  # not TOML
    (["report", "results/no_such_batch"], 2), (["export", "README.md", "--csv", "x"], 2),
    (["diff", "results/no_such_batch", "--structures", "model1", "model2"], 2),
])
def test_help_usage_errors_and_bad_options_load_none_of_the_simulation_stack(argv, code):
    done = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv, heavy=HEAVY)], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == f"[] {code}", done.stdout + done.stderr
