"""The analyst's workflow around a batch: plan, per-point tables, sensitivity you can trust, load, export, diff."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.cli import main
from sim.experiments.batch import plan, run_batch
from sim.experiments.scenario import load_scenario, scenario_from_dict
from sim.simulation.metrics import CRITERIA, LOCAL_SUPPORT_BY_CLASS

BASE = {"name": "a", "structures": ["model1", "model2"], "weeks": 40, "replications": 3, "seed": 8}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis")
    scenario = scenario_from_dict({**BASE, "measures": [[], ["outreach"]], "municipality_table": True,
                                   "design": {"kind": "grid", "values": {"turnover_rate": [0.05, 0.2]}}})
    run_batch(scenario, out=folder / "sweep", workers=1)
    return folder, scenario


def test_plan_counts_runs_says_what_is_saved_and_estimates_the_time(tmp_path, capsys, sweep):
    folder, scenario = sweep
    path = tmp_path / "s.toml"
    path.write_text('name = "a"\nstructures = ["model1", "model2"]\nmeasures = [[], ["outreach"]]\nweeks = 40\n'
                    'replications = 3\nseed = 8\nmunicipality_table = true\n[design]\nkind = "grid"\n'
                    'values.turnover_rate = [0.05, 0.2]\n')
    assert main(["plan", str(path), "--out", str(tmp_path / "empty"), "--no-timing"]) == 0
    out = capsys.readouterr().out
    assert "2 structures x 2 measure sets x 2 design points = 8 groups; replications 3: 24 runs" in out
    assert "empty or absent" in out
    assert main(["plan", str(path), "--out", str(folder / "sweep")]) == 0
    out = capsys.readouterr().out
    assert "24 of these runs saved" in out and "ms a run of 40 weeks" in out and "0 runs to go" in out
    assert not (tmp_path / "empty").exists()


def test_per_point_tables_carry_the_points_values_and_the_pooled_one_says_how_many(sweep):
    folder, _ = sweep
    by_point = pd.read_csv(folder / "sweep" / "summary_by_point.csv", keep_default_na=False)
    assert set(by_point["turnover_rate"].astype(float)) == {0.05, 0.2}
    assert (by_point.groupby("point")["turnover_rate"].nunique() == 1).all()
    pooled = pd.read_csv(folder / "sweep" / "summary.csv", keep_default_na=False)
    assert set(pooled["points"]) == {2}


def test_the_terminal_summary_shows_each_point_with_its_values(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('name = "t"\nstructures = ["model1"]\nweeks = 20\nreplications = 2\n[design]\nkind = "grid"\n'
                    'values.turnover_rate = [0.05, 0.2]\n')
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "turnover_rate" in out and "0.05" in out and "0.2" in out


def test_local_support_by_size_class_adds_up_to_local_support(sweep):
    """Each class's score weighted by its share of municipalities is the national score (an identity)."""
    from sim.simulation.datasets import load_municipalities

    folder, _ = sweep
    runs = pd.read_parquet(folder / "sweep" / "runs.parquet")
    classes = load_municipalities("norway")["size_class"].value_counts(normalize=True).sort_index().to_numpy()
    weighted = runs[list(LOCAL_SUPPORT_BY_CLASS)].to_numpy(float) @ classes
    np.testing.assert_allclose(weighted, runs["local_support"].to_numpy(float), atol=1e-12)


def test_the_municipality_table_is_each_runs_last_week_and_agrees_with_its_metrics(sweep):
    folder, _ = sweep
    runs = pd.read_parquet(folder / "sweep" / "runs.parquet")
    table = pd.read_parquet(folder / "sweep" / "municipalities.parquet")
    assert len(table) == len(runs) * table["municipality"].nunique()
    mean = table.groupby("run_id", sort=False)["local_support"].mean()
    np.testing.assert_allclose(mean.loc[runs["run_id"]].to_numpy(), runs["local_support"].to_numpy(), atol=1e-12)
    small = table[table["size_class"] == "small"].groupby("run_id")["reached_last_year"].mean()
    np.testing.assert_allclose(small.loc[runs["run_id"]].to_numpy(), runs["coverage_small"].to_numpy(), atol=1e-12)


