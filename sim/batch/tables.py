"""The tables a batch derives from its chunks, rebuilt together so that no file describes other runs than another.

``runs.parquet``, ``failures.parquet``, ``summary.csv``, ``summary_by_point.csv`` and the parts of
``steps.parquet/`` are written from the committed chunks of the current plan whenever an
invocation completes.  Their row counts and checksums go into ``manifest.json``, which is written
after them, so a reader can verify that what it reads is what the batch wrote.  ``figures/`` and
``report.html`` are made from the tables, so they are removed whenever the tables change.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..metrics import METRICS
from ..parameters import BY_NAME
from ..runner import parquet_bytes, write_atomic
from ..scenario import Scenario
from ..structural import as_column, is_structural, recorded, value_of
from ..structures import check_structure
from .specs import RunSpec
from .store import ChunkStore

IDENTITY = ["run_id", "structure", "measures", "point", "replication", "seed"]
FAILURE_COLUMNS = ["run_id", "status", "error", "traceback"]


def summarise(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, standard deviation and 95 % confidence interval of every outcome, per group (long format).

    One array operation per group over all outcomes (each outcome's values reduced as a contiguous
    row, as :func:`~sim.intervals.ci_half_width` reduces them), so a search's thousands of groups
    take seconds; the t quantile is computed once per group size.
    """
    outcomes = list(METRICS)
    keys, means, stds, sizes = [], [], [], []
    for key, group in runs.groupby(by, sort=False):
        values = np.ascontiguousarray(group[outcomes].to_numpy(float).T)  # one row per outcome
        keys.append(key if isinstance(key, tuple) else (key,))
        means.append(values.mean(axis=1))
        stds.append(values.std(axis=1, ddof=1) if values.shape[1] > 1 else np.full(len(outcomes), math.nan))
        sizes.append(values.shape[1])
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
    return [c for c in runs.columns if c not in IDENTITY and c not in METRICS]


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


def current_points(runs: pd.DataFrame, specs: list[RunSpec]) -> np.ndarray:
    """Point numbers of the current design (a run keeps its identity when an extended design renumbers points)."""
    point = {s.run_id: s.point for s in specs}
    return runs["run_id"].map(point).to_numpy()


def tidy(runs: pd.DataFrame, scenario: Scenario, specs: list[RunSpec]) -> pd.DataFrame:
    """Plan order, current point numbers, fixed column order, every varied factor's value in every row.

    A structural field a run did not vary holds its structure's own value, so runs can be
    grouped by any structural choice.
    """
    order = {s.run_id: k for k, s in enumerate(specs)}
    runs = runs.iloc[np.argsort(runs["run_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    runs["point"] = current_points(runs, specs)
    varied = sorted({name for s in specs for name, _ in s.parameters})
    for name in varied:
        if is_structural(name):
            own = {s: recorded(value_of(check_structure(scenario.organisation(s)), name)) for s in scenario.structures}
            column = runs[name] if name in runs else pd.Series(None, index=runs.index, dtype=object)
            runs[name] = as_column(name, column.where(column.notna(), runs["structure"].map(own)))
            continue
        fallback = scenario.parameters.get(name, BY_NAME[name].default)
        runs[name] = runs[name].fillna(fallback).astype(float) if name in runs else float(fallback)
    return runs[[*IDENTITY, *varied, *METRICS]]


def write_tables(root: Path, store: ChunkStore, chunks: list[str], scenario: Scenario, specs: list[RunSpec],
                 previous: dict[str, Any] | None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Rebuild every derived table from ``chunks`` for the runs of ``specs``; return runs, failures and their record.

    ``previous`` is the record the manifest holds; when the new one differs, the figures and
    report made from the old tables are removed.
    """
    planned = pd.Index([s.run_id for s in specs])
    frames = [pd.read_parquet(store.path_of(c, "runs")).assign(_chunk=c) for c in chunks if store.has(c, "runs")]
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run_id", "_chunk"])
    # a run is saved once; if ever twice, its first chunk's copy counts (one pass: a search has thousands of chunks)
    runs = runs[runs["run_id"].isin(planned)].drop_duplicates("run_id", keep="first")
    by_chunk = runs.groupby("_chunk", sort=False)["run_id"]
    kept = {chunk: sorted(ids) for chunk, ids in by_chunk}
    owned: dict[str, list[str]] = {c: kept[c] for c in chunks if c in kept}  # each chunk's runs in the plan
    seen = set(runs["run_id"])
    runs = runs.drop(columns="_chunk").reset_index(drop=True)
    if not runs.empty:
        runs = tidy(runs, scenario, specs)
    else:
        runs = pd.DataFrame()
    failed = store.read(chunks, "failures")
    failures = (pd.concat(failed, ignore_index=True) if failed else pd.DataFrame(columns=FAILURE_COLUMNS))
    failures = failures[failures["run_id"].isin(planned) & ~failures["run_id"].isin(seen)]
    failures = failures.drop_duplicates("run_id", keep="last").reset_index(drop=True)

    record: dict[str, Any] = {name: _write(root / name, parquet_bytes(frame)) | {"rows": len(frame)}
                              for name, frame in (("runs.parquet", runs), ("failures.parquet", failures))}
    for name, by in summary_groups(runs, scenario).items():
        if by is not None and not runs.empty:
            record[name] = _write(root / name, summary_table(runs, by).to_csv(index=False).encode())
        else:
            (root / name).unlink(missing_ok=True)
    record["steps.parquet"] = _write_steps(root / "steps.parquet", store, owned)
    municipal = [frame[frame["run_id"].isin(keep)] for chunk, keep in owned.items() if store.has(chunk, "municipalities")
                 for frame in store.read([chunk], "municipalities")]
    if municipal:
        table = pd.concat(municipal, ignore_index=True)
        order = {r: k for k, r in enumerate(runs["run_id"])}
        table = table.iloc[np.argsort(table["run_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
        record["municipalities.parquet"] = _write(root / "municipalities.parquet", parquet_bytes(table)) | {
            "rows": len(table)}
    else:
        (root / "municipalities.parquet").unlink(missing_ok=True)
    if record != (previous or {}).get("tables"):
        shutil.rmtree(root / "figures", ignore_errors=True)
        (root / "report.html").unlink(missing_ok=True)
    return runs, failures, record


def _write(path: Path, data: bytes) -> dict[str, Any]:
    return {"sha256": write_atomic(path, data)}


def _write_steps(folder: Path, store: ChunkStore, owned: dict[str, list[str]]) -> dict[str, Any]:
    """One part per chunk with the series of its runs in the plan: a hard link to the chunk's file when that is all."""
    folder.mkdir(exist_ok=True)
    parts: dict[str, Any] = {}
    for chunk, keep in owned.items():
        if not keep or not store.has(chunk, "steps"):
            continue
        source = store.path_of(chunk, "steps")
        meta = store.chunks[chunk]["files"]["steps"]
        if len(keep) == store.rows([chunk]):
            name = f"part-{chunk}.parquet"
            _link(source, folder / name)
            parts[name] = {"rows": meta["rows"], "sha256": meta["sha256"]}
        else:  # some of its runs left the plan: a filtered copy, named after the runs it keeps
            steps = pd.read_parquet(source)
            steps = steps[steps["run_id"].isin(keep)].reset_index(drop=True)
            name = f"part-{chunk}-{hashlib.sha256(' '.join(keep).encode()).hexdigest()[:8]}.parquet"
            parts[name] = _write(folder / name, parquet_bytes(steps)) | {"rows": len(steps)}
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
