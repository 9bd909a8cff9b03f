"""Reading a finished batch as tidy, joined tables: for notebooks, exports and comparisons of two batches.

:func:`load` verifies the folder first (a running, unfinished or damaged batch is refused, as
``sim report`` refuses it), then reads every table with the dtypes a reader expects: ``measures``
as text with ``""`` for no measures (``pd.read_csv`` alone would make it NaN), and the weekly
series joined with each run's structure, measures, design point and varied factors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.batch.tables import factors
from sim.experiments.intervals import ci_half_width, welch_interval
from sim.simulation.metrics import CRITERIA, RECORDED

SUMMARY_NUMBERS = ("points", "n", "mean", "std", "ci95_low", "ci95_high")


@dataclass
class Results:
    """The tables of one finished batch."""

    folder: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    summary: pd.DataFrame
    summary_by_point: pd.DataFrame | None
    failures: pd.DataFrame
    steps: pd.DataFrame | None

    @property
    def factors(self) -> list[str]:
        """The varied parameters and structural fields: the columns between the identity and the metrics."""
        return factors(self.runs)


def read_summary_csv(path: Path) -> pd.DataFrame:
    """A summary CSV with ``measures`` as text (``""`` kept) and its statistics as numbers."""
    table = pd.read_csv(path, dtype={"measures": str, "structure": str, "outcome": str}, keep_default_na=False,
                        na_values={c: ["", "nan", "inf"] for c in SUMMARY_NUMBERS})
    for column in SUMMARY_NUMBERS:
        if column in table:
            table[column] = pd.to_numeric(table[column], errors="coerce")
    return table


def load(folder: str | os.PathLike[str], *, steps: bool = True) -> Results:
    """A finished batch's tables, verified against their checksums; ``steps=False`` skips the weekly series."""
    from sim.experiments.batch import verify_results

    root = Path(folder)
    verify_results(root)
    scenario = json.loads((root / "manifest.json").read_text(encoding="utf-8")).get("scenario", {})
    if isinstance(scenario, dict) and scenario.get("search"):
        raise ValueError(f"{root} holds a search (candidates.parquet, pareto.parquet), not a batch; export and diff "
                         "read batch folders. Read the search's tables with pandas.read_parquet, or see its "
                         "report.html.")
    runs = pd.read_parquet(root / "runs.parquet")
    runs["measures"] = runs["measures"].fillna("").astype(str)
    by_point = root / "summary_by_point.csv"
    series = None
    if steps and (root / "steps.parquet").is_dir():
        series = pd.read_parquet(root / "steps.parquet")
        labels = runs[[c for c in runs.columns if c not in RECORDED]]
        series = labels.merge(series, on="run_id", how="right", validate="one_to_many")
        series = series.sort_values(["run_id", "week"], kind="stable").reset_index(drop=True)
    return Results(folder=root, manifest=json.loads((root / "manifest.json").read_text(encoding="utf-8")), runs=runs,
                   summary=read_summary_csv(root / "summary.csv") if (root / "summary.csv").is_file()
                   else pd.DataFrame(),
                   summary_by_point=read_summary_csv(by_point) if by_point.is_file() else None,
                   failures=pd.read_parquet(root / "failures.parquet"), steps=series)


# what two batches may differ in and still be compared group by group: what is compared (structures and measure sets,
# with their declarations), how many runs there are, and what does not change a run's result
COMPARED = frozenset({"structures", "measures", "models", "declared_measures", "replications", "name", "description",
                      "output", "run_time_limit", "structure_file", "cluster", "series", "municipality_table",
                      "calibration"})


