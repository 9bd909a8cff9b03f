"""``sim search``: a robust multi-objective search for structures, end to end, resumable, refused clearly when wrong."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.simulation.metrics import CRITERIA
from tests.batch_support import committed, poll, sim

SEARCH = '''name = "tiny_search"
structures = ["model1", "model2", "model3"]
weeks = {weeks}
replications = 2
seed = 3

[design]
kind = "lhs"
samples = 3
seed = 1
ranges.turnover_rate = [0.05, 0.2]

[search]
population = 6
generations = {generations}
seed = 2
measures = ["identical_assignments", "programme_financing"]
space."field_arena.meets_every_weeks" = [2, 4, 8]
space."field_arena.secretariat_py" = {{ low = 0.5, high = 4.0 }}
space.joint_letters = ["arena", ["Hdir"]]
'''


def _scenario(tmp_path, weeks=110, generations=2):  # 110 weeks: the 2-year horizon is a scenario of the regret
    path = tmp_path / "search.toml"
    path.write_text(SEARCH.format(weeks=weeks, generations=generations), encoding="utf-8")
    return path


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool((a <= b).all() and (a < b).any())


def _objectives(table: pd.DataFrame) -> np.ndarray:
    names = [f"{c}_mean" for c in CRITERIA] + [f"{c}_q10" for c in CRITERIA]
    return np.column_stack([-table[names].to_numpy(float), table["cost_person_years_mean"].to_numpy(float),
                            table["budget_nok_mean"].to_numpy(float)])


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("search")
    out = tmp / "out"
    assert main(["search", str(_scenario(tmp)), "--out", str(out), "--quiet", "--workers", "2"]) == 0
    return tmp, out


def test_a_search_judges_the_references_and_its_candidates_and_writes_its_outputs(searched):
    _, out = searched
    for name in ("candidates.parquet", "comparisons.parquet", "pareto.parquet", "decision.csv", "report.html",
                 "figures/pareto.png", "figures/tradeoffs.png", "runs.parquet"):
        assert (out / name).is_file(), name
    candidates = pd.read_parquet(out / "candidates.parquet")
    refs = candidates[candidates["reference"]]
    # each reference with each set of the searchable measures, none first
    sets = ["", "identical_assignments", "programme_financing", "identical_assignments,programme_financing"]
    assert list(refs["structure"]) == [s for s in ("model1", "model2", "model3") for _ in sets]
    assert list(refs["measures"]) == sets * 3
    assert set(refs["field_arena.meets_every_weeks"]) == {6, 4}  # their own values, as declared
    assert candidates["candidate"].is_unique and (candidates["n_runs"] == 3 * 2).all()
    assert candidates["field_arena.meets_every_weeks"].isin([2, 4, 6, 8]).all()
    assert candidates["field_arena.secretariat_py"].between(0.5, 4.0).sum() >= len(candidates) - 3
    assert (candidates["description"].str.len() > 50).all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "The front" in html and "Better than the references?" in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["search"]) == {"candidates.parquet", "comparisons.parquet", "pareto.parquet", "decision.csv",
                                       "front.csv", "report.html", "figures/pareto.png", "figures/tradeoffs.png"}
    front = pd.read_csv(out / "front.csv", keep_default_na=False)
    assert list(front["candidate"]) == list(pd.read_parquet(out / "pareto.parquet").sort_values(
        "total_cost_nok", kind="stable")["candidate"])


def test_the_front_is_exactly_the_non_dominated_candidates(searched):
    """Checked against a plain dominance test, not against the library that found it."""
    _, out = searched
    candidates = pd.read_parquet(out / "candidates.parquet")
    f = _objectives(candidates)
    for k in range(len(candidates)):
        dominated = any(_dominates(f[j], f[k]) for j in range(len(candidates)) if j != k)
        assert candidates["on_front"].iloc[k] == (not dominated)
    pareto = pd.read_parquet(out / "pareto.parquet")
    assert list(pareto["candidate"]) == list(candidates.loc[candidates["on_front"], "candidate"])


def test_as_good_as_a_reference_means_on_every_criterion_at_no_more_cost(searched):
    _, out = searched
    candidates = pd.read_parquet(out / "candidates.parquet")
    comparisons = pd.read_parquet(out / "comparisons.parquet")
    for ref in ("model1", "model2", "model3"):
        mine = comparisons[comparisons["reference"] == ref].pivot(index="candidate", columns="outcome",
                                                                  values="difference")
        expected = ((mine[list(CRITERIA)] >= -1e-12).all(axis=1) & (mine["cost_person_years"] <= 1e-12)
                    & (mine["budget_nok"] <= 1e-12))
        got = candidates.set_index("candidate")[f"as_good_as_{ref}"]
        assert (got == expected.reindex(got.index)).all()
        for _, ref_row in candidates[candidates["reference"] & (candidates["structure"] == ref)].iterrows():
            assert ref_row[f"as_good_as_{ref}"] and ref_row[f"share_as_good_{ref}"] == 1.0  # itself
    wide = comparisons.pivot_table(index=["candidate", "reference"], columns="outcome", values="difference")
    on_criteria = (wide[list(CRITERIA)] >= -1e-12).all(axis=1).groupby(level="candidate").all()
    expected = candidates["candidate"].map(on_criteria) & ~candidates["reference"]
    assert (candidates["criteria_as_good_as_all_references"] == expected).all()
    assert (candidates["criteria_as_good_as_all_references"] >= candidates["as_good_as_all_references"]).all()
    both = candidates["as_good_as_all_references"]
    assert (both == (candidates[[f"as_good_as_{r}" for r in ("model1", "model2", "model3")]].all(axis=1)
                     & ~candidates["reference"])).all()


def test_each_candidate_is_compared_with_each_reference_given_the_same_measures(searched):
    """The fair-reference rule: "better than model X" means a better structure, not more measures."""
    _, out = searched
    candidates = pd.read_parquet(out / "candidates.parquet").set_index("candidate")
    comparisons = pd.read_parquet(out / "comparisons.parquet")
    assert set(comparisons["reference"]) == {"model1", "model2", "model3"}
    assert (comparisons["reference_measures"] == candidates.loc[comparisons["candidate"], "measures"].to_numpy()).all()
    refs = candidates[candidates["reference"]].reset_index().set_index(["structure", "measures"])
    for row in comparisons[comparisons["outcome"].isin(["operational_implementation", "budget_nok"])].itertuples():
        ref = refs.loc[(row.reference, row.reference_measures)]
        # every candidate meets the same points, so the paired mean difference is the difference of the means
        expected = candidates.at[row.candidate, f"{row.outcome}_mean"] - ref[f"{row.outcome}_mean"]
        assert row.difference == pytest.approx(expected, abs=1e-9)
    measures_money = comparisons[comparisons["outcome"] == "budget_nok"]["difference"]
    assert (measures_money == 0).all()  # same measures, same money: only the structure differs
    for ref in ("model1", "model2", "model3"):  # its best measure set: least balanced minimax regret among its sets
        own = candidates[candidates["reference"] & (candidates["structure"] == ref)]
        best = own.sort_values(["regret_max_balanced", "budget_nok_mean", "cost_person_years_mean"], kind="stable")
        assert (candidates[f"best_measures_of_{ref}"] == best["measures"].iloc[0]).all()


def test_regret_is_judged_over_every_point_and_horizon_against_the_best_candidate(searched):
    _, out = searched
    candidates = pd.read_parquet(out / "candidates.parquet")
    for p in (*CRITERIA, "balanced"):
        assert candidates[f"regret_max_{p}"].ge(0).all() and candidates[f"within_tolerance_{p}"].between(0, 1).all()
        # in every scenario some candidate is the best, so some candidate has zero regret there
        assert candidates[f"within_tolerance_{p}"].max() > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "What to choose" in html and "MNOK" in html


def test_the_decision_is_the_least_minimax_regret_per_priority_then_the_cheaper(searched):
    _, out = searched
    candidates = pd.read_parquet(out / "candidates.parquet")
    decision = pd.read_csv(out / "decision.csv", keep_default_na=False)
    assert list(decision["priority"]) == [*CRITERIA, "balanced"]
    feasible = candidates[candidates["n_failed"] == 0]
    for row in decision.itertuples():
        ranked = feasible.sort_values([f"regret_max_{row.priority}", "total_cost_nok"], kind="stable")
        assert row.choice == ranked["candidate"].iloc[0]
        refs = ranked[ranked["reference"]]
        assert row.reference == refs["candidate"].iloc[0]
        assert row.choice_within_tolerance_low <= row.choice_within_tolerance <= row.choice_within_tolerance_high
        assert row.advantage_low <= row.advantage <= row.advantage_high
        assert row.choice_regret_max <= row.reference_regret_max  # the choice is among all, references included
    costs = candidates["budget_nok_mean"] + 1_200_000 * candidates["cost_person_years_mean"]
    assert np.allclose(candidates["total_cost_nok"], costs)


def test_stability_runs_the_search_per_seed_pair_and_says_what_holds_in_all(tmp_path, capsys):
    out = tmp_path / "stable"
    assert main(["search", str(_scenario(tmp_path, generations=1)), "--out", str(out), "--quiet", "--workers", "2",
                 "--seeds", "2", "5", "--draw-seeds", "1"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["seed-2-draws-1", "seed-5-draws-1", "stability.csv"]
    table = pd.read_csv(out / "stability.csv", keep_default_na=False)
    decisions = [pd.read_csv(out / f / "decision.csv", keep_default_na=False) for f in ("seed-2-draws-1",
                                                                                        "seed-5-draws-1")]
    for row in table.itertuples():
        choices = {d.set_index("priority").at[row.priority, "choice"] for d in decisions}
        assert row.same_choice == (len(choices) == 1) and row.searches == 2
    assert "stability.csv" in capsys.readouterr().out


def test_every_candidate_meets_the_same_parameter_points_with_the_same_seeds(searched):
    _, out = searched
    runs = pd.read_parquet(out / "runs.parquet")
    per_slot = runs.groupby(["point", "replication"]).agg(seeds=("seed", "nunique"),
                                                          turnover=("turnover_rate", "nunique"))
    assert (per_slot["seeds"] == 1).all() and (per_slot["turnover"] == 1).all() and len(per_slot) == 3 * 2


@pytest.mark.timeout(240)  # waits on a `sim search` process, killed: a hang fails here, with the stack
def test_a_search_killed_with_sigkill_resumes_to_the_same_front(tmp_path, searched):
    reference_tmp, reference_out = searched
    out = tmp_path / "out"
    scenario = _scenario(tmp_path)
    proc = subprocess.Popen(sim("search", scenario, "--out", out, "--workers", 1, "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    assert poll(lambda: committed(out) >= 3), "the search never committed a chunk"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert not (out / "candidates.parquet").exists()
    assert main(["search", str(scenario), "--out", str(out), "--quiet", "--resume"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["invocations"][-1]["runs_saved_before"] > 0  # the resumed search reused what was saved
    for name in ("candidates.parquet", "pareto.parquet", "comparisons.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(reference_out / name))


def test_a_search_does_not_write_into_a_folder_with_results_without_resume(searched, capsys):
    tmp, out = searched
    before = (out / "candidates.parquet").read_bytes()
    assert main(["search", str(_scenario(tmp)), "--out", str(out), "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "candidates.parquet").read_bytes() == before


@pytest.mark.parametrize(("change", "words"), [
    (('space.joint_letters = ["arena", ["Hdir"]]', 'space.joint_letters = ["arena", ["Nobody"]]'),
     ["search.space.'joint_letters'", "Nobody"]),
    (('space."field_arena.meets_every_weeks" = [2, 4, 8]', 'space.turnover_rate = [0.1, 0.2]'),
     ["not a structural field"]),
    (('measures = ["identical_assignments", "programme_financing"]', 'measures = ["identical"]'),
     ["search.measures", "identical_assignments"]),
    (("population = 6", "populaton = 6"), ["search.populaton", "Did you mean 'population'"]),
    (('space."field_arena.secretariat_py" = { low = 0.5, high = 4.0 }', 'space."field_arena.lead" = { low = 1, high = 2 }'),
     ["takes choices"]),
])
def test_bad_search_declarations_are_refused_and_nothing_is_written(tmp_path, capsys, change, words):
    path = _scenario(tmp_path)
    text = path.read_text()
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1]))
    assert main(["search", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err
    assert not (tmp_path / "out").exists()


def test_a_batch_scenario_is_not_a_search(tmp_path, capsys):
    path = tmp_path / "b.toml"
    path.write_text('name = "b"\nstructures = ["model1"]\nweeks = 4\n')
    assert main(["search", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "[search] table" in capsys.readouterr().err


@pytest.mark.timeout(240)  # waits on a dask cluster: a hang fails here, with the stack
def test_a_search_on_dask_finds_what_local_workers_find(tmp_path, searched):
    _, reference_out = searched
    out = tmp_path / "out"
    assert main(["search", str(_scenario(tmp_path)), "--out", str(out), "--quiet", "--dask", "local",
                 "--workers", "2"]) == 0
    for name in ("candidates.parquet", "pareto.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(reference_out / name))


def test_batch_tools_refuse_a_search_folder_rather_than_mix_its_candidates(searched, capsys):
    _, out = searched
    before = (out / "report.html").read_bytes()
    for command in (["report", str(out)], ["compare-report", str(out)]):
        assert main(command) == 2
        assert "holds a search" in capsys.readouterr().err
    assert (out / "report.html").read_bytes() == before


def test_resuming_a_finished_search_runs_nothing_and_rebuilds_the_same_outputs(searched, capsys):
    tmp, out = searched
    before = pd.read_parquet(out / "candidates.parquet")
    assert main(["search", str(_scenario(tmp)), "--out", str(out), "--quiet", "--resume"]) == 0
    said = capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["invocations"][-1]["runs_new"] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "candidates.parquet"), before)
    # one count of the front, the found structures and the references apart, in the line, the page and the figure
    from sim.analysis.plots.search import front_figure
    from sim.experiments.scenario import load_scenario

    on, refs = before["on_front"].to_numpy(bool), before["reference"].to_numpy(bool)
    count = f"{int((on & ~refs).sum())} found structure"
    assert f"on the front: {count}" in said
    assert f"the objectives: {count}" in (out / "report.html").read_text(encoding="utf-8")
    figure = front_figure(before, load_scenario(_scenario(tmp)).search)
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert any(t.startswith(f"on the front: {count}") for t in legend), legend


def test_a_search_writes_no_per_point_summary(searched):
    _, out = searched
    assert (out / "summary.csv").is_file() and not (out / "summary_by_point.csv").exists()
