"""Every figure of ``sim.analysis.plots`` renders from a small batch, with the panels and artists it promises."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim import CRITERIA
from sim.analysis.plots import (
    assignment_flow,
    coverage_by_size_class,
    criteria_by_model,
    measure_differences,
    measure_effects,
    save_batch_figures,
    sensitivity_indices,
    staircase_over_time,
    sweep_data,
    sweep_response,
)
from sim.experiments.batch import SERIES, run_batch
from sim.experiments.scenario import scenario_from_dict
from sim.experiments.sensitivity import run_sensitivity
from sim.simulation.metrics import LEVEL_SHARES

STRUCTURES = ["baseline", "model2"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """2 structures x 2 measure sets x 2 replications x 60 weeks: (folder, runs, steps)."""
    out = tmp_path_factory.mktemp("batch")
    scenario = scenario_from_dict({"name": "plots", "structures": STRUCTURES, "measures": [[], ["outreach"]],
                                   "weeks": 60, "replications": 2, "seed": 3})
    runs = run_batch(scenario, out=out, workers=1)
    return out, runs, pd.read_parquet(out / "steps.parquet")


@pytest.fixture(scope="module")
def oat(tmp_path_factory):
    """One factor at a time over two parameters: 1 + 2 + 1 = 4 points, 2 structures, 2 replications."""
    scenario = scenario_from_dict({"name": "oat", "structures": STRUCTURES, "weeks": 60, "replications": 2, "seed": 4,
                                   "design": {"kind": "oat", "values": {"turnover_rate": [0.05, 0.3],
                                                                        "climb_threshold": [6.0]}}})
    return run_batch(scenario, out=tmp_path_factory.mktemp("oat"), workers=1)


@pytest.fixture(scope="module")
def lhs(tmp_path_factory):
    """A continuous design (30 Latin-hypercube points) whose values must be binned."""
    scenario = scenario_from_dict({"name": "lhs", "structures": STRUCTURES, "weeks": 60, "replications": 1, "seed": 5,
                                   "design": {"kind": "lhs", "samples": 30, "seed": 1,
                                              "ranges": {"turnover_rate": [0.05, 0.25],
                                                         "erosion_hazard": [0.01, 0.15]}}})
    return run_batch(scenario, out=tmp_path_factory.mktemp("lhs"), workers=1)


@pytest.fixture(scope="module")
def sensitivity(tmp_path_factory):
    """A tiny sensitivity table: Morris and Sobol' with 4 samples over two parameters, one structure."""
    scenario = scenario_from_dict({"name": "sens", "structures": ["model2"], "weeks": 40, "replications": 1,
                                   "seed": 6, "design": {"kind": "sobol", "samples": 4, "levels": 4, "seed": 2,
                                                         "ranges": {"turnover_rate": [0.05, 0.25],
                                                                    "climb_threshold": [1.5, 6.0]}}})
    table = run_sensitivity(scenario, out=tmp_path_factory.mktemp("sens"), workers=1)
    sobol = table[table["method"] == "sobol"]  # so few samples are flagged, in the table rather than as warnings
    assert sobol["status"].str.startswith(("not converged", "undefined")).all()
    return table


def bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_the_series_hold_the_assignment_counts(batch):
    _, _, steps = batch
    assert {"assignments_issued", "assignments_completed", "assignments_dropped"} <= set(SERIES)
    assert set(SERIES) <= set(steps.columns)
    last = steps[steps["week"] == 60].set_index("run_id")
    runs = batch[1].set_index("run_id")
    assert (last.loc[runs.index, "assignments_completed"] == runs["assignments_completed"]).all()


def test_criteria_by_model_six_panels_one_bar_per_group_verdicts_beneath(batch):
    _, runs, _ = batch
    fig = criteria_by_model(runs)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6
    for ax, criterion in zip(fig.axes, CRITERIA, strict=True):
        assert len(bars(ax)) == 4  # 2 structures x 2 measure sets
        assert ax.get_title() == criterion.replace("cross_sector", "cross-sector").replace("_", " ")
        heights = sorted(b.get_height() for b in bars(ax))
        means = sorted(runs.groupby(["structure", "measures"])[criterion].mean())
        np.testing.assert_allclose(heights, means)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["baseline\n–", "model2\nmedium"]  # model2's verdict on cross-sector organisation (table 5)
    assert fig.legends and len(fig.legends[0].get_texts()) == 2  # the two measure sets


def test_staircase_has_a_panel_per_group_with_five_steps_and_bands(batch):
    _, runs, steps = batch
    fig = staircase_over_time(steps, runs)
    assert len(fig.axes) == 4
    for ax in fig.axes:
        polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(polys) == len(LEVEL_SHARES) + len(LEVEL_SHARES) - 1  # 5 stacked steps + 4 boundary bands
        assert ax.get_ylim() == (0, 1)
    assert len(fig.legends[0].get_texts()) == len(LEVEL_SHARES) + 1


def test_assignment_flow_final_values_and_over_time(batch):
    _, runs, steps = batch
    fig = assignment_flow(runs)
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title() == "issued"
    for ax in fig.axes:
        assert len(bars(ax)) == 4
    issued = sorted(b.get_height() for b in bars(fig.axes[0]))
    np.testing.assert_allclose(issued, sorted(runs.groupby(["structure", "measures"])["assignments_issued"].mean()))
    with_time = assignment_flow(runs, steps)
    assert len(with_time.axes) == 4 + 4  # the four final values + one time panel per group
    assert all(len(ax.get_lines()) == 4 for ax in with_time.axes[4:])  # issued, completed, dropped, open


