"""A real `sim batch` process killed, signalled, run twice at once or out of disk: nothing lost, nothing mixed.

Each test starts the command line as a subprocess, acts on it at a moment it sees on disk
(polled a bounded number of times), then checks the folder and resumes it: the result must be
byte-identical to an uninterrupted batch, with no run done twice and no worker left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main

from .batch_support import TINY, committed, descendants, gone, poll, reap, sim, toml

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and process trees of Linux"),
              pytest.mark.timeout(240)]  # each waits on processes: a hang fails here, with the stack, not CI's limit

# the Python engine: slow enough (~0.1 s a run) that every moment below is seen before the batch ends
SLOW = {"name": "slow", "structures": ["baseline", "model1", "model2", "model3"], "weeks": 20, "replications": 6,
        "seed": 3, "engine": "python"}
RUNS = 24  # 8 tasks of 3 runs with 2 workers


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> tuple[Path, bytes]:
    """The scenario file and the runs.parquet of an uninterrupted batch."""
    root = tmp_path_factory.mktemp("whole")
    scenario = toml(root / "slow.toml", **SLOW)
    subprocess.run(sim("batch", scenario, "--out", root / "out", "--workers", 2, "--quiet"), check=True,
                   capture_output=True)
    return scenario, (root / "out" / "runs.parquet").read_bytes()


def start(scenario: Path, out: Path, *extra: object) -> subprocess.Popen:
    return subprocess.Popen(sim("batch", scenario, "--out", out, "--workers", 2, "--quiet", *extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def at(out: Path, moment: str, proc: subprocess.Popen) -> list[int]:
    """Wait until ``moment`` (started / first chunk / half); return the batch's worker PIDs then."""
    seen = {"started": lambda: (out / "manifest.json").exists(),
            "first chunk": lambda: committed(out) >= 1,
            "half": lambda: committed(out) >= 4}[moment]
    assert poll(seen), f"the batch never reached {moment!r}"
    assert proc.poll() is None, f"the batch ended before it could be stopped at {moment!r}"
    if moment != "started":
        assert poll(lambda: len(descendants(proc.pid)) >= 2, tries=200)
    return descendants(proc.pid)


def finished_alike(scenario: Path, out: Path, reference: bytes) -> None:
    """Resuming gives the uninterrupted batch's runs, byte for byte, with no run done twice."""
    assert main(["batch", str(scenario), "--out", str(out), "--workers", "2", "--quiet", "--resume"]) == 0
    assert (out / "runs.parquet").read_bytes() == reference
    assert sum(len(pd.read_parquet(p)) for p in (out / ".chunks").glob("runs-*.parquet")) == RUNS
    assert len(pd.read_parquet(out / "steps.parquet")) == RUNS * (SLOW["weeks"] + 1)


