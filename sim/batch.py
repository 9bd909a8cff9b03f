"""Scenario batches: models x measures x design points x replications, into result tables.

Every run has an identity (structure, measures, parameter point, replication); its
``run_id`` and seed are derived from that identity and the scenario's base seed, so
adding runs never changes existing ones and a finished run is recognised when a
batch is resumed or extended.  Results are streamed to disk in atomic chunks
(write, then rename); a killed batch resumes with ``resume=True`` and runs only
what is missing.  Runs execute serially, in a local process pool, or on a
``dask.distributed`` cluster, with identical results on every backend.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from importlib import metadata
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import __version__
from .designs import design_points
from .intervals import ci_half_width
from .metrics import CRITERIA, LEVEL_SHARES, METRICS
from .parameters import BY_NAME
from .runner import check_writable, run_one, write_parquet_atomic
from .scenario import AdaptiveReplications, Scenario

SERIES = ("week", *CRITERIA, *LEVEL_SHARES, "assignments_issued", "assignments_completed", "assignments_dropped")
DEPENDENCIES = ("mesa", "numba", "numpy", "pandas", "pyarrow", "pydantic", "scipy", "SALib", "dask", "distributed")


class BatchConflict(ValueError):
    """The output folder holds results that must not be mixed with this batch."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a batch, fully determined by its identity."""

    run_id: str
    structure: str
    measures: tuple[str, ...]
    point: int
    parameters: tuple[tuple[str, float], ...]
    replication: int
    seed: int


def run_spec(scenario: Scenario, structure: str, measures: tuple[str, ...], point: int, parameters: dict[str, float],
             replication: int) -> RunSpec:
    """A run's spec: id and seed from a stable hash of its identity and the base seed."""
    varied = tuple(sorted(parameters.items()))
    identity = json.dumps([structure, list(measures), [[k, repr(v)] for k, v in varied], replication])
    digest = hashlib.sha256(identity.encode()).digest()
    words = [int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4)]
    seed = int(np.random.SeedSequence([scenario.seed, *words]).generate_state(1, np.uint64)[0] >> 1)
    return RunSpec(digest.hex()[:16], structure, measures, point, varied, replication, seed)


def _groups(scenario: Scenario) -> list[tuple[str, tuple[str, ...], int, dict[str, float]]]:
    points = design_points(scenario.design)
    return [(s, tuple(m), k, pt) for s in scenario.structures for m in scenario.measures
            for k, pt in enumerate(points)]


def plan(scenario: Scenario, replications: dict[tuple, int] | None = None) -> list[RunSpec]:
    """Every run of the scenario in a fixed order (``replications`` per group overrides the scenario's)."""
    fixed = scenario.replications if isinstance(scenario.replications, int) else scenario.replications.min
    specs: dict[str, RunSpec] = {}  # a repeated design point is the same run: keep its first occurrence
    for structure, measures, point, params in _groups(scenario):
        n = (replications or {}).get((structure, measures, point), fixed)
        for r in range(n):
            spec = run_spec(scenario, structure, measures, point, params, r)
            specs.setdefault(spec.run_id, spec)
    return list(specs.values())