def test_coverage_has_a_panel_per_measure_set_and_a_bar_per_model_and_class(batch):
    _, runs, _ = batch
    fig = coverage_by_size_class(runs)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(bars(ax)) == 2 * 3
        assert len(ax.get_xticklabels()) == 3
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["baseline (today)", "model2 (national programme)"]


def test_sweep_response_one_factor_at_a_time_uses_only_its_own_points(oat):
    table, note = sweep_data(oat, "turnover_rate")
    assert "base values" in note
    assert sorted(table["turnover_rate"].unique()) == [0.05, 0.12, 0.3]  # the base point and its two values
    assert (table["n"] == 2).all()  # the climb_threshold point is left out
    fig = sweep_response(oat, "turnover_rate")
    assert len(fig.axes) == 6
    for ax in fig.axes:
        assert len(ax.get_lines()) == len(STRUCTURES) + 1  # a line per model + the default marker
        assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == len(STRUCTURES)
        assert "turnover_rate" in ax.get_xlabel() or not ax.get_xlabel()
    few = sweep_response(oat, "climb_threshold", criteria=CRITERIA[:2])
    assert len(few.axes) == 2


def test_sweep_response_bins_a_continuous_design(lhs):
    table, note = sweep_data(lhs, "turnover_rate", bins=5)
    assert "binned" in note
    assert table.groupby("structure")["turnover_rate"].nunique().tolist() == [5, 5]
    fig = sweep_response(lhs, "erosion_hazard")
    assert all(len(ax.get_lines()[0].get_xdata()) == 8 for ax in fig.axes)
    with pytest.raises(ValueError, match="not a parameter varied"):
        sweep_response(lhs, "knowledge_build")


def test_measure_effects_is_a_forest_of_differences(batch):
    _, runs, _ = batch
    table = measure_differences(runs)
    assert len(table) == 2 * 1 * len(CRITERIA)  # 2 models x 1 measure set x 6 criteria
    row = table[(table["structure"] == "model2") & (table["criterion"] == "local_support")].iloc[0]
    by = runs[runs["structure"] == "model2"].groupby("measures")["local_support"].mean()
    assert row["difference"] == pytest.approx(by["outreach"] - by[""])
    assert row["ci95_low"] <= row["difference"] <= row["ci95_high"]
    fig = measure_effects(runs)
    assert len(fig.axes) == 6
    assert all(len(ax.containers) == 2 for ax in fig.axes)  # one errorbar series per model
    with pytest.raises(ValueError, match="without measures"):
        measure_effects(runs[runs["measures"] == ""])


def test_sensitivity_indices_morris_and_sobol_per_criterion(sensitivity):
    fig = sensitivity_indices(sensitivity)
    assert len(fig.axes) == len(CRITERIA) * 2
    morris, sobol = fig.axes[0], fig.axes[1]
    assert "Morris" in morris.get_title(loc="left") and "Sobol'" in sobol.get_title(loc="left")
    assert len(bars(morris)) == 2  # mu* for two parameters, one structure
    assert len(bars(sobol)) == 2  # ST for two parameters (hatched where not converged, as all are with 4 samples)
    assert all(b.get_hatch() == "////" for b in bars(sobol))
    assert len(sobol.lines) >= 2 and sobol.get_xlim() == (-0.05, 1.05)  # S1 as dots; nothing drawn off the axis
    assert [t.get_text() for t in morris.get_yticklabels()] == ["turnover_rate", "climb_threshold"]
    only_sobol = sensitivity_indices(sensitivity[sensitivity["method"] == "sobol"])
    assert len(only_sobol.axes) == len(CRITERIA)


def test_save_batch_figures_writes_what_the_data_supports(batch, oat, tmp_path):
    folder, runs, _ = batch
    names = sorted(p.name for p in save_batch_figures(folder, runs))
    assert names == ["assignments.png", "coverage.png", "criteria.png", "measures.png", "staircase.png"]
    for name in names:
        assert (folder / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sweeps = sorted(p.name for p in save_batch_figures(tmp_path, oat))  # no steps here: no staircase
    assert sweeps == ["assignments.png", "coverage.png", "criteria.png", "sweep_climb_threshold.png",
                      "sweep_turnover_rate.png"]
    assert not plt.get_fignums()  # the figures never entered pyplot's global list


@pytest.mark.parametrize("names", [
    ["baseline", "model1", "model2", "model3", "model3_with_mandate"],  # five: the case
    [f"declared_model_{k} [issuer=kubu, joint_letters=True]" for k in range(12)],  # many, long
])
def test_criteria_labels_never_overlap_whatever_the_number_of_structures(names):
    rng = np.random.default_rng(1)
    runs = pd.DataFrame([{"run_id": f"{s}-{r}", "structure": s, "measures": "", "point": 0, "replication": r,
                          **{c: rng.uniform(0.2, 0.8) for c in CRITERIA}} for s in names for r in range(3)])
    fig = criteria_by_model(runs)
    fig.canvas.draw()
    for ax in fig.axes:
        labels = ax.get_xticklabels()
        assert [t.get_text().split("\n")[0].split(":")[0] for t in labels] == names
        boxes = [t.get_window_extent() for t in labels]
        angle = labels[0].get_rotation()
        for left, right, text in zip(boxes, boxes[1:], labels, strict=False):
            if angle == 0:
                assert left.x1 <= right.x0, (left, right)  # side by side, apart
            else:  # parallel turned lines: their distance across the text must exceed a line's height
                line = text.get_fontsize() * fig.dpi / 72 * 1.2 * len(text.get_text().splitlines())
                assert (right.x1 - left.x1) * np.sin(np.radians(angle)) >= line