def incomparable(a: Results, b: Results) -> list[str]:
    """``field: A -> B`` for each difference between two batches other than in what is compared (:data:`COMPARED`).

    The scenario fields that decide a run's result (weeks, seed, parameters, premises, data, engine), the design,
    and the version and code that made them; an empty list means the two can be compared.
    """
    from sim.experiments.batch.fingerprint import differences

    def basis(manifest: dict[str, Any]) -> dict[str, Any]:
        scenario = manifest.get("scenario", {}) if isinstance(manifest.get("scenario"), dict) else {}
        found = manifest.get("fingerprint", {}) if isinstance(manifest.get("fingerprint"), dict) else {}
        kept = {**{k: v for k, v in scenario.items() if k not in COMPARED},
                **{k: v for k, v in found.get("scenario", {}).items() if k not in COMPARED}}
        return {**kept, "version": found.get("version"), "code": found.get("code")}

    return differences(basis(a.manifest), basis(b.manifest))


def diff(a: Results, b: Results, outcomes: tuple[str, ...] = CRITERIA, *, allow_different: bool = False) -> pd.DataFrame:
    """Group by group, ``b`` minus ``a``: each outcome's means and the difference with its 95 % CI.

    Refused (ValueError naming the fields) where the batches differ in more than structures and measure sets
    (:func:`incomparable`) unless ``allow_different``.

    Where a group's runs have the same seeds in both batches (same scenario seed and run
    identities), they pair up and the interval is the paired t interval; otherwise Welch's.
    Groups are matched on structure, measures and every structural field both batches record;
    the design points are pooled unless both batches vary the same parameters (then per point
    values).  ``only_in`` says where a group is missing.
    """
    fields = incomparable(a, b)
    if fields and not allow_different:
        shown = "; ".join(fields[:6]) + (f"; and {len(fields) - 6} more" if len(fields) > 6 else "")
        raise ValueError(f"{a.folder} and {b.folder} are not comparable: they differ in more than structures and "
                         f"measure sets ({shown}); a difference between them would mix these in. Compare batches of "
                         "one scenario, or pass --allow-different (allow_different=True) to compare anyway.")
    shared = [c for c in a.factors if c in b.factors]
    keys = ["structure", "measures", *shared]
    ga = dict(tuple(g) for g in a.runs.groupby(keys, sort=False)) if len(a.runs) else {}
    gb = dict(tuple(g) for g in b.runs.groupby(keys, sort=False)) if len(b.runs) else {}
    rows = []
    for key in [*ga, *(k for k in gb if k not in ga)]:
        label = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        if key not in ga or key not in gb:
            rows.append({**label, "outcome": None, "only_in": "A" if key in ga else "B"})
            continue
        # the same seeds on both sides (one scenario seed, the same run identities): the runs pair up
        pairs = ga[key].merge(gb[key], on=["point", "replication", "seed"], suffixes=("_a", "_b"))
        paired = len(pairs) == len(ga[key]) == len(gb[key])
        for outcome in outcomes:
            x, y = ga[key][outcome].to_numpy(float), gb[key][outcome].to_numpy(float)
            if paired:
                d_runs = pairs[f"{outcome}_b"].to_numpy(float) - pairs[f"{outcome}_a"].to_numpy(float)
                d, half = float(d_runs.mean()), ci_half_width(d_runs)
                low, high = d - half, d + half
            else:
                d, low, high = welch_interval(x, y)
            rows.append({**label, "outcome": outcome, "n_a": len(x), "n_b": len(y), "mean_a": float(np.mean(x)),
                         "mean_b": float(np.mean(y)), "difference": d, "ci95_low": low, "ci95_high": high,
                         "interval": "paired" if paired else "Welch", "differs": bool(low > 0 or high < 0),
                         "only_in": ""})
    return pd.DataFrame(rows)


