"""Speed and memory of the simulation, measured in one run: a table and a JSON line.

    python benchmarks/run.py            # everything (about 5 minutes on 2 cores)
    python benchmarks/run.py --quick    # smaller sizes, same measurements (about 2 minutes)

0. profile       where a 520-week run's time goes: construction, then each submodel kernel (timed inside numba)
1. engine ratio  numba vs pure-Python engine, whole 520-week runs with construction, same seed, outputs checked equal
2. step path     520 calls of ``m.step()`` against one ``run_weeks(520)``; replications on 1 and 2 threads
3. start-up      first model run in a fresh process, with an empty and with a warm numba cache
3b. command line ``sim --help`` and ``sim batch --help`` in a fresh process, as a ratio to ``python -c pass``
                 (ratios, not seconds: a loaded machine slows both; ``--cli-only`` measures just this)
4. scaling       time per week against municipalities and against weeks; fitted exponents
5. throughput    runs per second of compare_models.toml with 1 and 2 workers, for this tree and for ``--against``
                 (an earlier commit, checked out into a temporary folder and measured by the same script)
5b. run time     a 520-week run of each model here and in ``--run-time-against`` (default the previous commit),
                 alternated in the same run: new rules may cost at most 1.5x
6. memory        peak memory of batches of increasing size (results streamed to disk); largest over smallest

Targets (issue "Search-scale speed"): engine ratio >= 300 (the smallest of the four models), step path
<= 1.2x run_weeks, first run with an empty cache <= 15 s, 2-worker throughput >= 3x the ``--against``
commit's, peak memory at 100,000 runs within 10 % of 10,000 runs.  Timings are never asserted in tests;
this script is where they live.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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
from sim.simulation.replications import run_replications  # noqa: E402

STRUCTURES = ("baseline", "model1", "model2", "model3")
BEFORE = "f765df9"  # the last commit before the speed work of issue 14: the figures its targets are stated against


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


def step_path(repeat: int) -> dict:
    """520 ``step()`` calls against one ``run_weeks(520)`` (construction not timed), and replications in threads."""
    def stepped() -> float:
        model = CoordinationModel("model2", rng=42)
        start = time.perf_counter()
        for _ in range(520):
            model.step()
        return time.perf_counter() - start

    def bulk() -> float:
        model = CoordinationModel("model2", rng=42)
        start = time.perf_counter()
        model.run_weeks(520)
        return time.perf_counter() - start

    stepped(), bulk()
    pairs = [(stepped(), bulk()) for _ in range(repeat)]  # alternated, so a drift in machine speed hits both alike
    steps = statistics.median(s for s, _ in pairs)
    weeks = statistics.median(b for _, b in pairs)
    seeds = range(4 * repeat)
    threads = {n: timed(lambda n=n: run_replications("model2", seeds, weeks=520, threads=n), 3) / len(seeds)
               for n in (1, 2)}
    return {"step_s": steps, "run_weeks_s": weeks, "ratio": steps / weeks, "replication_s_1_thread": threads[1],
            "replication_s_2_threads": threads[2], "thread_speed_up": threads[1] / threads[2]}


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


def cli_start_up(repeat: int = 7) -> dict:
    """Median time of ``sim --help`` and ``sim batch --help`` in a fresh interpreter over that of ``python -c pass``."""
    def median(*argv: str) -> float:
        return timed(lambda: subprocess.run([sys.executable, *argv], capture_output=True, check=True,
                                            env={**os.environ, "PYTHONPATH": str(ROOT)}), repeat)
    base = median("-c", "pass")
    times = {"python_c_pass_s": base, "sim_help_s": median("-m", "sim.cli", "--help"),
             "sim_batch_help_s": median("-m", "sim.cli", "batch", "--help")}
    return {**times, "ratio_help": times["sim_help_s"] / base, "ratio_batch_help": times["sim_batch_help_s"] / base}


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


_THROUGHPUT = """
import json, sys, tempfile, time
from pathlib import Path
if Path("sim/experiments").is_dir():  # the tree measured is the working directory
    from sim.experiments.batch import run_batch
    from sim.experiments.scenario import load_scenario
else:  # --against a commit from before the three packages
    from sim.batch import run_batch
    from sim.scenario import load_scenario
scenario = load_scenario(Path("scenarios") / "compare_models.toml")
with tempfile.TemporaryDirectory() as out:  # compile or load the kernels before timing
    run_batch(scenario.model_copy(update={"replications": 1, "weeks": 2}), out=out, workers=1, quiet=True)
scenario = scenario.model_copy(update={"replications": int(sys.argv[1])})
result = {"runs": 4 * int(sys.argv[1])}
for workers in (1, 2):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        run_batch(scenario, out=out, workers=workers, quiet=True)
        result[f"wall_s_{workers}"] = time.perf_counter() - start
    result[f"runs_per_s_{workers}"] = result["runs"] / result[f"wall_s_{workers}"]
