"""Speed and memory of the simulation, measured in one run: a table and a JSON line.

    python benchmarks/run.py            # everything (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick    # smaller sizes, same measurements (about 2 minutes)

0. profile       where a 520-week run's time goes: construction, then each submodel kernel (timed inside numba)
1. engine ratio  numba vs pure-Python engine, 520 weeks, same seed, outputs checked equal
2. start-up      first model run in a fresh process, with an empty and with a warm numba cache
3. scaling       time per week against municipalities and against weeks; fitted exponents
4. throughput    runs per second of compare_models.toml with 1 and 2 workers; parallel efficiency
5. memory        peak memory of batches of increasing size (results streamed to disk)

Targets (issue: Performance): ratio >= 100, warm start < 2 s, exponents <= 1.1,
400-run comparison < 60 s on 2 cores with efficiency >= 85 %, memory flat in runs.
Timings are never asserted in tests; this script is where they live.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from submodels import profile  # noqa: E402  (benchmarks/, on sys.path as this script's folder)

from sim import CoordinationModel  # noqa: E402
from sim.batch import run_batch  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

STRUCTURES = ("baseline", "model1", "model2", "model3")


def timed(fn, repeat: int) -> float:
    """Median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def simulate(structure: str, engine: str, weeks: int = 520, **kwargs) -> CoordinationModel:
    model = CoordinationModel(structure=structure, engine=engine, rng=42, **kwargs)
    model.run_weeks(weeks)
    return model


def engine_ratio(repeat: int, python_repeat: int) -> list[dict]:
    rows = []
    for structure in STRUCTURES:
        simulate(structure, "numba", 10)  # warm-up: compile or load the cache
        fast = simulate(structure, "numba").datacollector.get_model_vars_dataframe()
        slow = simulate(structure, "python").datacollector.get_model_vars_dataframe()
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        t_numba = timed(lambda s=structure: simulate(s, "numba"), repeat)
        t_python = timed(lambda s=structure: simulate(s, "python"), python_repeat)
        rows.append({"structure": structure, "numba_s": t_numba, "python_s": t_python, "ratio": t_python / t_numba,
                     "outputs_equal": True})
    return rows


_FIRST_RUN = ("import time; t = time.perf_counter(); from sim import CoordinationModel; "
              "CoordinationModel('model2', rng=1).run_weeks(520); print(time.perf_counter() - t)")


def start_up() -> dict:
    """First run in a fresh interpreter: import + construct + 520 weeks, cold then warm numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        run = [sys.executable, "-c", _FIRST_RUN]
        cold = float(subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout)
        warm = float(subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout)
    return {"cold_s": cold, "warm_s": warm}


def exponent(sizes: list[float], seconds: list[float]) -> float:
    """Slope of log(time) on log(size)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def scaling(municipalities: list[int], weeks: list[int], repeat: int) -> dict:
    simulate("model2", "numba", 5, n_municipalities=municipalities[0])
    per_mun = [timed(lambda n=n: simulate("model2", "numba", 260, n_municipalities=n), repeat) / 260
               for n in municipalities]
    per_weeks = [timed(lambda w=w: simulate("model2", "numba", w), repeat) for w in weeks]
    return {"municipalities": municipalities, "s_per_week": per_mun,
            "exponent_municipalities": exponent(municipalities, per_mun),
            "weeks": weeks, "s_per_run": per_weeks, "exponent_weeks": exponent(weeks, per_weeks)}


def throughput(replications: int) -> dict:
    scenario = load_scenario(ROOT / "scenarios" / "compare_models.toml")
    scenario = scenario.model_copy(update={"replications": replications})
    result = {"runs": 4 * replications}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            run_batch(scenario, out=out, workers=workers, quiet=True)
            wall = time.perf_counter() - start
        result[f"wall_s_{workers}"] = wall
        result[f"runs_per_s_{workers}"] = result["runs"] / wall
    result["efficiency"] = result["runs_per_s_2"] / (2 * result["runs_per_s_1"])
    return result


_BATCH_MEMORY = """
import json, resource, sys, tempfile
from sim.batch import run_batch
from sim.scenario import scenario_from_dict
runs, weeks = int(sys.argv[1]), int(sys.argv[2])
scenario = scenario_from_dict({"name": "memory", "structures": ["baseline", "model1", "model2", "model3"],
                               "weeks": weeks, "replications": runs // 4, "seed": 1})
with tempfile.TemporaryDirectory() as out:
    run_batch(scenario, out=out, workers=2, quiet=True)
print(json.dumps({"parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def memory(sizes: list[int], weeks: int) -> list[dict]:
    rows = []
    for runs in sizes:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _BATCH_MEMORY, str(runs), str(weeks)], capture_output=True,
                              text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        rows.append({"runs": runs, "weeks": weeks, **json.loads(done.stdout), "wall_s": time.perf_counter() - start})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a fast look")
    parser.add_argument("--skip-start-up", action="store_true", help="skip the cold-cache compile (~30 s)")
    args = parser.parse_args()
    quick = args.quick
    report: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "platform": platform.platform()}}

    print("0. where a 520-week run's time goes (model2, seed 42, profiled run checked equal to run_weeks)")
    report["profile"] = profile("model2", repeat=3 if quick else 10)
    total = sum(report["profile"].values())
    for name, seconds in sorted(report["profile"].items(), key=lambda kv: -kv[1]):
        print(f"   {name:<66} {seconds * 1e3:7.2f} ms  {seconds / total:5.1%}")
    print("1. engine ratio (520 weeks, seed 42, outputs checked equal)")
    report["engine_ratio"] = engine_ratio(repeat=5 if quick else 10, python_repeat=1 if quick else 3)
    for row in report["engine_ratio"]:
        print(f"   {row['structure']:<9} numba {row['numba_s'] * 1e3:7.1f} ms   python {row['python_s']:6.2f} s"
              f"   ratio {row['ratio']:6.0f}x")
    if not args.skip_start_up:
        print("2. start-up (fresh process: import + model + 520 weeks)")
        report["start_up"] = start_up()
        print(f"   empty cache {report['start_up']['cold_s']:.1f} s   warm cache {report['start_up']['warm_s']:.2f} s")
    print("3. scaling")
    mun = [357, 3570] if quick else [357, 3570, 35700]
    report["scaling"] = scaling(mun, [130, 260, 520] if quick else [130, 260, 520, 1040], repeat=3)
    sc = report["scaling"]
    for n, t in zip(sc["municipalities"], sc["s_per_week"], strict=True):
        print(f"   {n:>6} municipalities  {t * 1e6:8.1f} us/week")
    print(f"   exponent in municipalities {sc['exponent_municipalities']:.2f}, in weeks {sc['exponent_weeks']:.2f}")
    print("4. throughput of compare_models.toml")
    report["throughput"] = throughput(25 if quick else 100)
    tp = report["throughput"]
    print(f"   {tp['runs']} runs: 1 worker {tp['wall_s_1']:.1f} s ({tp['runs_per_s_1']:.1f} runs/s), "
          f"2 workers {tp['wall_s_2']:.1f} s ({tp['runs_per_s_2']:.1f} runs/s), efficiency {tp['efficiency']:.0%}")
    print("5. peak memory of streamed batches (2 workers)")
    report["memory"] = memory([100, 1000] if quick else [1000, 10000], weeks=52 if quick else 520)
    for row in report["memory"]:
        print(f"   {row['runs']:>6} runs x {row['weeks']} weeks: parent {row['parent_mib']:.0f} MiB, "
              f"largest worker {row['worker_mib']:.0f} MiB, {row['wall_s']:.0f} s")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