# --- executing runs (in any process) ---
def execute(specs: list[RunSpec], scenario: Scenario) -> tuple[list[dict], list[pd.DataFrame], list[dict]]:
    """Run specs; return result rows, per-run series and failure rows (a failing run never stops the others)."""
    rows, series, failures = [], [], []
    for spec in specs:
        try:
            params = {**scenario.parameters, **dict(spec.parameters)}
            steps = run_one(spec.structure, spec.measures, weeks=scenario.weeks, seed=spec.seed,
                            engine=scenario.engine, municipalities=scenario.municipalities,
                            mandate_change_week=scenario.mandate_change, **params)
        except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded, not fatal
            failures.append({**_identity_row(spec), "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                             "traceback": traceback.format_exc()})
            continue
        final = steps.iloc[-1]
        rows.append({**_identity_row(spec), **{m: float(final[m]) for m in METRICS}})
        part = steps[list(SERIES)].copy()
        part.insert(0, "run_id", spec.run_id)
        series.append(part)
    return rows, series, failures


def _identity_row(spec: RunSpec) -> dict[str, Any]:
    return {"run_id": spec.run_id, "structure": spec.structure, "measures": ",".join(spec.measures),
            "point": spec.point, "replication": spec.replication, "seed": spec.seed, **dict(spec.parameters)}


def _chunks(specs: list[RunSpec], size: int) -> list[list[RunSpec]]:
    return [specs[k:k + size] for k in range(0, len(specs), size)]


Outcome = tuple[list[dict], list[pd.DataFrame], list[dict]]


def _serial(tasks: list[list[RunSpec]], scenario: Scenario) -> Iterator[Outcome]:
    for task in tasks:
        yield execute(task, scenario)


def _start_method() -> str:
    """``fork`` on Linux: workers inherit the loaded numba kernels and start in milliseconds, where a
    spawned worker spends ~3 s importing and loading the cache (measured; it cost 2 workers more than
    1 on short batches).  Elsewhere ``spawn``, as fork is unsafe on macOS and absent on Windows."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


IN_FLIGHT_PER_WORKER = 2  # enough to keep workers busy; bounded so finished results never pile up


def _pool(tasks: list[list[RunSpec]], scenario: Scenario, workers: int) -> Iterator[Outcome]:
    """Run tasks in a local process pool, at most ``IN_FLIGHT_PER_WORKER`` per worker at a time.

    Submitting everything up front kept every finished result alive in its Future until
    the pool closed (parent memory grew with the batch); now each result is dropped once
    the caller has written it.
    """
    queue = iter(tasks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(_start_method())) as pool:
        pending = {pool.submit(execute, task, scenario) for task in islice(queue, IN_FLIGHT_PER_WORKER * workers)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                task = next(queue, None)
                if task is not None:
                    pending.add(pool.submit(execute, task, scenario))


def _dask(tasks: list[list[RunSpec]], scenario: Scenario, client: Any) -> Iterator[Outcome]:
    """Run tasks on a dask.distributed cluster, a bounded number in flight, releasing each result."""
    from distributed import as_completed as dask_completed

    queue = iter(tasks)
    in_flight = IN_FLIGHT_PER_WORKER * _dask_workers(client)
    running = dask_completed(client.submit(execute, task, scenario, pure=False) for task in islice(queue, in_flight))
    for future in running:
        outcome = future.result()
        future.release()
        task = next(queue, None)
        if task is not None:
            running.add(client.submit(execute, task, scenario, pure=False))
        yield outcome


# --- the output folder ---
class ResultFolder:
    """Chunked, crash-safe storage of a batch: finished runs survive any kill."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.chunks = root / ".chunks"
        self.steps = root / "steps.parquet"

    def prepare(self, scenario: Scenario, resume: bool) -> None:
        """Refuse to mix batches; create folders and a provisional manifest; drop series orphaned by a kill."""
        manifest = self.root / "manifest.json"
        if manifest.exists():
            held = json.loads(manifest.read_text())
            if held.get("fingerprint") != fingerprint(scenario):
                raise BatchConflict(
                    f"{self.root} holds results of another scenario ({held.get('scenario', {}).get('name')!r}, "
                    f"with different weeks, seed, engine, data, base parameters or package version); "
                    "its runs cannot be mixed with this batch. Choose another --out, or move those results away.")
            if not resume and self.finished_ids():
                raise BatchConflict(f"{self.root} already holds {len(self.finished_ids())} finished runs of this "
                                    "scenario. Use --resume to continue or extend it, or choose another --out.")
        if self.steps.is_file():
            raise BatchConflict(f"{self.root} holds a single run from `sim run` (steps.parquet is a file); "
                                "a batch needs its own folder. Choose another --out.")
        check_writable(self.root)
        if not manifest.exists():
            self.write_manifest({"scenario": json.loads(scenario.model_dump_json()),
                                 "fingerprint": fingerprint(scenario), "status": "running"})
        self.chunks.mkdir(exist_ok=True)
        self.steps.mkdir(exist_ok=True)
        committed = {p.stem.removeprefix("runs-") for p in self.chunks.glob("runs-*.parquet")}
        for part in self.steps.glob("part-*.parquet"):
            if part.stem.removeprefix("part-") not in committed:
                part.unlink()

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        tmp = self.root / ".manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=2))
        os.replace(tmp, self.root / "manifest.json")

    def finished_ids(self) -> set[str]:
        ids: set[str] = set()
        for chunk in self.chunks.glob("runs-*.parquet") if self.chunks.exists() else ():
            ids.update(pd.read_parquet(chunk, columns=["run_id"])["run_id"])
        return ids

    def write(self, outcome: Outcome) -> None:
        """Commit one finished task: series first, then the runs chunk that marks them finished."""
        rows, series, failures = outcome
        chunk = f"{time.time_ns()}-{os.getpid()}"
        if failures:
            write_parquet_atomic(pd.DataFrame(failures), self.chunks / f"failures-{chunk}.parquet")
        if rows:
            write_parquet_atomic(pd.concat(series, ignore_index=True), self.steps / f"part-{chunk}.parquet")
            write_parquet_atomic(pd.DataFrame(rows), self.chunks / f"runs-{chunk}.parquet")

    def runs(self) -> pd.DataFrame:
        frames = [pd.read_parquet(p) for p in sorted(self.chunks.glob("runs-*.parquet"))]
        return pd.concat(frames, ignore_index=True).drop_duplicates("run_id") if frames else pd.DataFrame()

    def failures(self, finished: set[str]) -> pd.DataFrame:
        frames = [pd.read_parquet(p) for p in sorted(self.chunks.glob("failures-*.parquet"))]
        if not frames:
            return pd.DataFrame(columns=["run_id", "status", "error", "traceback"])
        failed = pd.concat(frames, ignore_index=True)
        return failed[~failed["run_id"].isin(finished)].drop_duplicates("run_id", keep="last")


# --- summaries ---
def summarise(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, standard deviation and 95 % confidence interval of every outcome, per group (long format)."""
    records = []
    for key, group in runs.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for outcome in METRICS:
            values = group[outcome].to_numpy(float)
            half = ci_half_width(values)
            mean = float(values.mean())
            records.append({**dict(zip(by, key, strict=True)), "outcome": outcome, "n": len(values), "mean": mean,
                            "std": float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                            "ci95_low": mean - half, "ci95_high": mean + half})
    return pd.DataFrame.from_records(records)


# --- the batch ---
def fingerprint(scenario: Scenario) -> dict[str, Any]:
    """What determines a run's result beyond its identity: runs are mixable only if this matches."""
    data = scenario.municipalities
    if data != "norway":
        data = hashlib.sha256(Path(data).read_bytes()).hexdigest()
    return {"weeks": scenario.weeks, "seed": scenario.seed, "engine": scenario.engine, "municipalities": data,
            "parameters": dict(sorted(scenario.parameters.items())), "version": __version__}


def _versions() -> dict[str, str]:
    found = {"sim": __version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def run_batch(scenario: Scenario, *, out: str | os.PathLike[str] | None = None, workers: int | None = None,
              client: Any = None, resume: bool = False, quiet: bool = True, scenario_text: str | None = None,
              task_size: int | None = None) -> pd.DataFrame:
    """Run every run of ``scenario`` not yet finished in ``out``; return ``runs`` (one row per run).

    Args:
        scenario: a validated :class:`~sim.scenario.Scenario` (from a file or built in code).
        out: output folder (default: the scenario's ``output``).
        workers: processes for a local pool (default: all cores; 1 = in this process).
        client: a ``dask.distributed.Client``; runs go to its cluster instead of a local pool.
        resume: continue or extend the batch already in ``out``.
        quiet: no progress bar.
        scenario_text: the scenario file's text, hashed into the manifest.
        task_size: runs per task sent to a worker (default: balanced for the worker count).
    """
    folder = ResultFolder(Path(out) if out is not None else scenario.output_dir)
    folder.prepare(scenario, resume)
    workers = workers or os.cpu_count() or 1
    started = time.time()
    replications: dict[tuple, int] = {}
    stops: dict[tuple, str] = {}
    adaptive = scenario.replications if isinstance(scenario.replications, AdaptiveReplications) else None
    while True:
        specs = plan(scenario, replications)
        done = folder.finished_ids()
        todo = [s for s in specs if s.run_id not in done]
        if todo:
            _execute(todo, scenario, folder, workers, client, quiet, len(specs), task_size)
        if adaptive is None:
            break
        more = _adapt(scenario, adaptive, folder.runs(), replications, stops)
        if not more:
            break
    runs = _finish(scenario, folder, plan(scenario, replications), stops, started, scenario_text, workers, client)
    return runs


def _execute(todo: list[RunSpec], scenario: Scenario, folder: ResultFolder, workers: int, client: Any, quiet: bool,
             total: int, task_size: int | None) -> None:
    size = task_size or max(1, min(25, len(todo) // (4 * (workers if client is None else _dask_workers(client)))))
    tasks = _chunks(todo, size)
    if client is not None:
        outcomes: Iterable[Outcome] = _dask(tasks, scenario, client)
    elif workers > 1 and len(tasks) > 1:
        outcomes = _pool(tasks, scenario, workers)
    else:
        outcomes = _serial(tasks, scenario)
    with tqdm(total=total, initial=total - len(todo), unit="run", disable=quiet, desc=scenario.name) as bar:
        for outcome in outcomes:
            folder.write(outcome)
            bar.update(len(outcome[0]) + len(outcome[2]))


def _dask_workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def _adapt(scenario: Scenario, rule: AdaptiveReplications, runs: pd.DataFrame, replications: dict[tuple, int],
           stops: dict[tuple, str]) -> bool:
    """Add replications where any criterion's CI is still too wide; record why each group stopped."""
    more = False
    if not runs.empty:
        runs = runs.assign(point=_current_points(runs, plan(scenario, replications)))
    for structure, measures, point, _ in _groups(scenario):
        key = (structure, measures, point)
        if key in stops:
            continue
        n = replications.get(key, rule.min)
        group = runs[(runs["structure"] == structure) & (runs["measures"] == ",".join(measures))
                     & (runs["point"] == point) & (runs["replication"] < n)] if not runs.empty else runs
        if len(group) < 2:
            stops[key] = f"too_few_finished: {len(group)} of {n} runs finished; see failures.parquet"
            continue
        widest = max(ci_half_width(group[c].to_numpy(float)) for c in CRITERIA)
        if widest <= rule.until_ci_half_width:
            stops[key] = f"ci_reached: widest 95% CI half-width {widest:.4g} <= {rule.until_ci_half_width} at n={n}"
        elif n >= rule.max:
            stops[key] = f"max_reached: n={n}, widest 95% CI half-width {widest:.4g}"
        else:
            replications[key] = min(rule.max, n + rule.batch)
            more = True
    return more


def _tidy(runs: pd.DataFrame, scenario: Scenario, specs: list[RunSpec]) -> pd.DataFrame:
    """Plan order, current point numbers, fixed column order, every varied parameter's value in every row."""
    order = {s.run_id: k for k, s in enumerate(specs)}
    runs = runs.iloc[np.argsort(runs["run_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    runs["point"] = _current_points(runs, specs)
    varied = sorted(set(scenario.design.values) | set(scenario.design.ranges))
    for name in varied:
        fallback = scenario.parameters.get(name, BY_NAME[name].default)
        runs[name] = runs[name].fillna(fallback).astype(float) if name in runs else float(fallback)
    identity = ["run_id", "structure", "measures", "point", "replication", "seed"]
    return runs[[*identity, *varied, *METRICS]]


def _current_points(runs: pd.DataFrame, specs: list[RunSpec]) -> np.ndarray:
    """Point numbers of the current design (a run keeps its identity when an extended design renumbers points)."""
    point = {s.run_id: s.point for s in specs}
    return runs["run_id"].map(point).to_numpy()


def _finish(scenario: Scenario, folder: ResultFolder, specs: list[RunSpec], stops: dict[tuple, str], started: float,
            scenario_text: str | None, workers: int, client: Any) -> pd.DataFrame:
    order = {s.run_id: k for k, s in enumerate(specs)}
    runs = folder.runs()
    if not runs.empty:
        runs = _tidy(runs[runs["run_id"].isin(order)], scenario, specs)
    finished = set(runs["run_id"]) if not runs.empty else set()
    failures = folder.failures(finished)
    failures = failures[failures["run_id"].isin(order)]
    write_parquet_atomic(runs, folder.root / "runs.parquet")
    write_parquet_atomic(failures.reset_index(drop=True), folder.root / "failures.parquet")
    if not runs.empty:
        summarise(runs, ["structure", "measures"]).to_csv(folder.root / "summary.csv", index=False)
        if scenario.design.kind != "none":
            summarise(runs, ["structure", "measures", "point"]).to_csv(folder.root / "summary_by_point.csv",
                                                                         index=False)
    manifest = {
        "status": "finished",
        "scenario": json.loads(scenario.model_dump_json()),
        "scenario_sha256": hashlib.sha256((scenario_text or scenario.model_dump_json()).encode()).hexdigest(),
        "fingerprint": fingerprint(scenario),
        "versions": _versions(),
        "backend": "dask" if client is not None else ("processes" if workers > 1 else "serial"),
        "workers": workers if client is None else _dask_workers(client),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs_planned": len(specs), "runs_finished": len(runs), "runs_failed": len(failures),
        "seeds": {s.run_id: s.seed for s in specs},
        "adaptive_stops": {"|".join([k[0], ",".join(k[1]), str(k[2])]): v for k, v in stops.items()},
    }
    folder.write_manifest(manifest)
    return runs

