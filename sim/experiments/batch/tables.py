"""The tables a batch derives from its chunks, rebuilt together so that no file describes other runs than another.

``runs.parquet``, ``failures.parquet``, ``summary.csv``, ``summary_by_point.csv`` and the parts of
``steps.parquet/`` are written from the committed chunks of the current plan whenever an
invocation completes.  Their row counts and checksums go into ``manifest.json``, which is written
after them, so a reader can verify that what it reads is what the batch wrote.  ``figures/`` and
``report.html`` are made from the tables, so they are removed whenever the tables change.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from sim.simulation.metrics import METRICS, RECORDED
from sim.simulation.parameters import BY_NAME
from sim.simulation.structures import check_structure

from ..designs import PREMISE
from ..runner import write_atomic, write_parquet_atomic
from ..scenario import Scenario
from ..structural import as_column, is_structural, recorded, value_of
from .specs import PlanIndex
from .store import ChunkStore

IDENTITY = ["run_id", "structure", "measures", "point", "replication", "seed"]
FAILURE_COLUMNS = ["run_id", "status", "error", "traceback"]
SUMMARY_BLOCK = 1 << 17  # values (1 MiB) :func:`summarise` reduces at a time


def summarise(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, standard deviation and 95 % confidence interval of every outcome, per group (long format).

    Array operations per group over many outcomes at once (each outcome's values reduced as a
    contiguous row, as :func:`~sim.experiments.intervals.ci_half_width` reduces them), so a search's thousands
    of groups take seconds; the t quantile is computed once per group size.  The values are taken
    from the outcome columns into blocks of at most :data:`SUMMARY_BLOCK` values, so a large
    group is never copied whole (its frame and transposed copies raised a 100,000-run batch's
    peak by 18 MiB).
    """
    outcomes = [name for name in RECORDED if name in runs]
    columns = [runs[name].to_numpy(float) for name in outcomes]
    keys, means, stds, sizes = [], [], [], []
    groups = sorted(runs.groupby(by, sort=False).indices.items(), key=lambda item: item[1][0])  # first seen first
    for key, rows in groups:
        keys.append(key if isinstance(key, tuple) else (key,))
        sizes.append(len(rows))
        mean, std = np.empty(len(outcomes)), np.full(len(outcomes), math.nan)
        step = max(1, SUMMARY_BLOCK // len(rows))  # outcomes at a time
        for first in range(0, len(outcomes), step):
            block = np.empty((min(step, len(outcomes) - first), len(rows)))  # one row per outcome
            for j in range(len(block)):
                np.take(columns[first + j], rows, out=block[j])
            mean[first:first + len(block)] = block.mean(axis=1)
            if len(rows) > 1:
                std[first:first + len(block)] = block.std(axis=1, ddof=1)
        means.append(mean)
        stds.append(std)
    if not keys:
        return pd.DataFrame(columns=[*by, "outcome", "n", "mean", "std", "ci95_low", "ci95_high"])
    n = np.repeat(sizes, len(outcomes))
    mean, std = np.concatenate(means), np.concatenate(stds)
    quantile = {k: stats.t.ppf(0.975, k - 1) if k > 1 else math.nan for k in set(sizes)}  # n = 1: no interval
    half = np.where(n > 1, np.array([quantile[k] for k in n]) * np.nan_to_num(std) / np.sqrt(n), math.inf)
    columns = {name: np.repeat([k[j] for k in keys], len(outcomes)) for j, name in enumerate(by)}
    return pd.DataFrame({**columns, "outcome": np.tile(outcomes, len(keys)), "n": n, "mean": mean, "std": std,
                         "ci95_low": mean - half, "ci95_high": mean + half})


def factors(runs: pd.DataFrame) -> list[str]:
    """The varied parameters and structural fields of a runs table: the columns between the identity and the metrics."""
    return [c for c in runs.columns if c not in IDENTITY and c not in RECORDED]


def summary_groups(runs: pd.DataFrame, scenario: Scenario) -> dict[str, list[str] | None]:
    """The groups of ``summary.csv`` and ``summary_by_point.csv`` (None: the table is not written).

    A structural field is always a group key (another value is another structure); the
    per-point table also carries every varied parameter's value, so it reads without a join.
    A search writes no per-point table: its candidates' scores over the points are in
    ``candidates.parquet``.
    """
    varied = factors(runs)
    structural = [c for c in varied if is_structural(c)]
    per_point = scenario.design.kind != "none" and scenario.search is None  # a search: thousands of candidates x
    return {"summary.csv": ["structure", "measures", *structural],  # points (200 MB); runs.parquet has them all
            "summary_by_point.csv": ["structure", "measures", "point", *varied] if per_point else None}


def summary_table(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """:func:`summarise` with ``points``: how many design points each row pools (1 per point)."""
    table = summarise(runs, by)
    points = runs.groupby(by, sort=False)["point"].nunique().rename("points").reset_index()
    return table.merge(points, on=by, how="left")[[*by, "points", *[c for c in table.columns if c not in by]]]


def current_points(runs: pd.DataFrame, planned: PlanIndex) -> np.ndarray:
    """Point numbers of the current design (a run keeps its identity when an extended design renumbers points).

    A run not in the plan gets -1.
    """
    at = planned.locate(runs["run_id"])
    return np.where(at >= 0, planned.points[np.maximum(at, 0)], -1)


def tidy(runs: pd.DataFrame, scenario: Scenario, varied: tuple[str, ...]) -> pd.DataFrame:
    """Every varied factor's value in every row of :func:`collect_runs`' table (in place).

    A structural field a run did not vary holds its structure's own value, so runs can be
    grouped by any structural choice.
    """
    for name in varied:
        if is_structural(name):
            own = {s: recorded(value_of(check_structure(scenario.organisation(s)), name)) for s in scenario.structures}
            runs[name] = as_column(name, runs[name].where(runs[name].notna(), runs["structure"].map(own)))
            continue
        if name == PREMISE:  # every point of a design with premises names one
            runs[name] = runs[name].astype(float)
            continue
        runs[name] = runs[name].fillna(scenario.parameters.get(name, BY_NAME[name].default)).astype(float)
    return runs


def collect_runs(store: ChunkStore, chunks: list[str], planned: PlanIndex) -> tuple[pd.DataFrame, np.ndarray]:
    """Each planned run's row once (its first chunk's copy, if ever two), in plan order, at its current point.

    ``chunks`` are chunks that hold runs.  Returns the rows, with the columns of :data:`IDENTITY`,
    every varied factor and :data:`~sim.simulation.metrics.RECORDED` in that order, and, per row, its chunk's position in
    ``chunks``.  One pass over the chunk
    files, each read as Arrow and copied column by column into arrays made to the plan's size,
    so the parent holds the table once however many chunks make it (a DataFrame per chunk
    cost ~80 KB each and 3 ms to read).
    """
    size = len(planned)
    source = np.full(size, -1, np.int64)  # per plan position: the chunk whose copy counts
    text = {name: np.full(size, None, object) for name in ("run_id", "structure", "measures")}
    whole = {name: np.zeros(size, np.int64) for name in ("replication", "seed")}
    varied = {name: np.full(size, None, object) if is_structural(name) else np.full(size, np.nan)
              for name in planned.varied}
    recorded: list[str] | None = None  # the outcomes the batch's runs record (the horizons they reached)
    metrics = np.empty((0, size))
    shared: dict[str, str] = {}
    for n, chunk in enumerate(chunks):
        table = pq.ParquetFile(store.path_of(chunk, "runs")).read(use_threads=False)
        if recorded is None:
            recorded = [name for name in RECORDED if name in table.column_names]
            metrics = np.empty((len(recorded), size))
        at = planned.locate(table.column("run_id").to_pylist())
        rows = np.flatnonzero(at >= 0)
        place = planned.order[at[rows]]
        fresh = source[place] < 0
        place, first = np.unique(place[fresh], return_index=True)  # a run twice in one chunk: its first row
        rows = rows[fresh][first]
        source[place] = n
        for name, column in (*text.items(), *whole.items(), *varied.items()):
            if name in table.column_names:
                values = table.column(name).to_numpy(zero_copy_only=False)[rows]
                if name in ("structure", "measures"):  # a few values: one string object each, not one per run
                    values = np.array([shared.setdefault(v, v) for v in values], dtype=object)
                column[place] = values
        for j, name in enumerate(recorded):
            metrics[j, place] = table.column(name).to_numpy()[rows]
    if recorded is None:  # no chunk holds runs: the table has the columns, and no rows
        recorded, metrics = list(METRICS), np.empty((len(METRICS), size))
    kept = source >= 0
    points = np.empty(size, np.int64)
    points[planned.order] = planned.points
    columns = {**text, "point": points, **whole, **varied}
    if not kept.all():  # runs not saved (failed, or not run yet): their rows go
        columns = {name: values[kept] for name, values in columns.items()}
        metrics, source = metrics[:, kept], source[kept]
    runs = pd.DataFrame(metrics.T, columns=recorded, copy=False)
    for k, (name, values) in enumerate(columns.items()):
        runs.insert(k, name, values)
    return runs, source


@contextlib.contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow allocates from the C library's heap meanwhile (which gives freed memory back) instead of mimalloc.

    mimalloc keeps what Arrow frees, so reading thousands of chunks and writing a large table
    raised the batch parent's peak by ~45 MiB at 40,000 runs (measured with VmHWM).
    """
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def write_tables(root: Path, store: ChunkStore, chunks: list[str], scenario: Scenario, planned: PlanIndex,
                 previous: dict[str, Any] | None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Rebuild every derived table from ``chunks`` for the runs of ``planned``; return runs, failures and their record.

    ``previous`` is the record the manifest holds; when the new one differs, the figures and
    report made from the old tables are removed.
    """
    with system_allocator():
        return _write_tables(root, store, chunks, scenario, planned, previous)


def _write_tables(root: Path, store: ChunkStore, chunks: list[str], scenario: Scenario, planned: PlanIndex,
                  previous: dict[str, Any] | None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    read = [c for c in chunks if store.has(c, "runs")]
    runs, source = collect_runs(store, read, planned)
    counts = np.bincount(source, minlength=len(read))
    owned = {chunk: int(counts[n]) for n, chunk in enumerate(read) if counts[n]}  # each chunk's runs in the plan
    runs = tidy(runs, scenario, planned.varied) if not runs.empty else pd.DataFrame()
    failed = store.read(chunks, "failures")
    failures = (pd.concat(failed, ignore_index=True) if failed else pd.DataFrame(columns=FAILURE_COLUMNS))
    saved = failures["run_id"].isin(runs["run_id"] if not runs.empty else [])
    failures = failures[(planned.locate(failures["run_id"]) >= 0) & ~saved]
    failures = failures.drop_duplicates("run_id", keep="last").reset_index(drop=True)

    number = {chunk: n for n, chunk in enumerate(read)}

    def kept(chunk: str) -> pd.Series:
        """The run ids a chunk contributes, when some of its runs left the plan."""
        return runs["run_id"][source == number[chunk]]

    record: dict[str, Any] = {name: _write_parquet(root / name, frame) | {"rows": len(frame)}
                              for name, frame in (("runs.parquet", runs), ("failures.parquet", failures))}
    for name, by in summary_groups(runs, scenario).items():
        if by is not None and not runs.empty:
            record[name] = _write(root / name, summary_table(runs, by).to_csv(index=False).encode())
        else:
            (root / name).unlink(missing_ok=True)
    record["steps.parquet"] = _write_steps(root / "steps.parquet", store, owned, kept)
    municipal = [frame[frame["run_id"].isin(kept(chunk))] for chunk in owned if store.has(chunk, "municipalities")
                 for frame in store.read([chunk], "municipalities")]
    if municipal:
        table = pd.concat(municipal, ignore_index=True)
        order = {r: k for k, r in enumerate(runs["run_id"])}
        table = table.iloc[np.argsort(table["run_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
        record["municipalities.parquet"] = _write_parquet(root / "municipalities.parquet", table) | {
            "rows": len(table)}
    else:
        (root / "municipalities.parquet").unlink(missing_ok=True)
    if record != (previous or {}).get("tables"):
        shutil.rmtree(root / "figures", ignore_errors=True)
        (root / "report.html").unlink(missing_ok=True)
    return runs, failures, record


def _write(path: Path, data: bytes) -> dict[str, Any]:
    return {"sha256": write_atomic(path, data)}


def _write_parquet(path: Path, frame: pd.DataFrame) -> dict[str, Any]:
    return {"sha256": write_parquet_atomic(frame, path)}


def _write_steps(folder: Path, store: ChunkStore, owned: dict[str, int],
                 kept: Callable[[str], pd.Series]) -> dict[str, Any]:
    """One part per chunk with the series of its runs in the plan: a hard link to the chunk's file when that is all.

    ``owned`` counts each chunk's runs in the plan; ``kept`` names them, for a chunk that holds others too.
    """
    folder.mkdir(exist_ok=True)
    parts: dict[str, Any] = {}
    for chunk, count in owned.items():
        if not store.has(chunk, "steps"):
            continue
        source = store.path_of(chunk, "steps")
        meta = store.chunks[chunk]["files"]["steps"]
        if count == store.rows([chunk]):
            name = f"part-{chunk}.parquet"
            _link(source, folder / name)
            parts[name] = {"rows": meta["rows"], "sha256": meta["sha256"]}
        else:  # some of its runs left the plan: a filtered copy, named after the runs it keeps
            keep = sorted(kept(chunk))
            steps = pd.read_parquet(source)
            steps = steps[steps["run_id"].isin(keep)].reset_index(drop=True)
            name = f"part-{chunk}-{hashlib.sha256(' '.join(keep).encode()).hexdigest()[:8]}.parquet"
            parts[name] = _write_parquet(folder / name, steps) | {"rows": len(steps)}
    for path in folder.glob("*.parquet"):
        if path.name not in parts:
            path.unlink()
    return parts


def _link(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` atomically: a hard link (no copy, no space) where the filesystem allows one."""
    if target.exists() and os.path.samefile(source, target):
        return  # already there (and rename() of one link onto another of the same file would do nothing)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def table_problems(root: Path, record: dict[str, Any]) -> list[str]:
    """What in the derived tables differs from the record the manifest holds ([] when they verify)."""
    problems = []
    files = {name: meta for name, meta in record.items() if name != "steps.parquet"}
    parts = record.get("steps.parquet", {})
    on_disk = {p.name for p in (root / "steps.parquet").glob("*.parquet")}
    files |= {f"steps.parquet/{name}": meta for name, meta in parts.items()}
    for name, meta in files.items():
        path = root / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != meta["sha256"]:
            problems.append(f"{name} differs from its checksum")
    problems += [f"steps.parquet/{name} was not written by the batch" for name in sorted(on_disk - set(parts))]
    return problems
