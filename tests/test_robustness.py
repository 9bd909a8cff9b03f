"""Robustness of the model comparison: shares of design points, and PRIM boxes where rankings flip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import CRITERIA
from sim.analysis.robustness import discover, ordering_shares, robustness_report, verdict_shares
from sim.cli import main
from sim.experiments.batch import run_batch
from sim.experiments.intervals import welch_interval
from sim.experiments.orderings import MODELS, report_orderings, verdicts
from sim.experiments.scenario import load_scenario

RANGES = {"weak_priority": (0.1, 0.6), "climb_threshold": (1.5, 6.0)}
SCENARIO = """
name = "tiny-uncertainty"
structures = ["model1", "model2", "model3"]
weeks = 104
replications = 3
seed = 5

[design]
kind = "lhs"
samples = 8
seed = 2
ranges.weak_priority = [0.1, 0.6]
ranges.climb_threshold = [1.5, 6.0]
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[pd.DataFrame, object]:
    """A tiny LHS batch: 3 models x 8 design points x 3 replications, 104 weeks."""
    root = tmp_path_factory.mktemp("robustness")
    path = root / "tiny.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    runs = run_batch(load_scenario(path), out=root / "out", workers=2)
    return runs, root / "out"


def test_one_row_per_cell_and_ordering_and_every_share_a_fraction(batch):
    runs, _ = batch
    cells, orders = verdict_shares(runs), ordering_shares(runs)
    assert len(cells) == len(MODELS) * len(CRITERIA) and len(orders) == len(report_orderings())
    assert (cells["points"] == 8).all() and (orders["points"] == 8).all()
    for table, columns in ((cells, ["agree_share", "weak_share", "medium_share", "strong_share"]),
                           (orders, ["reproduced_share", "direction_share", "flip_share"])):
        assert table[columns].apply(lambda s: s.between(0, 1)).all().all()
    np.testing.assert_allclose(cells[["weak_share", "medium_share", "strong_share"]].sum(axis=1), 1.0)
    assert (orders["reproduced_share"] <= orders["direction_share"]).all()  # reproduced implies the direction
    assert (orders["direction_share"] + orders["flip_share"] <= 1).all()


def test_shares_equal_a_count_by_hand(batch):
    runs, _ = batch
    agree, reproduced, direction = [], [], []
    for _, group in runs.groupby("point"):
        cell = verdicts(group).set_index(["structure", "criterion"]).loc[("model2", "shared_understanding")]
        agree.append(cell["agrees"])
        low = group.loc[group["structure"] == "model3", "strategic_coordination"].to_numpy(float)
        high = group.loc[group["structure"] == "model1", "strategic_coordination"].to_numpy(float)
        diff, lo, _ = welch_interval(low, high)
        reproduced.append(lo > 0)
        direction.append(diff > 0)
    cells = verdict_shares(runs).set_index(["structure", "criterion"])
    assert cells.at[("model2", "shared_understanding"), "agree_share"] == pytest.approx(np.mean(agree))
    orders = ordering_shares(runs).set_index(["criterion", "lower", "higher"])
    row = orders.loc[("strategic_coordination", "model3", "model1")]
    assert row["reproduced_share"] == pytest.approx(np.mean(reproduced))
    assert row["direction_share"] == pytest.approx(np.mean(direction))


def test_points_with_too_few_runs_are_left_out(batch):
    runs, _ = batch
    thinned = runs[~((runs["point"] == 0) & (runs["structure"] == "model1") & (runs["replication"] > 0))]
    assert (verdict_shares(thinned)["points"] == 7).all() and (ordering_shares(thinned)["points"] == 7).all()