def within(results: Results, a: str, b: str) -> tuple[Results, Results]:
    """Two structures of one batch as two sides for :func:`diff`: the runs of ``a`` and of ``b``, each labelled
    ``"b vs a"`` so that their groups (per measure set and design point) meet; a ValueError naming the structures
    the batch has when either is not among them or they are the same."""
    have = list(dict.fromkeys(results.runs["structure"]))
    missing = [s for s in (a, b) if s not in have]
    if missing or a == b:
        problem = f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in it" if missing else \
            f"both are {a}"
        raise ValueError(f"--structures A B compares two structures of {results.folder}; {problem} (it has "
                         f"{', '.join(have)}).")
    def side(structure: str) -> Results:
        return replace(results, runs=results.runs[results.runs["structure"] == structure].assign(structure=f"{b} vs {a}"))

    return side(a), side(b)


def export(results: Results, *, xlsx: str | os.PathLike[str] | None = None,
           csv: str | os.PathLike[str] | None = None, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the tables as one Excel workbook (a sheet each; needs openpyxl) and/or as CSV files in a folder;
    ``progress`` is told each table as it starts (a large sheet takes a minute).

    The CSV folder must be new, empty or an earlier export's (``export.json`` in it); an existing file is never
    overwritten by the workbook unless it is one (``.xlsx``).  A full disk raises OSError naming the file.
    """
    from sim.experiments.runner import claim_folder, output_path, write_atomic

    if csv is not None:
        claim_folder(output_path(csv, "--csv"), "--csv")
    if xlsx is not None:
        book = output_path(xlsx, "--xlsx")
        if book.suffix.lower() != ".xlsx":
            raise ValueError(f"--xlsx {book}: name the workbook FILE.xlsx.")
        if book.exists() and not book.is_file():
            raise ValueError(f"--xlsx {book} is a folder, not a file; name the workbook FILE.xlsx.")
    try:
        return _export(results, xlsx, csv, write_atomic, progress or (lambda _: None))
    except OSError as exc:
        where = exc.filename or csv or xlsx
        raise OSError(exc.errno, f"cannot write {where} ({exc.strerror or exc}); free space or choose another "
                                 f"place (--csv FOLDER, --xlsx FILE), then run `sim export {results.folder}` again",
                      str(where)) from None


def _export(results: Results, xlsx: str | os.PathLike[str] | None, csv: str | os.PathLike[str] | None,
            write_atomic: Any, say: Callable[[str], None]) -> list[Path]:
    tables = {"runs": results.runs, "summary": results.summary, "failures": results.failures}
    if results.summary_by_point is not None:
        tables["summary_by_point"] = results.summary_by_point
    if results.steps is not None:
        tables["steps"] = results.steps
    written = []
    if csv is not None:
        folder = Path(csv)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "export.json", json.dumps({"from": str(results.folder), "tables": list(tables)}).encode())
        for name, frame in tables.items():
            say(f"writing {folder / f'{name}.csv'} ({len(frame):,} rows)")
            frame.to_csv(folder / f"{name}.csv", index=False)
            written.append(folder / f"{name}.csv")
    if xlsx is not None:
        try:
            import openpyxl  # noqa: F401 - pandas' engine; checked here to say what to install
        except ImportError:
            raise ValueError("an Excel export needs openpyxl: pip install 'samordning-sim[excel]' "
                             "(or pip install openpyxl)") from None
        path = Path(xlsx)
        limit = 1_048_575  # rows an Excel sheet holds, less the header
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, frame in tables.items():
                if len(frame) > limit:
                    say(f"leaving out sheet {name}: {len(frame):,} rows are more than a sheet holds")
                    continue  # a sheet cannot hold it: the CSV export or the Parquet folder can
                say(f"writing sheet {name} of {path} ({len(frame):,} rows)")
                frame.to_excel(writer, sheet_name=name, index=False)
            readme = pd.DataFrame({"what": [f"{name}: {len(frame):,} rows" + (" (too many for a sheet: not "
                                                                                "included)" if len(frame) > limit
                                                                                else "")
                                            for name, frame in tables.items()]
                                   + [f"from {results.folder}, scenario {results.manifest['scenario'].get('name')}"]})
            readme.to_excel(writer, sheet_name="about", index=False)
            say(f"saving {path}")
        written.append(path)
    return written
