"""Running one simulation to a result table (the unit every batch is made of); the atomic writes results go through."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .checks import MAX_WEEKS, shown, whole_number
from .model import CoordinationModel
from .structures import Measure, OrganisationModel


def run_one(structure: str | OrganisationModel, measures: Sequence[str] | Mapping[str, Measure] = (), *, weeks: int = 520,
            seed: int = 0,
            engine: str = "numba", municipalities: str | os.PathLike[str] | pd.DataFrame = "norway",
            mandate_change_week: int | None = None, rer_pot: str = "national", **parameters: float) -> pd.DataFrame:
    """Simulate ``weeks`` weeks (at least one) and return the metrics, one row per week (week 0 = the start)."""
    weeks = whole_number(weeks, "run_one: weeks", 1, MAX_WEEKS)
    if isinstance(measures, str) or not isinstance(measures, list | tuple | Mapping):
        raise ValueError(f"run_one: measures must be a list of measure names, got {shown(measures)}.")
    model = CoordinationModel(structure=structure, measures=measures, engine=engine,
                              municipalities=municipalities, mandate_change_week=mandate_change_week, rer_pot=rer_pot,
                              rng=seed, **parameters)
    model.run_weeks(weeks)
    return model.weekly_metrics()


ROW_GROUP = 1 << 14  # rows converted and written at a time: a large table is never copied whole into Arrow


def parquet_bytes(frame: pd.DataFrame, metadata: dict[str, str] | None = None) -> memoryview:
    """A frame as a Parquet file in memory (``metadata``: extra key-value pairs stored in its schema).

    Converted and written :data:`ROW_GROUP` rows at a time (one row group each), and handed
    back without a copy, so writing a table costs its compressed size, not twice its size.
    """
    schema, sink, writer = None, pa.BufferOutputStream(), None
    for start in range(0, max(len(frame), 1), ROW_GROUP):
        table = pa.Table.from_pandas(frame.iloc[start:start + ROW_GROUP], schema=schema, preserve_index=False)
        if writer is None:
            schema = table.schema
            if metadata:
                schema = schema.with_metadata({**(schema.metadata or {}),
                                               **{k.encode(): v.encode() for k, v in metadata.items()}})
                table = table.replace_schema_metadata(schema.metadata)
            writer = pq.ParquetWriter(sink, schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return memoryview(sink.getvalue())


def write_atomic(path: Path, data: bytes | memoryview) -> str:
    """Write then rename, so a reader or a killed process never sees half a file; return the SHA-256 of ``data``.

    The bytes go through Python's own file calls, so a full disk raises ``OSError`` with its errno and the
    path, and the temporary file is removed on any failure (a kill leaves a hidden ``.*.tmp`` that a
    resumed batch removes).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None:  # name the file meant, not its temporary
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    return hashlib.sha256(data).hexdigest()


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> str:
    """Write ``frame`` as Parquet with :func:`write_atomic`; return its SHA-256."""
    return write_atomic(path, parquet_bytes(frame))


def check_writable(directory: Path) -> None:
    """Create ``directory`` if needed and prove it can be written, before any run starts.

    The ``OSError`` keeps its errno, so the command line can tell a path that cannot be a folder
    (bad input) from a disk without space or rights (an environment fault).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OSError(exc.errno, f"output folder {str(directory)!r} cannot be written ({exc.strerror}); "
                                 "choose a folder you can write to with --out") from None