def test_prim_boxes_on_the_batch_lie_within_the_design(batch):
    runs, _ = batch
    pairs = [(r.criterion, r.lower, r.higher) for r in report_orderings().itertuples(index=False)]
    # a probe criterion known to flip where weak_priority > 0.35, so PRIM certainly runs on the design
    probe = runs.assign(probe=np.where(runs["structure"] == "model1", runs["weak_priority"], 0.35))
    for criterion, lower, higher in [*pairs, ("strategic_coordination", "model2", "model1"),
                                     ("probe", "model1", "model2")]:
        found = discover(probe, criterion, lower, higher)
        assert found.points == 8 and 0 <= found.flips <= 8 and found.note
        for value in (found.coverage, found.density, found.mass):
            assert np.isnan(value) or 0 <= value <= 1
        for r in found.limits.itertuples(index=False):
            low, high = RANGES[r.parameter]
            assert low <= r.min <= r.max <= high
    found = discover(probe, "probe", "model1", "model2")
    limits = found.limits.set_index("parameter")
    assert 0 < found.flips < 8 and found.coverage == 1.0 and found.density >= 0.8
    # cut from below, not above (with 8 points PRIM may also cut climb_threshold: its quasi-p says so)
    assert limits.at["weak_priority", "min"] > limits.at["weak_priority", "span_min"]
    assert limits.at["weak_priority", "max"] == limits.at["weak_priority", "span_max"]


def _synthetic(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Runs-shaped data: model1 beats model2 exactly where parameter ``a`` (here weak_priority) > 0.5."""
    rng = np.random.default_rng(seed)
    a, b = rng.random(n), rng.random(n)
    rows = []
    for point in range(n):
        for model, value in (("model1", 1.0 if a[point] > 0.5 else 0.0), ("model2", 0.5)):
            for replication in range(2):
                rows.append({"structure": model, "measures": "", "point": point, "replication": replication,
                             "weak_priority": a[point], "climb_threshold": b[point],
                             "local_support": value + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_prim_finds_the_known_region():
    data = _synthetic()
    found = discover(data, "local_support", lower="model1", higher="model2")
    limits = found.limits.set_index("parameter")
    assert list(limits.index) == ["weak_priority"]  # b is irrelevant and left unrestricted
    # PRIM peels 5 % of the points at a time, so the cut lands near, not exactly on, 0.5
    assert limits.at["weak_priority", "min"] == pytest.approx(0.5, abs=0.03)
    assert limits.at["weak_priority", "max"] == limits.at["weak_priority", "span_max"]
    assert found.coverage == 1.0 and found.density >= 0.9
    assert found.points == 200 and found.flips == (data.groupby("point")["weak_priority"].first() > 0.5).sum()
    # the installed ema_workbench's quasi-p-values (2.5 and 3.0 keep them differently): the cut is no chance,
    # and the side left open has none
    assert limits.at["weak_priority", "qp_min"] < 1e-6 and np.isnan(limits.at["weak_priority", "qp_max"])


def test_no_flip_and_every_flip_are_reported_not_raised():
    data = _synthetic(40)
    none = discover(data.assign(local_support=np.where(data["structure"] == "model2", 2.0, 0.0)),
                    "local_support", "model1", "model2")
    assert none.flips == 0 and none.limits.empty and "no design point flips" in none.note
    every = discover(data.assign(local_support=np.where(data["structure"] == "model2", 0.0, 2.0)),
                     "local_support", "model1", "model2")
    assert every.flips == every.points == 40 and every.limits.empty and every.coverage == 1.0


def test_report_and_command_line(batch, capsys, tmp_path):
    _, folder = batch
    text = robustness_report(folder)
    assert text.startswith("# Robustness of the model comparison")
    assert all(f"| {c} |" in text for c in CRITERIA)
    assert "## Where a ranking flips (PRIM)" in text and "model2 above model1 (report: equal)" in text
    assert main(["robustness", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == text.strip()
    with pytest.raises(FileNotFoundError, match="runs.parquet"):
        robustness_report(tmp_path)
    runs = pd.read_parquet(folder / "runs.parquet")
    runs[runs["structure"] != "model3"].to_parquet(tmp_path / "runs.parquet")
    with pytest.raises(ValueError, match="all three models"):
        robustness_report(tmp_path)
