"""A results folder never lies: one writer, full fingerprints, verified chunks, tables rebuilt together.

In-process fault injection: a held lock, a lost manifest, changed code, damaged chunks and
parts, a NaN run, a hanging run, a killed worker, a full disk, an unexpected error.  Runs go to
forked worker processes, which inherit what a test monkeypatches (Linux only).
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.experiments.batch.fingerprint
import sim.experiments.batch.folder
import sim.experiments.batch.work
import sim.experiments.runner
from sim.experiments.batch.errors import EnvironmentFault
from sim.cli import main
from sim.experiments.batch import plan, run_batch
from sim.experiments.batch.lock import FolderLock
from sim.experiments.scenario import scenario_from_dict
from sim.simulation.metrics import METRICS

from .batch_support import TINY, flip, toml

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="workers are forked: they must inherit what a test monkeypatches")

REAL_RUN = sim.experiments.batch.work.simulate


def batch(scenario: Path, out: Path, *extra: str) -> int:
    return main(["batch", str(scenario), "--out", str(out), "--workers", "2", "--quiet", *extra])


@pytest.fixture
def done(tmp_path):
    """A finished tiny batch: (scenario file, output folder, runs.parquet bytes, steps sorted)."""
    scenario = toml(tmp_path / "tiny.toml", **TINY)
    out = tmp_path / "out"
    assert batch(scenario, out) == 0
    return scenario, out, (out / "runs.parquet").read_bytes(), sorted_steps(out)


def sorted_steps(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "steps.parquet").sort_values(["run_id", "week"]).reset_index(drop=True)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_a_second_writer_is_refused_naming_the_holder_and_changes_nothing(done, capsys):
    scenario, out, runs, _ = done
    holder = FolderLock(out)
    holder.acquire()
    try:
        assert batch(scenario, out, "--resume") == 2
    finally:
        holder.release()
    err = capsys.readouterr().err
    assert f"PID {os.getpid()}" in err and "another `sim batch`" in err and "started" in err
    assert (out / "runs.parquet").read_bytes() == runs
    assert manifest(out)["status"] == "finished" and len(manifest(out)["invocations"]) == 1


def test_a_lost_manifest_cannot_hide_runs_of_another_seed(done, tmp_path, capsys):
    scenario, out, runs, _ = done
    (out / "manifest.json").unlink()
    other = toml(tmp_path / "seed124.toml", **{**TINY, "seed": 124})
    for extra in ((), ("--resume",)):
        assert batch(other, out, *extra) == 2
        err = capsys.readouterr().err
        assert "seed: 11 -> 124" in err and "--rerun-stale" in err
    assert (out / "runs.parquet").read_bytes() == runs
    assert batch(scenario, out, "--resume") == 0  # the same scenario takes its folder back
    assert "manifest.json was missing" in capsys.readouterr().out
    assert (out / "runs.parquet").read_bytes() == runs


def test_runs_of_other_code_are_refused_and_recomputed_with_rerun_stale(done, monkeypatch, capsys):
    scenario, out, runs, steps = done
    # as after an update of the model
    monkeypatch.setattr(sim.experiments.batch.fingerprint, "code_hash", lambda: "0" * 64)
    assert batch(scenario, out, "--resume") == 2
    err = capsys.readouterr().err
    assert "code: " in err and "--resume --rerun-stale" in err
    assert (out / "runs.parquet").read_bytes() == runs
    assert batch(scenario, out, "--resume", "--rerun-stale") == 0
    printed = capsys.readouterr().out
    assert "chunks of another scenario or code removed (--rerun-stale), their 8 runs are recomputed" in printed
    assert "8 runs finished (8 new)" in printed
    index = json.loads((out / ".chunks" / "index.json").read_text())
    assert [fp["code"] for fp in index["fingerprints"].values()] == ["0" * 64]
    assert (out / "runs.parquet").read_bytes() == runs  # the code did not really change: the same results
    pd.testing.assert_frame_equal(sorted_steps(out), steps)


def test_a_chunk_with_another_fingerprint_is_refused_naming_the_field(done, capsys):
    scenario, out, runs, _ = done
    path = out / ".chunks" / "index.json"
    index = json.loads(path.read_text())
    chunk = min(index["chunks"])
    key = index["chunks"][chunk]["fingerprint"]
    other = json.loads(json.dumps(index["fingerprints"][key]))
    other["scenario"]["parameters"] = {"turnover_rate": 0.3}
    index["fingerprints"]["other"] = other
    index["chunks"][chunk]["fingerprint"] = "other"
    path.write_text(json.dumps(index))
    assert batch(scenario, out, "--resume") == 2
    assert "parameters.turnover_rate: 0.3 -> (absent)" in capsys.readouterr().err
    assert (out / "runs.parquet").read_bytes() == runs


def test_tasks_compare_never_reuses_runs_of_other_code():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import tasks

    batches = [cmd for cmd in tasks.tasks()["compare"] if "batch" in cmd]
    assert len(batches) == 2  # both readings of the mandate change
    assert all("--resume" in cmd and "--rerun-stale" in cmd for cmd in batches)
    # the main report is written once both batches are there, so that it says what a change of mandate changes
    steps = [cmd[1:3] for cmd in tasks.tasks()["compare"]]
    assert steps.index(["report", "results/compare_models"]) > steps.index(
        ["batch", "scenarios/compare_models_mandate_change.toml"])


def test_another_plan_is_named_and_resuming_it_rebuilds_every_table_together(tmp_path, capsys):
    grid = {**TINY, "structures": ["baseline"], "measures": [[]],
            "design": {"kind": "grid", "values": {"turnover_rate": [0.1, 0.2]}}}
    first = toml(tmp_path / "grid.toml", **grid)
    out = tmp_path / "out"
    assert batch(first, out, "--report") == 0
    assert (out / "summary_by_point.csv").exists() and (out / "figures" / "sweep_turnover_rate.png").exists()
    other = toml(tmp_path / "other.toml", **{**TINY, "structures": ["model1"], "measures": [[]]})
    assert batch(other, out) == 2
    err = capsys.readouterr().err
    assert "already holds 4 finished runs of the scenario 'tiny'" in err
    assert "design.kind: \"grid\" -> \"none\"" in err and "structures: [\"baseline\"] -> [\"model1\"]" in err
    assert batch(other, out, "--resume") == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(runs["structure"]) == {"model1"} and len(runs) == 2
    assert set(pd.read_parquet(out / "steps.parquet")["run_id"]) == set(runs["run_id"])
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False)
    assert set(summary["structure"]) == {"model1"}
    assert not (out / "summary_by_point.csv").exists()
    assert not (out / "figures").exists() and not (out / "report.html").exists()
    assert main(["report", str(out)]) == 0
    assert not list((out / "figures").glob("sweep_*.png"))
    assert batch(first, out, "--resume") == 0  # the first plan again: its saved runs come back, nothing reruns
    assert "4 runs finished (0 new)" in capsys.readouterr().out
    assert set(pd.read_parquet(out / "steps.parquet")["run_id"]) == set(pd.read_parquet(out / "runs.parquet")["run_id"])


@pytest.mark.parametrize("damage", ["delete steps", "flip steps", "delete runs", "flip runs", "flip index"])
def test_damaged_chunks_are_refused_by_report_and_recomputed_by_resume(done, damage, capsys):
    scenario, out, runs, steps = done
    chunks = out / ".chunks"
    kind, target = damage.split()[1], sorted((out / ".chunks").glob(f"{damage.split()[1]}-*.parquet"))
    if kind == "index":
        (chunks / "index.json").write_text("{not json")
    elif damage.startswith("delete"):
        target[1].unlink()
    else:
        flip(target[1])
    assert main(["report", str(out)]) == 2
    assert "does not verify" in capsys.readouterr().err
    assert batch(scenario, out, "--resume") == 0
    printed = capsys.readouterr().out
    assert "repaired: " in printed
    assert ("was missing or unreadable" if kind == "index" else "damaged chunks removed") in printed
    assert (out / "runs.parquet").read_bytes() == runs
    pd.testing.assert_frame_equal(sorted_steps(out), steps)
    chunk_runs = sum(len(pd.read_parquet(p)) for p in chunks.glob("runs-*.parquet"))
    assert chunk_runs == 8  # the damaged chunk's runs were recomputed once, no other run twice


def test_a_changed_table_is_refused_by_report_until_resume_rebuilds_it(done, capsys):
    scenario, out, _, _ = done
    flip(min((out / "steps.parquet").glob("part-*.parquet")))  # a hard link: the chunk's file flips too
    (out / "summary.csv").write_text("structure,measures\n")
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "summary.csv differs from its checksum" in err and "--resume" in err
    assert batch(scenario, out, "--resume") == 0
    assert main(["report", str(out)]) == 0


def test_files_a_kill_leaves_behind_are_removed_and_said(done, capsys):
    scenario, out, runs, _ = done
    chunks = out / ".chunks"
    orphan = min(chunks.glob("runs-*.parquet"))
    (chunks / "runs-1-1.parquet").write_bytes(orphan.read_bytes())  # saved, but never committed
    for tmp in (out / ".runs.parquet.999.tmp", chunks / ".steps-1-1.parquet.999.tmp"):
        tmp.write_bytes(b"half")
    assert batch(scenario, out, "--resume") == 0
    assert "1 chunk files the index does not list" in capsys.readouterr().out
    assert not list(out.rglob("*.tmp")) and not (chunks / "runs-1-1.parquet").exists()
    assert (out / "runs.parquet").read_bytes() == runs


def test_resuming_keeps_the_provenance_of_every_invocation(done, capsys):
    scenario, out, _, _ = done
    first = manifest(out)
    assert batch(scenario, out, "--resume") == 0
    assert "8 runs finished (0 new)" in capsys.readouterr().out
    second = manifest(out)
    assert second["started"] == first["started"] == first["invocations"][0]["started"]
    assert second["invocations"][0] == first["invocations"][0]
    last = second["invocations"][-1]
    assert last["runs_new"] == 0 and last["runs_saved_before"] == 8 and last["status"] == "finished"
    assert last["code"] == second["fingerprint"]["code"] and last["ended"]


def test_while_a_batch_runs_the_manifest_says_so(tmp_path, monkeypatch):
    seen = []
    real = sim.experiments.batch.folder.ResultFolder.commit

    def commit(self, outcome):
        seen.append(manifest(self.root))
        real(self, outcome)

    monkeypatch.setattr(sim.experiments.batch.folder.ResultFolder, "commit", commit)
    run_batch(scenario_from_dict(TINY), out=tmp_path, workers=2)
    assert seen and all(m["status"] == "running" and "runs_finished" not in m for m in seen)
    assert manifest(tmp_path)["status"] == "finished"


def nan_for_model2(spec, scenario, like=None):
    model, history = REAL_RUN(spec, scenario, like)
    if spec.structure == "model2":
        history[len(history) // 2, METRICS.index("shared_understanding")] = np.nan
    return model, history


def test_a_nan_run_is_a_failure_with_its_reason_and_means_stay_finite(tmp_path, monkeypatch):
    monkeypatch.setattr(sim.experiments.batch.work, "simulate", nan_for_model2)
    runs = run_batch(scenario_from_dict(TINY), out=tmp_path, workers=2)
    failures = pd.read_parquet(tmp_path / "failures.parquet")
    assert len(runs) == 4 and set(runs["structure"]) == {"baseline"}
    assert len(failures) == 4 and failures["error"].str.startswith("NonFiniteResult: shared_understanding = nan").all()
    assert np.isfinite(pd.read_csv(tmp_path / "summary.csv")["mean"]).all()


def hang_on_replication_1(spec, scenario, like=None):
    if spec.seed == HANG_SEED:
        time.sleep(10**6)
    return REAL_RUN(spec, scenario, like)


HANG_SEED = next(s.seed for s in plan(scenario_from_dict(TINY))
                 if s.structure == "model2" and s.measures == ("outreach",) and s.replication == 1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_hanging_run_is_stopped_by_the_time_limit_and_the_batch_goes_on(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(sim.experiments.batch.work, "simulate", hang_on_replication_1)
    runs = run_batch(scenario_from_dict({**TINY, "run_time_limit": 1.5}), out=tmp_path, workers=workers,
                     task_size=3)
    failures = pd.read_parquet(tmp_path / "failures.parquet")
    assert len(runs) == 7 and failures["seed"].tolist() == [HANG_SEED]
    assert failures["error"].iloc[0].startswith("RunTimeLimit: the run took longer than the limit of 1.5 s")


def test_the_time_limit_on_the_command_line_overrides_the_scenario(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.experiments.batch.work, "simulate", hang_on_replication_1)
    scenario = toml(tmp_path / "s.toml", **TINY)  # the scenario's default limit is an hour
    assert batch(scenario, tmp_path / "out", "--run-time-limit", "1") == 1
    assert "1 runs failed" in capsys.readouterr().err
    assert main(["batch", str(scenario), "--run-time-limit", "0"]) == 2


def kill_own_worker(spec, scenario, like=None):
    if spec.seed == KILL_SEED:
        os.kill(os.getpid(), signal.SIGKILL)  # what the out-of-memory killer does
    return REAL_RUN(spec, scenario, like)


KILL_SEED = next(s.seed for s in plan(scenario_from_dict(TINY))
                 if s.structure == "model2" and not s.measures and s.replication == 0)


def test_a_killed_worker_is_replaced_its_run_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(sim.experiments.batch.work, "simulate", kill_own_worker)
    runs = run_batch(scenario_from_dict(TINY), out=tmp_path, workers=2, task_size=4)
    failures = pd.read_parquet(tmp_path / "failures.parquet")
    assert len(runs) == 7 and failures["seed"].tolist() == [KILL_SEED]
    assert failures["error"].iloc[0] == ("WorkerDied: the worker process running it was killed by SIGKILL "
                                         "(the out-of-memory killer sends this)")
    monkeypatch.setattr(sim.experiments.batch.work, "simulate", REAL_RUN)
    assert len(run_batch(scenario_from_dict(TINY), out=tmp_path, workers=2, resume=True)) == 8
    assert pd.read_parquet(tmp_path / "failures.parquet").empty


def test_a_full_disk_exits_3_with_the_path_leaves_no_tmp_and_resumes(done, tmp_path, monkeypatch, capsys):
    scenario, _, runs, steps = done
    out = tmp_path / "full"
    real_open = open
    writes = []

    def filling(path, mode="r", *args, **kwargs):
        if "w" in mode and ".parquet." in Path(path).name:
            writes.append(path)
            if len(writes) > 5:  # the disk fills up after a few chunks; the small manifest still fits
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(sim.experiments.runner, "open", filling, raising=False)
    assert batch(scenario, out) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "No space left on device writing " in err and str(out) in err
    assert "runs saved; free space or fix the permissions, then continue with " in err
    assert f"--out {out} --resume`" in err
    assert not list(out.rglob("*.tmp"))
    monkeypatch.setattr(sim.experiments.runner, "open", real_open, raising=False)
    assert batch(scenario, out, "--resume") == 0
    assert (out / "runs.parquet").read_bytes() == runs
    pd.testing.assert_frame_equal(sorted_steps(out), steps)
    first, second = manifest(out)["invocations"]
    assert first["status"].startswith(f"failed: [Errno {errno.ENOSPC}] {os.strerror(errno.ENOSPC)}: '{out}")
    assert first["runs_new"] == 2 and second["status"] == "finished" and second["runs_new"] == 6


def test_a_failed_commit_ends_the_workers_before_the_error_leaves_run_batch(tmp_path, monkeypatch):
    def full(folder, outcome):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder.root / "a-chunk.parquet"))

    monkeypatch.setattr(sim.experiments.batch.folder.ResultFolder, "commit", full)
    with pytest.raises(EnvironmentFault) as failure:
        run_batch(scenario_from_dict(TINY), out=tmp_path / "out", workers=2)
    # the error is still held here, and with its traceback every frame it left, the executor's among them:
    # its workers must not wait for the collector (on Python 3.12 it had not run before exit, and exit hung)
    assert failure.value.__traceback__ is not None
    assert [p for p in multiprocessing.active_children() if p.name == "sim-worker"] == []


def test_an_unexpected_error_is_one_line_with_the_traceback_saved(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(sim.experiments.batch.folder, "write_tables", broken)
    scenario = toml(tmp_path / "s.toml", **TINY)
    assert batch(scenario, tmp_path / "out") == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sim batch: internal error: TypeError: a bug (full traceback in ")
    saved = Path(err.split("full traceback in ")[1].split(";")[0])
    assert "Traceback" in saved.read_text() and "a bug" in saved.read_text()
    saved.unlink()
    assert manifest(tmp_path / "out")["invocations"][-1]["status"] == "failed: TypeError: a bug"


def test_permission_denied_is_an_environment_fault_and_a_path_under_a_file_bad_input(tmp_path, monkeypatch, capsys):
    scenario = toml(tmp_path / "s.toml", **TINY)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root may write anywhere: refuse the write as the kernel would for anyone else
        def refuse(directory):
            raise OSError(errno.EACCES, f"output folder {str(directory)!r} cannot be written (Permission denied)")

        monkeypatch.setattr(sim.experiments.batch.folder, "check_writable", refuse)
    assert batch(scenario, locked / "out") == 3
    assert "cannot be written (Permission denied)" in capsys.readouterr().err
    monkeypatch.undo()
    (tmp_path / "file").write_text("x")
    assert batch(scenario, tmp_path / "file" / "out") == 2


def test_on_dask_a_task_that_raises_or_overruns_fails_its_runs_not_the_batch(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    import sim.experiments.batch.executors

    def flaky(task, scenario):
        if task[0].structure == "model2" and task[0].measures:
            raise MemoryError("the worker ran out of memory")
        if task[0].structure == "model2":
            time.sleep(3)  # longer than its limit: the task is cancelled (Dask cannot stop the thread)
        return sim.experiments.batch.work.execute(task, scenario)

    monkeypatch.setattr(sim.experiments.batch.executors, "execute", flaky)
    scenario = scenario_from_dict({**TINY, "run_time_limit": 0.5})
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        runs = run_batch(scenario, out=tmp_path, client=client, task_size=2)
    failures = pd.read_parquet(tmp_path / "failures.parquet").set_index("measures")["error"]
    assert len(runs) == 4 and set(runs["structure"]) == {"baseline"}
    assert (failures["outreach"] == "MemoryError: the worker ran out of memory").all()
    assert failures[""].str.startswith("RunTimeLimit: the task took longer than 0.5 s per run on Dask").all()


def test_sim_run_refuses_a_batch_folder_before_its_tables_exist(done, capsys):
    scenario, out, _, _ = done
    shutil.rmtree(out / "steps.parquet")  # as while a first batch runs: only .chunks/ says it is a batch
    assert main(["run", str(scenario), "--out", str(out)]) == 2
    assert "holds a batch" in capsys.readouterr().err
    assert (out / "runs.parquet").exists() and not (out / "steps.parquet").exists()


def test_report_refuses_a_folder_whose_tables_carry_no_checksums(done, capsys):
    _, out, _, _ = done
    old = manifest(out)
    del old["tables"]  # as an older version of sim wrote it
    (out / "manifest.json").write_text(json.dumps(old))
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "older version of sim" in err and "--resume --rerun-stale" in err
