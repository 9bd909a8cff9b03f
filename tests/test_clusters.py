"""Batches on Dask clusters: workers write their own chunks, Slurm/PBS jobs through dask-jobqueue."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.experiments.batch.run
from sim.cli import main
from sim.experiments.batch import run_batch
from sim.experiments.batch.executors import workers_see
from sim.experiments.scenario import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SIM = Path(sys.executable).with_name("sim")
SMALL = {"name": "on_a_cluster", "structures": ["baseline", "model2"], "measures": [[], ["outreach"]], "weeks": 30,
         "replications": 3, "seed": 5}


def invocation(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())["invocations"][-1]


def chunk_files(folder: Path, kind: str) -> list[Path]:
    return sorted((folder / ".chunks").glob(f"{kind}-*.parquet"))


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    run_batch(scenario_from_dict(SMALL), out=out, workers=1)
    return out


def same_tables(a: Path, b: Path) -> None:
    """Byte-identical runs and summary, and the same weekly series (split into other parts), whichever backend."""
    assert (a / "runs.parquet").read_bytes() == (b / "runs.parquet").read_bytes()
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    def series(folder: Path) -> pd.DataFrame:
        return pd.read_parquet(folder / "steps.parquet").sort_values(["run_id", "week"], ignore_index=True)

    pd.testing.assert_frame_equal(series(a), series(b), check_exact=True)


@pytest.mark.timeout(240)  # waits on a dask cluster: a hang fails here, with the stack
def test_dask_workers_write_their_own_chunks_and_the_tables_match_a_serial_batch(tmp_path, serial):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert workers_see(client, str(tmp_path))
        run_batch(scenario_from_dict(SMALL), out=tmp_path, client=client, task_size=4)
    assert invocation(tmp_path)["results_written_by"] == "dask workers"
    assert len(chunk_files(tmp_path, "runs")) == 3  # 12 runs in tasks of 4: one chunk per task, not one per run
    assert not list(tmp_path.glob(".chunks/.probe-*"))
    same_tables(serial, tmp_path)


@pytest.mark.timeout(240)  # waits on a dask cluster: a hang fails here, with the stack
def test_workers_that_cannot_see_the_folder_send_their_results_instead(tmp_path, serial, monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.setattr(sim.experiments.batch.run, "workers_see", lambda client, directory: False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        run_batch(scenario_from_dict(SMALL), out=tmp_path, client=client, task_size=4)
    assert invocation(tmp_path)["results_written_by"] == "this process"
    same_tables(serial, tmp_path)


def test_a_worker_that_reads_another_token_or_none_does_not_see_the_folder(tmp_path):
    class Client:  # a worker on another machine, with a folder of the same name, or none
        def __init__(self, answer):
            self.answer = answer

        def run(self, function, path):
            return {"tcp://node-1:1234": self.answer, "tcp://node-2:1234": function(path)}

    assert not workers_see(Client("another token"), str(tmp_path))
    assert not workers_see(Client(None), str(tmp_path))
    assert not list(tmp_path.iterdir())  # the probe is removed either way


def scenario_file(tmp_path: Path, cluster: str = "") -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text('name = "on_a_cluster"\nstructures = ["baseline", "model2"]\nweeks = 30\nreplications = 2\n'
                    f'seed = 5\n{cluster}', encoding="utf-8")
    return path


def test_the_slurm_job_script_takes_the_options_over_the_scenarios_cluster_table(tmp_path, capsys):
    scenario = scenario_file(tmp_path, '[cluster]\ncores = 8\nmemory = "16GB"\nwalltime = "04:00:00"\n'
                                       'queue = "normal"\naccount = "nn1234k"\n')
    assert main(["batch", str(scenario), "--dask", "slurm", "--walltime", "1-00:00:00", "--job-script"]) == 0
    script = capsys.readouterr().out
    for line in ("#SBATCH -p normal", "#SBATCH -A nn1234k", "#SBATCH --cpus-per-task=8", "#SBATCH --mem=15G",
                 "#SBATCH -t 1-00:00:00"):
        assert line in script
    assert f"{sys.executable} -m distributed.cli.dask_worker" in script  # the nodes run this environment
    assert "--nthreads 1" in script and "--nworkers 8" in script  # one single-threaded worker per core
    assert not (tmp_path / "results").exists()  # nothing submitted, nothing run


def test_the_pbs_job_script(tmp_path, capsys):
    assert main(["batch", str(scenario_file(tmp_path)), "--dask", "pbs", "--cores", "4", "--memory", "8GB",
                 "--queue", "workq", "--account", "proj", "--job-script"]) == 0
    script = capsys.readouterr().out
    for line in ("#PBS -q workq", "#PBS -A proj", "#PBS -l select=1:ncpus=4:mem=", "#PBS -l walltime=01:00:00"):
        assert line in script
    assert "--nworkers 4" in script


@pytest.mark.parametrize(("options", "says"), [
    (["--dask", "slurm", "--walltime", "2h"], "--walltime '2h': String should match pattern"),
    (["--dask", "pbs", "--cores", "0"], "--cores 0: Input should be greater than or equal to 1"),
    (["--dask", "local"], "--job-script shows the job script of --dask slurm or pbs"),
])
def test_bad_cluster_options_are_refused_before_anything_runs(tmp_path, capsys, options, says):
    assert main(["batch", str(scenario_file(tmp_path)), *options, "--job-script"]) == 2
    assert says in capsys.readouterr().err


def test_a_bad_cluster_table_names_file_and_field(tmp_path, capsys):
    assert main(["batch", str(scenario_file(tmp_path, '[cluster]\nmemory = "lots"\n')), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "scenario.toml" in err and "cluster.memory" in err


FAKE_SBATCH = """#!/usr/bin/env bash
# sbatch for the tests: run the job script on this machine, in its own session, and say its job id
set -e
n=1001
until mkdir "$FAKE_QUEUE/$n.id" 2>/dev/null; do n=$((n + 1)); done  # jobs are submitted concurrently
cp "$1" "$FAKE_QUEUE/$n.sh"
setsid bash "$FAKE_QUEUE/$n.sh" > "$FAKE_QUEUE/$n.log" 2>&1 < /dev/null &
echo $! > "$FAKE_QUEUE/$n.pid"
echo "Submitted batch job $n"
"""
FAKE_SCANCEL = """#!/usr/bin/env bash
# scancel for the tests: end each job's process group
for n in "$@"; do kill -TERM -- -"$(cat "$FAKE_QUEUE/$n.pid")" 2>/dev/null || true; echo "$n" >> "$FAKE_QUEUE/cancelled"; done
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(240)  # waits on jobs of a fake Slurm: a hang fails here, with the stack
def test_sim_batch_on_slurm_submits_jobs_whose_workers_write_the_batch_then_cancels_them(tmp_path, serial):
    """The whole path through a queue system: sbatch and scancel are fakes that run the job script here."""
    bin_dir, queue = tmp_path / "bin", tmp_path / "queue"
    bin_dir.mkdir()
    queue.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("scancel", FAKE_SCANCEL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(stat.S_IRWXU)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in SMALL.items()), encoding="utf-8")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_QUEUE": str(queue)}
    out = tmp_path / "out"
    done = subprocess.run([str(SIM), "batch", str(scenario), "--out", str(out), "--quiet", "--dask", "slurm",
                           "--jobs", "2", "--cores", "1", "--memory", "2GB"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "submitted 2 slurm job(s) of 1 core(s)" in done.stderr
    assert sorted(p.name for p in queue.glob("*.sh")) == ["1001.sh", "1002.sh"]
    assert "#SBATCH --mem=2G" in (queue / "1001.sh").read_text()
    assert sorted((queue / "cancelled").read_text().split()) == ["1001", "1002"]  # the batch ended its jobs
    assert invocation(out)["results_written_by"] == "dask workers"
    same_tables(serial, out)
    pids = [int(p.read_text()) for p in queue.glob("*.pid")]
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(alive(pid) for pid in pids), "a job's workers outlived the batch"