result["efficiency"] = result["runs_per_s_2"] / (2 * result["runs_per_s_1"])
print(json.dumps(result))
"""


def throughput_in(tree: Path, replications: int) -> dict:
    """The compare batch's runs per second with 1 and 2 workers, for the code in ``tree`` (same interpreter)."""
    done = subprocess.run([sys.executable, "-c", _THROUGHPUT, str(replications)], cwd=tree, capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def throughput(replications: int, against: str | None) -> dict:
    """This tree's throughput, and the ``against`` commit's measured the same way in the same run."""
    result = {"now": throughput_in(ROOT, replications)}
    if against:
        folder = Path(tempfile.mkdtemp(prefix="sim-before-"))
        try:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", against], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
            result["before"] = {"commit": against, **throughput_in(folder, replications)}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        result["speed_up_2_workers"] = result["now"]["runs_per_s_2"] / result["before"]["runs_per_s_2"]
    return result


_RUN_TIME = """
import json, statistics, sys, time
from sim import CoordinationModel
repeat = int(sys.argv[1])
out = {}
for structure in ("baseline", "model1", "model2", "model3"):
    CoordinationModel(structure, rng=42).run_weeks(10)  # compile or load the cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        CoordinationModel(structure, rng=42).run_weeks(520)
        times.append(time.perf_counter() - start)
    out[structure] = statistics.median(times)
print(json.dumps(out))
"""


def run_time_in(tree: Path, repeat: int) -> dict:
    """Median seconds of one 520-week run (with construction) of each model, for the code in ``tree``."""
    done = subprocess.run([sys.executable, "-c", _RUN_TIME, str(repeat)], cwd=tree, capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_time(repeat: int, against: str) -> dict:
    """A 520-week run of each model in this tree and in ``against``, measured alternately in the same run."""
    folder = Path(tempfile.mkdtemp(prefix="sim-before-"))
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", against], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
        rounds = [(run_time_in(ROOT, repeat), run_time_in(folder, repeat)) for _ in range(3)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    now = {m: statistics.median(r[0][m] for r in rounds) for m in STRUCTURES}
    before = {m: statistics.median(r[1][m] for r in rounds) for m in STRUCTURES}
    return {"commit": against, "now_s": now, "before_s": before,
            "ratio": {m: now[m] / before[m] for m in STRUCTURES}, "largest_ratio": max(now[m] / before[m]
                                                                                       for m in STRUCTURES)}


_BATCH_MEMORY = """
import json, resource, sys, tempfile
from sim.experiments.batch import run_batch
from sim.experiments.scenario import scenario_from_dict
runs, weeks = int(sys.argv[1]), int(sys.argv[2])
scenario = scenario_from_dict({"name": "memory", "structures": ["baseline", "model1", "model2", "model3"],
                               "weeks": weeks, "replications": runs // 4, "seed": 1})
with tempfile.TemporaryDirectory() as out:
    runs = run_batch(scenario, out=out, workers=2, quiet=True)
# the parent's peak from VmHWM: Linux carries ru_maxrss over execve, so RUSAGE_SELF would report the
# benchmark process's own size at the fork; the workers fork from this process, so theirs is right
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"parent_mib": hwm / 1024, "table_mib": int(runs.memory_usage(deep=True).sum()) / 2**20,
                  "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def memory(sizes: list[int], weeks: int) -> dict:
    """Peak parent and worker memory per batch size, and the largest size's over the smallest's."""
    rows = []
    for runs in sizes:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _BATCH_MEMORY, str(runs), str(weeks)], capture_output=True,
                              text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        rows.append({"runs": runs, "weeks": weeks, **json.loads(done.stdout), "wall_s": time.perf_counter() - start})
    first, last = rows[0], rows[-1]
    return {"batches": rows, "parent_growth": last["parent_mib"] / first["parent_mib"],
            "parent_growth_beside_table": (last["parent_mib"] - last["table_mib"]) / (first["parent_mib"] - first["table_mib"]),
            "worker_growth": last["worker_mib"] / first["worker_mib"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a fast look")
    parser.add_argument("--skip-start-up", action="store_true", help="skip the cold-cache compile (~15 s)")
    parser.add_argument("--against", default=BEFORE, metavar="REV",
                        help=f"commit whose throughput the target is stated against (default {BEFORE}); '' for none")
    parser.add_argument("--run-time-against", default="HEAD~1", metavar="REV",
                        help="commit a 520-week run's time is compared with (default the previous commit); '' for none")
    parser.add_argument("--cli-only", action="store_true", help="measure only the command line's start-up (3b)")
    args = parser.parse_args()
    quick = args.quick
    report: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "platform": platform.platform()}}
    print("3b. command line start-up (fresh process), as a ratio to `python -c pass`")
    report["cli_start_up"] = cli = cli_start_up()
    print(f"   python -c pass {cli['python_c_pass_s'] * 1e3:.0f} ms   sim --help {cli['sim_help_s'] * 1e3:.0f} ms "
          f"({cli['ratio_help']:.1f}x)   sim batch --help {cli['sim_batch_help_s'] * 1e3:.0f} ms "
          f"({cli['ratio_batch_help']:.1f}x)")
    if args.cli_only:
        print(json.dumps(report))
        return

    print("0. where a 520-week run's time goes (model2, seed 42, profiled run checked equal to run_weeks)")
    report["profile"] = profile("model2", repeat=3 if quick else 10)
    total = sum(report["profile"].values())
    for name, seconds in sorted(report["profile"].items(), key=lambda kv: -kv[1]):
        print(f"   {name:<66} {seconds * 1e3:7.2f} ms  {seconds / total:5.1%}")
    print("1. engine ratio (whole 520-week runs with construction, seed 42, outputs checked equal)")
    report["engine_ratio"] = engine_ratio(repeat=5 if quick else 10, python_repeat=1 if quick else 3)
    for row in report["engine_ratio"]:
        print(f"   {row['structure']:<9} numba {row['numba_s'] * 1e3:7.1f} ms   python {row['python_s']:6.2f} s"
              f"   ratio {row['ratio']:6.0f}x")
    print(f"   smallest ratio {min(r['ratio'] for r in report['engine_ratio']):.0f}x (target >= 300x)")
    print("2. step path (model2, 520 weeks, construction not timed) and replications in threads")
    report["step_path"] = sp = step_path(repeat=5 if quick else 11)
    print(f"   520 x step() {sp['step_s'] * 1e3:.1f} ms, run_weeks(520) {sp['run_weeks_s'] * 1e3:.1f} ms: "
          f"{sp['ratio']:.2f}x (target <= 1.2x)")
    print(f"   run_replications: {sp['replication_s_1_thread'] * 1e3:.1f} ms per run on 1 thread, "
          f"{sp['replication_s_2_threads'] * 1e3:.1f} ms on 2 ({sp['thread_speed_up']:.2f}x)")
    if not args.skip_start_up:
        print("3. start-up (fresh process: import + model + 520 weeks)")
        report["start_up"] = start_up()
        print(f"   empty cache {report['start_up']['cold_s']:.1f} s (target <= 15 s)   "
              f"warm cache {report['start_up']['warm_s']:.2f} s")
    print("4. scaling")
    mun = [357, 3570] if quick else [357, 3570, 35700]
    report["scaling"] = scaling(mun, [130, 260, 520] if quick else [130, 260, 520, 1040], repeat=3)
    sc = report["scaling"]
    for n, t in zip(sc["municipalities"], sc["s_per_week"], strict=True):
        print(f"   {n:>6} municipalities  {t * 1e6:8.1f} us/week")
    print(f"   exponent in municipalities {sc['exponent_municipalities']:.2f}, in weeks {sc['exponent_weeks']:.2f}")
    print("5. throughput of compare_models.toml (520-week runs)")
    report["throughput"] = tp = throughput(25 if quick else 100, args.against or None)
    for label, row in (("this tree", tp["now"]), (f"{args.against}", tp.get("before"))):
        if row:
            print(f"   {label:<10} {row['runs']} runs: 1 worker {row['wall_s_1']:.1f} s ({row['runs_per_s_1']:.1f} runs/s), "
                  f"2 workers {row['wall_s_2']:.1f} s ({row['runs_per_s_2']:.1f} runs/s), "
                  f"efficiency {row['efficiency']:.0%}")
    if "speed_up_2_workers" in tp:
        print(f"   2 workers: {tp['speed_up_2_workers']:.2f}x the runs per second of {args.against} (target >= 3x)")
    if args.run_time_against:
        print(f"5b. a 520-week run (with construction) against {args.run_time_against}, alternated in this run")
        report["run_time"] = rt = run_time(5 if quick else 15, args.run_time_against)
        for m in STRUCTURES:
            print(f"   {m:<9} now {rt['now_s'][m] * 1e3:6.1f} ms   {args.run_time_against} {rt['before_s'][m] * 1e3:6.1f} ms"
                  f"   {rt['ratio'][m]:.2f}x")
        print(f"   largest {rt['largest_ratio']:.2f}x (target <= 1.5x when rules are added)")
    print("6. peak memory of streamed batches (2 workers)")
    report["memory"] = mem = memory([1000, 10000] if quick else [10000, 100000], weeks=52)
    for row in mem["batches"]:
        print(f"   {row['runs']:>6} runs x {row['weeks']} weeks: parent {row['parent_mib']:.0f} MiB (of which the "
              f"runs table it returns {row['table_mib']:.0f} MiB), largest worker {row['worker_mib']:.0f} MiB, "
              f"{row['wall_s']:.0f} s")
    print(f"   largest batch over smallest: parent {mem['parent_growth']:.3f}x ({mem['parent_growth_beside_table']:.3f}x "
          f"beside the returned table), worker {mem['worker_growth']:.3f}x (target within 1.10x)")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