def test_load_gives_joined_tidy_tables_with_the_right_dtypes(sweep):
    from sim.analysis.results import load

    folder, scenario = sweep
    results = load(folder / "sweep")
    assert set(results.runs["measures"]) == {"", "outreach"} and set(results.summary["measures"]) == {"", "outreach"}
    assert results.factors == ["turnover_rate"]
    steps = results.steps
    assert {"structure", "measures", "point", "turnover_rate", "week"} <= set(steps.columns)
    assert len(steps) == len(plan(scenario)) * (scenario.weeks + 1)
    assert steps.groupby("run_id")["structure"].nunique().max() == 1


def test_load_refuses_a_folder_that_is_not_a_finished_batch(tmp_path):
    from sim.analysis.results import load
    from sim.experiments.batch import BatchConflict

    with pytest.raises(BatchConflict, match="manifest.json is missing"):
        load(tmp_path)


def test_export_writes_a_workbook_and_csv_files(sweep, tmp_path, capsys):
    folder, _ = sweep
    book = tmp_path / "out.xlsx"
    assert main(["export", str(folder / "sweep"), "--xlsx", str(book), "--csv", str(tmp_path / "csv"),
                 "--no-steps"]) == 0
    said = [line.split(" ...")[0] for line in capsys.readouterr().err.splitlines()]  # a line per table: no silent wait
    assert said[0] == f"sim export: reading {folder / 'sweep'}" and said[-1] == f"sim export: saving {book}"
    assert f"sim export: writing sheet runs of {book} (24 rows)" in said
    assert f"sim export: writing {tmp_path / 'csv' / 'runs.csv'} (24 rows)" in said
    sheets = pd.read_excel(book, sheet_name=None)
    assert {"runs", "summary", "summary_by_point", "failures", "about"} <= set(sheets)
    assert len(sheets["runs"]) == 24
    assert pd.read_csv(tmp_path / "csv" / "runs.csv").shape[0] == 24
    assert main(["export", str(folder / "sweep")]) == 2
    assert "--xlsx" in capsys.readouterr().err


def test_diff_of_a_batch_with_itself_finds_no_difference_and_names_groups_one_lacks(sweep, tmp_path, capsys):
    from sim.analysis.results import diff, load

    folder, _ = sweep
    same = diff(load(folder / "sweep", steps=False), load(folder / "sweep", steps=False))
    assert (same["difference"].abs() < 1e-12).all() and not same["differs"].any()
    other = tmp_path / "other"
    run_batch(scenario_from_dict({**BASE, "structures": ["model2", "model3"], "replications": 4,
                                  "measures": [[]]}), out=other, workers=1)
    with pytest.raises(ValueError, match="design.kind"):  # a design against none: refused unless asked for
        diff(load(folder / "sweep", steps=False), load(other, steps=False))
    table = diff(load(folder / "sweep", steps=False), load(other, steps=False), allow_different=True)
    both = table[table["only_in"] == ""]
    assert set(both["structure"]) == {"model2"} and len(both) == len(CRITERIA)
    assert set(table.loc[table["only_in"] == "A", "structure"]) == {"model1", "model2"}  # outreach, and model1
    assert set(table.loc[table["only_in"] == "B", "structure"]) == {"model3"}
    assert main(["diff", str(folder / "sweep"), str(other), "--save", str(tmp_path / "d.csv"),
                 "--allow-different"]) == 0
    out = capsys.readouterr().out
    assert "only in B: model3" in out and "B - A" in out
    assert len(pd.read_csv(tmp_path / "d.csv")) == len(table)


def test_compare_report_works_on_two_of_the_three_models(tmp_path, capsys):
    run_batch(scenario_from_dict({**BASE, "replications": 4}), out=tmp_path / "two", workers=1)
    assert main(["compare-report", str(tmp_path / "two")]) == 0
    out = capsys.readouterr().out
    assert "Only model1 and model2 have runs here" in out
    assert "model3" not in out.split("Verdicts")[1].split("\n")[1]


