"""Scenario batches: backends agree, kills resume, batches never mix, failures stay isolated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim import CRITERIA, METRICS
from sim.cli import main
from sim.experiments.batch import plan, run_batch
from sim.experiments.designs import design_points
from sim.experiments.scenario import Design, load_scenario, scenario_from_dict
from sim.simulation.metrics import BUDGET, RECORDED

ROOT = Path(__file__).resolve().parents[1]


def small(**overrides):
    data = {"name": "small", "structures": ["baseline", "model2"], "measures": [[], ["outreach"]], "weeks": 40,
            "replications": 3, "seed": 11}
    data.update(overrides)
    return scenario_from_dict(data)


@pytest.mark.timeout(240)  # waits on processes and a dask cluster: a hang fails here, with the stack
def test_serial_processes_and_dask_give_identical_runs(tmp_path):
    from distributed import Client, LocalCluster

    scenario = small()
    serial = run_batch(scenario, out=tmp_path / "serial", workers=1)
    pool = run_batch(scenario, out=tmp_path / "pool", workers=2, task_size=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = run_batch(scenario, out=tmp_path / "dask", client=client, task_size=2)
    assert len(serial) == 12
    for other in (pool, dask):
        pd.testing.assert_frame_equal(serial, other, check_exact=True)
    for folder in ("pool", "dask"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "serial" / "runs.parquet"),
                                      pd.read_parquet(tmp_path / folder / "runs.parquet"), check_exact=True)


def test_output_files_and_their_content(tmp_path):
    runs = run_batch(small(), out=tmp_path, workers=1)
    assert list(runs.columns[:6]) == ["run_id", "structure", "measures", "point", "replication", "seed"]
    assert set(METRICS) <= set(runs.columns)
    assert runs["run_id"].is_unique and runs["seed"].is_unique
    steps = pd.read_parquet(tmp_path / "steps.parquet")
    assert len(steps) == 12 * 41 and set(steps["run_id"]) == set(runs["run_id"])
    assert len(list((tmp_path / "steps.parquet").glob("part-*.parquet"))) >= 1  # partitioned on disk
    summary = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert {"structure", "measures", "outcome", "n", "mean", "std", "ci95_low", "ci95_high"} <= set(summary.columns)
    recorded = [name for name in RECORDED if name in runs]  # the metrics and the measures' budget (no horizon in 40 weeks)
    assert recorded == [*METRICS, BUDGET]
    assert len(summary) == 4 * len(recorded) and (summary["n"] == 3).all()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["runs_finished"] == 12 and manifest["runs_failed"] == 0
    assert {"scenario_sha256", "versions", "started", "finished"} <= set(manifest)
    assert "seeds" not in manifest  # each run's seed is in its table, so the manifest stays small
    assert manifest["versions"]["mesa"] and manifest["versions"]["numba"]


def test_adding_runs_never_changes_existing_ids_or_seeds():
    few = plan(small(replications=2))
    more = plan(small(replications=4, structures=["model3", "baseline", "model2"]))
    by_id = {s.run_id: s.seed for s in more}
    assert all(by_id[s.run_id] == s.seed for s in few)


def test_extending_a_finished_batch_reuses_every_finished_run(tmp_path):
    first = run_batch(small(replications=2), out=tmp_path, workers=1)
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / ".chunks").glob("runs-*")}
    second = run_batch(small(replications=4), out=tmp_path, workers=1, resume=True)
    assert len(second) == 16
    pd.testing.assert_frame_equal(second[second["replication"] < 2].reset_index(drop=True), first, check_exact=True)
    assert all(p.stat().st_mtime_ns == t for p, t in stamp.items())  # earlier chunks untouched


@pytest.mark.timeout(240)  # waits on a `sim batch` process, killed: a hang fails here, with the stack
def test_a_killed_batch_resumes_to_the_same_runs(tmp_path):
    scenario = tmp_path / "kill.toml"
    scenario.write_text('name = "kill"\nstructures = ["baseline", "model1", "model2", "model3"]\nweeks = 260\n'
                        'replications = 10\nseed = 3\n')
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim.cli", "batch", str(scenario), "--workers", "1", "--quiet"]
    assert subprocess.run([*cmd, "--out", str(whole)], check=False).returncode == 0
    proc = subprocess.Popen([*cmd, "--out", str(killed)])
    for _ in range(2400):  # poll (at most ~2 minutes) until the first chunk is committed
        if list((killed / ".chunks").glob("runs-*.parquet")):
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {p.name for p in (killed / ".chunks").glob("runs-*.parquet")}
    assert done_before and not (killed / "runs.parquet").exists()
    assert subprocess.run([*cmd, "--out", str(killed), "--resume"], check=False).returncode == 0
    pd.testing.assert_frame_equal(pd.read_parquet(whole / "runs.parquet"), pd.read_parquet(killed / "runs.parquet"),
                                  check_exact=True)
    chunks = [pd.read_parquet(p) for p in (killed / ".chunks").glob("runs-*.parquet")]
    assert sum(len(c) for c in chunks) == 40  # nothing was run twice
    assert len(pd.read_parquet(killed / "steps.parquet")) == 40 * 261


def test_refuses_to_mix_different_scenarios_or_rerun_without_resume(tmp_path, capsys):
    a = tmp_path / "a.toml"
    a.write_text('name = "a"\nstructures = ["baseline"]\nweeks = 10\nreplications = 2\n')
    b = tmp_path / "b.toml"
    b.write_text('name = "b"\nstructures = ["baseline"]\nweeks = 12\nreplications = 2\n')
    out = tmp_path / "out"
    assert main(["batch", str(a), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    before = (out / "runs.parquet").read_bytes()
    assert main(["batch", str(b), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert "another scenario" in capsys.readouterr().err
    assert main(["batch", str(a), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "runs.parquet").read_bytes() == before


def test_a_failing_run_is_recorded_and_retried_on_resume(tmp_path, monkeypatch):
    import sim.experiments.batch.work

    real = sim.experiments.batch.work.simulate

    def flaky(spec, scenario, like=None):
        if spec.structure == "model2" and spec.measures == ("outreach",):
            raise RuntimeError("simulated failure")
        return real(spec, scenario, like)

    monkeypatch.setattr(sim.experiments.batch.work, "simulate", flaky)
    runs = run_batch(small(), out=tmp_path, workers=1)
    failures = pd.read_parquet(tmp_path / "failures.parquet")
    assert len(runs) == 9 and len(failures) == 3
    assert {"run_id", "status", "error", "traceback"} <= set(failures.columns)
    assert failures["error"].str.contains("simulated failure").all()
    assert json.loads((tmp_path / "manifest.json").read_text())["runs_failed"] == 3
    monkeypatch.setattr(sim.experiments.batch.work, "simulate", real)
    runs = run_batch(small(), out=tmp_path, workers=1, resume=True)
    assert len(runs) == 12 and len(pd.read_parquet(tmp_path / "failures.parquet")) == 0


def test_cli_exit_status_reports_failed_runs(tmp_path, monkeypatch, capsys):
    import sim.experiments.batch.work

    monkeypatch.setattr(sim.experiments.batch.work, "simulate", lambda *a, **k: 1 / 0)
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nstructures = ["baseline"]\nweeks = 5\nreplications = 2\n')
    assert main(["batch", str(scenario), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"]) == 1
    assert "2 runs failed" in capsys.readouterr().err


def test_adaptive_replication_stops_for_a_recorded_reason(tmp_path):
    rule = {"until_ci_half_width": 0.02, "min": 4, "max": 10, "batch": 3}
    runs = run_batch(small(replications=rule, measures=[[]]), out=tmp_path, workers=1)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    stops = manifest["adaptive_stops"]
    assert set(stops) == {"baseline||0", "model2||0"}
    assert all(v.startswith(("ci_reached", "max_reached")) for v in stops.values())
    counts = runs.groupby("structure").size()
    assert ((counts >= 4) & (counts <= 10)).all()
    for structure, count in counts.items():
        if stops[f"{structure}||0"].startswith("max_reached"):
            assert count == 10
    assert set(CRITERIA) <= set(runs.columns)


@pytest.mark.parametrize(("design", "count"), [
    (Design(), 1),
    (Design(kind="grid", values={"turnover_rate": [0.1, 0.2], "interpretation_level": [0, 1, 2]}), 6),
    (Design(kind="oat", values={"turnover_rate": [0.1, 0.2], "interpretation_level": [0, 1, 2]}), 6),
    (Design(kind="lhs", ranges={"turnover_rate": [0.0, 0.5], "erosion_hazard": [0.01, 0.1]}, samples=7), 7),
    (Design(kind="sobol", ranges={"turnover_rate": [0.0, 0.5], "erosion_hazard": [0.01, 0.1]}, samples=8), 32),
    (Design(kind="morris", ranges={"turnover_rate": [0.0, 0.5], "erosion_hazard": [0.01, 0.1]}, samples=5), 15),
])
def test_designs_give_the_expected_points(design, count):
    points = design_points(design)
    assert len(points) == count
    for point in points:
        for name, value in point.items():
            if name in design.ranges:
                low, high = design.ranges[name]
                assert low <= value <= high
    assert design_points(design) == points  # deterministic


def test_varied_parameters_are_columns_with_effective_values(tmp_path):
    scenario = small(structures=["baseline"], measures=[[]], replications=1,
                     parameters={"turnover_rate": 0.2},
                     design={"kind": "oat", "values": {"turnover_rate": [0.1], "erosion_hazard": [0.2]}})
    runs = run_batch(scenario, out=tmp_path, workers=1)
    assert runs[["turnover_rate", "erosion_hazard"]].values.tolist() == [[0.2, 0.05], [0.1, 0.05], [0.2, 0.2]]
    assert (tmp_path / "summary_by_point.csv").exists()


@pytest.mark.parametrize(("csv", "words"), [
    ("nummer,name,county,population\n301,Oslo,3,700000\n", ["bad.csv", "number"]),
    ("number,name,county,population\n301,Oslo,3,700000\n301,Oslo2,3,1000\n", ["bad.csv", "number", "301"]),
    ("number,name,county,population\n301,Oslo,3,-5\n", ["bad.csv", "population"]),
])
def test_bad_municipality_csv_is_refused_before_anything_is_written(tmp_path, capsys, csv, words):
    (tmp_path / "bad.csv").write_text(csv)
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nstructures = ["baseline"]\nweeks = 5\nmunicipalities = "bad.csv"\n')
    out = tmp_path / "out"
    assert main(["batch", str(scenario), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err
    assert not out.exists()


def test_bad_batch_options_exit_2(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nstructures = ["baseline"]\nweeks = 5\n')
    assert main(["batch", str(scenario), "--workers", "0"]) == 2
    blocker = tmp_path / "f"
    blocker.write_text("x")
    assert main(["batch", str(scenario), "--out", str(blocker / "o"), "--quiet"]) == 2
    assert "cannot be written" in capsys.readouterr().err


def test_every_shipped_scenario_is_valid():
    import tomllib

    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        if set(tomllib.loads(path.read_text())) <= {"models", "measures"}:
            continue  # a structure file (programme_0_24.toml), read by the scenarios that name it
        assert plan(load_scenario(path)), path


def test_sensitivity_writes_morris_and_sobol_indices(tmp_path):
    from sim.experiments.sensitivity import run_sensitivity

    scenario = scenario_from_dict({
        "name": "sens", "structures": ["model1"], "weeks": 60, "replications": 1, "seed": 1,
        "design": {"kind": "sobol", "samples": 4, "ranges": {"turnover_rate": [0.0, 0.5],
                                                             "weak_priority": [0.1, 0.9]}}})
    table = run_sensitivity(scenario, out=tmp_path, workers=1)
    assert set(table["method"]) == {"morris", "sobol"}
    assert set(table["criterion"]) == set(CRITERIA)
    assert set(table["parameter"]) == {"turnover_rate", "weak_priority"}
    on_disk = pd.read_csv(tmp_path / "sensitivity.csv")
    assert len(on_disk) == len(table) == 2 * 6 * 2


def test_extending_a_grid_renumbers_points_without_rerunning(tmp_path):
    grid = {"kind": "grid", "values": {"turnover_rate": [0.1, 0.2]}}
    run_batch(small(structures=["baseline"], measures=[[]], replications=1, design=grid), out=tmp_path, workers=1)
    wider = {"kind": "grid", "values": {"turnover_rate": [0.05, 0.1, 0.2]}}
    runs = run_batch(small(structures=["baseline"], measures=[[]], replications=1, design=wider), out=tmp_path,
                     workers=1, resume=True)
    assert runs[["point", "turnover_rate"]].values.tolist() == [[0, 0.05], [1, 0.1], [2, 0.2]]


def test_adaptive_batch_whose_runs_all_fail_records_why_it_stopped(tmp_path, monkeypatch):
    import sim.experiments.batch.work

    monkeypatch.setattr(sim.experiments.batch.work, "simulate", lambda *a, **k: 1 / 0)
    rule = {"until_ci_half_width": 0.02, "min": 2, "max": 4}
    run_batch(small(replications=rule, structures=["baseline"], measures=[[]]), out=tmp_path, workers=1)
    stops = json.loads((tmp_path / "manifest.json").read_text())["adaptive_stops"]
    assert stops["baseline||0"].startswith("too_few_finished")


def test_sim_run_and_sim_batch_refuse_each_others_folders(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nstructures = ["baseline"]\nweeks = 3\nreplications = 2\n')
    single, batch = tmp_path / "single", tmp_path / "batch"
    assert main(["run", str(scenario), "--out", str(single)]) == 0
    assert main(["batch", str(scenario), "--out", str(single), "--quiet"]) == 2
    assert "single run" in capsys.readouterr().err
    assert not (single / "manifest.json").exists()
    assert main(["batch", str(scenario), "--out", str(batch), "--workers", "1", "--quiet"]) == 0
    assert main(["run", str(scenario), "--out", str(batch)]) == 2
    assert "holds a batch" in capsys.readouterr().err