@pytest.mark.parametrize("moment", ["started", "first chunk", "half"])
def test_sigkill_at_any_moment_leaves_no_worker_and_resumes_to_the_same_runs(whole, tmp_path, moment, capsys):
    scenario, reference = whole
    out = tmp_path / "out"
    proc = start(scenario, out)
    workers = at(out, moment, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert poll(lambda: gone(workers), tries=100), "workers outlived their killed parent"
    assert proc.stdout.read() == ""  # returns at once: no worker holds the caller's stdout open
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"  # it never finished
    assert main(["report", str(out)]) == 2
    assert "has not finished" in capsys.readouterr().err
    finished_alike(scenario, out, reference)


@pytest.mark.parametrize(("name", "group"), [("SIGINT", True), ("SIGTERM", False), ("SIGTERM", True)])
def test_sigint_and_sigterm_save_what_finished_say_how_to_continue_and_exit_128_plus_n(whole, tmp_path, name, group):
    scenario, reference = whole
    out = tmp_path / "out"
    proc = start(scenario, out)
    workers = at(out, "first chunk", proc)
    signum = getattr(signal, name)
    (os.killpg if group else os.kill)(proc.pid, signum)  # the group: as a Ctrl-C in a terminal or `timeout` does
    _, stderr = proc.communicate()
    assert proc.returncode == 128 + signum
    assert poll(lambda: gone(workers), tries=100)
    saved = sum(len(pd.read_parquet(p)) for p in (out / ".chunks").glob("runs-*.parquet"))
    assert stderr == (f"sim batch: stopped by {name}: {saved} of {RUNS} runs saved; continue with "
                      f"`sim batch {scenario} --out {out} --resume`\n")
    assert 1 <= saved < RUNS and not (out / "failures.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert manifest["invocations"][-1]["status"] == f"interrupted by {name}"
    finished_alike(scenario, out, reference)


def test_a_killed_extension_never_leaves_the_manifest_saying_finished(whole, tmp_path, capsys):
    scenario, reference = whole
    out = tmp_path / "out"
    few = toml(tmp_path / "few.toml", **{**SLOW, "replications": 1})
    assert main(["batch", str(few), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    before = (out / "runs.parquet").read_bytes()
    proc = start(scenario, out, "--resume")
    workers = at(out, "first chunk", proc)
    proc.kill()
    proc.wait()
    assert poll(lambda: gone(workers), tries=100)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running" and "runs_finished" not in manifest
    assert (out / "runs.parquet").read_bytes() == before  # the tables still describe the first batch, together
    capsys.readouterr()
    assert main(["report", str(out)]) == 2
    assert ("has not finished (manifest status 'running': its last invocation was killed while it ran)"
            in capsys.readouterr().err)
    finished_alike(scenario, out, reference)


def test_two_writers_at_once_the_second_is_refused_naming_the_first(whole, tmp_path, capsys):
    scenario, reference = whole
    out = tmp_path / "out"
    first = start(scenario, out)
    at(out, "started", first)
    # the second writer starts in this process: it reaches the lock in milliseconds, long before the first ends
    assert main(["batch", str(scenario), "--out", str(out), "--workers", "2", "--quiet", "--resume"]) == 2
    assert f"is being written by another `sim batch` (PID {first.pid} on " in capsys.readouterr().err
    assert first.wait() == 0
    assert (out / "runs.parquet").read_bytes() == reference
    assert len(pd.read_parquet(out / "steps.parquet")) == RUNS * (SLOW["weeks"] + 1)  # every series once


def test_dask_local_workers_die_with_their_parent(whole, tmp_path):
    """Dask's own worker processes watch their parent: a `--dask local` batch needs nothing more."""
    scenario, _ = whole
    out = tmp_path / "out"
    proc = subprocess.Popen(sim("batch", scenario, "--out", out, "--dask", "local", "--workers", 1, "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    assert poll(lambda: committed(out) >= 1), "the Dask batch never committed a chunk"
    workers = descendants(proc.pid)
    assert workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert poll(lambda: gone(workers), tries=40), "Dask workers outlived their killed parent by 2 s"


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (root only); skipped where the machine does not allow mounting one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                      check=False).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_exits_3_saying_where_and_resumes_once_there_is_room(tmp_path, small_disk):
    big = {**SLOW, "name": "big", "engine": "numba", "weeks": 1000, "replications": 10}  # ~1.5 MB of results
    scenario = toml(tmp_path / "big.toml", **big)
    whole = tmp_path / "whole"
    assert main(["batch", str(scenario), "--out", str(whole), "--workers", "1", "--quiet"]) == 0
    out = small_disk / "out"
    done = subprocess.run(sim("batch", scenario, "--out", out, "--workers", 1, "--quiet"), capture_output=True,
                          text=True, check=False)
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "No space left on device writing " + str(out) in done.stderr
    assert f"then continue with `sim batch {scenario} --out {out} --resume`" in done.stderr
    assert not list(out.rglob("*.tmp"))
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    assert main(["batch", str(scenario), "--out", str(out), "--workers", "1", "--quiet", "--resume"]) == 0
    assert (out / "runs.parquet").read_bytes() == (whole / "runs.parquet").read_bytes()


SUSPENDED_EXECUTOR = """
import gc, json, multiprocessing, sys
from sim.batch import plan
from sim.batch.executors import local
from sim.batch.shutdown import Shutdown
from sim.scenario import scenario_from_dict
gc.disable()  # nothing collects the executor: only what runs at exit can end its workers
scenario = scenario_from_dict(json.loads(sys.argv[1]))
outcomes = local(([spec] for spec in plan(scenario)), scenario, 2, 600.0, Shutdown())
next(outcomes)  # both workers started; the executor stays suspended, its `finally` never runs
print(*(p.pid for p in multiprocessing.active_children() if p.name == "sim-worker"), flush=True)
"""  # ... and the interpreter exits, multiprocessing's exit handler joining every child it started


@pytest.mark.timeout(120)  # without the workers' finalizer the parent waited forever in Process.join()
def test_a_parent_exiting_with_its_executor_suspended_ends_its_workers_and_exits():
    done = subprocess.run([sys.executable, "-c", SUSPENDED_EXECUTOR, json.dumps(TINY)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    workers = [int(pid) for pid in done.stdout.split()]
    assert len(workers) == 2 and poll(lambda: gone(workers), tries=40)


HANGING_BATCH = """
import sys, time
import sim.experiments.batch.work as work
real = work.simulate
def hang(spec, scenario, like=None):
    if spec.structure == "model2" and spec.measures:
        time.sleep(10**6)  # a run stuck for good, as in an endless loop
    return real(spec, scenario, like)
work.simulate = hang  # forked workers inherit it
from sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_workers_stuck_in_a_run_end_with_their_parent(tmp_path, signum):
    scenario = toml(tmp_path / "tiny.toml", **TINY)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", HANGING_BATCH, "batch", str(scenario), "--out", str(out),
                             "--workers", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    workers = []
    try:
        assert poll(lambda: committed(out) >= 6), "the runs that do not hang never finished"
        workers = descendants(proc.pid)
        assert len(workers) >= 2  # the workers (and multiprocessing's resource tracker)
        os.kill(proc.pid, signum)
        assert proc.wait() in (-signal.SIGKILL, 128 + signal.SIGTERM)
        assert poll(lambda: gone(workers), tries=40), "a stuck worker outlived its parent by 2 s"
        assert proc.stdout.read() == b""  # nothing holds the caller's pipes open
    finally:
        reap([proc.pid, *workers])


def test_a_reader_that_goes_away_is_no_error(tmp_path):
    scenario = toml(tmp_path / "tiny.toml", **TINY)
    proc = subprocess.Popen(sim("batch", scenario, "--out", tmp_path / "out", "--workers", 1, "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # as `sim batch ... | head -1` once head has its line
    assert proc.wait() == 128 + signal.SIGPIPE
    assert proc.stderr.read() == b""
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "finished"