@pytest.mark.parametrize("n", [64, 1024])
def test_sobol_indices_say_whether_they_can_be_trusted(n):
    """A linear model with known indices: few samples are flagged, many converge near the analytic values."""
    from SALib.sample import sobol as saltelli

    from sim.experiments.sensitivity import _indices

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = saltelli.sample(problem, n, calc_second_order=False, seed=3)
    y = 4 * x[:, 0] + 2 * x[:, 1]  # variances 16/12 and 4/12: ST = 0.8, 0.2, 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = _indices("sobol", problem, x, y, 4, 3).set_index("parameter")
    assert not caught, [str(w.message) for w in caught]
    if n == 1024:
        assert (table["status"] == "ok").all(), table["status"].tolist()
        np.testing.assert_allclose(table["ST"], [0.8, 0.2, 0.0], atol=0.05)
    else:
        assert table["status"].str.startswith("not converged").any()


def test_a_constant_criterion_has_undefined_indices_and_no_warning():
    from SALib.sample import sobol as saltelli

    from sim.experiments.sensitivity import _indices

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1]] * 2}
    x = saltelli.sample(problem, 16, calc_second_order=False, seed=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for method in ("sobol", "morris"):
            table = _indices(method, problem, x, np.ones(len(x)), 4, 3)
            assert table["status"].str.startswith("undefined").all() and table.iloc[:, 2].isna().all()
    assert not caught


def test_the_plotting_helpers_take_one_runs_frame(tmp_path, capsys):
    from sim.analysis import plots

    assert main(["run", "scenarios/model2.toml", "--out", str(tmp_path / "one")]) == 0
    capsys.readouterr()
    steps = pd.read_parquet(tmp_path / "one" / "steps.parquet")
    for make in (plots.criteria_by_model, plots.staircase_over_time, plots.assignment_flow,
                 plots.coverage_by_size_class):
        assert isinstance(make(steps), Figure)


def test_coverage_intervals_stay_within_zero_and_one():
    from sim.analysis.plots.coverage import share_interval

    values = np.array([1.0, 1.0, 0.98, 1.0, 0.96])
    mean, low, high = share_interval(values)
    assert 0 <= low <= mean <= high <= 1
    assert share_interval(np.array([0.5, 0.5]))[1:] == (0.5, 0.5)


def test_version_and_plain_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("sim 0.")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "``" not in capsys.readouterr().out


def test_a_search_scenario_is_refused_by_sim_batch(tmp_path, capsys):
    scenario = load_scenario("scenarios/design_search.toml")
    assert scenario.search is not None
    assert main(["batch", "scenarios/design_search.toml", "--out", str(tmp_path / "x")]) == 2
    assert "sim search" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_diff_compares_two_structures_within_one_folder(sweep, capsys):
    from sim.analysis.results import diff, load, within

    folder, _ = sweep
    batch = load(folder / "sweep", steps=False)
    a, b = within(batch, "model1", "model2")
    table = diff(a, b)
    runs = batch.runs
    both = table[table["only_in"] == ""]
    assert len(both) == 2 * 2 * len(CRITERIA) and set(both["structure"]) == {"model2 vs model1"}
    for row in both.itertuples(index=False):  # B - A: model2's mean less model1's, per measure set and point
        one = runs[(runs["measures"] == row.measures) & (runs["turnover_rate"] == row.turnover_rate)]
        means = one.groupby("structure")[row.outcome].mean()
        assert row.difference == pytest.approx(means["model2"] - means["model1"])
    assert main(["diff", str(folder / "sweep"), "--structures", "model1", "model2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"A = model1, B = model2, both in {folder / 'sweep'}") and "model2 vs model1" in out
    assert main(["diff", str(folder / "sweep"), "--structures", "model1", "model9"]) == 2
    assert "model9 is not in it (it has model1, model2)" in capsys.readouterr().err
    assert main(["diff", str(folder / "sweep")]) == 2  # neither a second folder nor two structures
    assert "--structures A B" in capsys.readouterr().err
    assert main(["diff", str(folder / "sweep"), str(folder / "sweep"), "--structures", "model1", "model2"]) == 2
