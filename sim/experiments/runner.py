"""Running one simulation to a result table (the unit every batch is made of); the atomic writes results go through."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.simulation.checks import MAX_WEEKS, shown, whole_number
from sim.simulation.model import CoordinationModel
from sim.simulation.structures import Measure, OrganisationModel


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


class _Hashed:
    """A binary file seen through: what is written to it also goes into a SHA-256 (Arrow writes Parquet here)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file, self.sha256 = file, hashlib.sha256()
        self.closed = False

    def write(self, data: bytes | memoryview) -> int:
        self.sha256.update(data)
        return self._file.write(data)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:  # the writer's close; the file itself is closed by whoever opened it
        self.closed = True


def write_atomic(path: Path, data: bytes | memoryview | Callable[[BinaryIO], object]) -> str:
    """Write then rename, so a reader or a killed process never sees half a file; return the SHA-256 of what was written.

    ``data`` is the bytes, or a function that writes them to the file it is given.  They go through
    Python's own file calls, so a full disk raises ``OSError`` with its errno and the path, and the
    temporary file is removed on any failure (a kill leaves a hidden ``.*.tmp`` that a resumed batch
    removes).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            sink = _Hashed(f)
            if callable(data):
                data(sink)
            else:
                sink.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None:  # name the file meant, not its temporary
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    return sink.sha256.hexdigest()


def write_parquet_atomic(frame: pd.DataFrame, path: Path, metadata: dict[str, str] | None = None) -> str:
    """Write ``frame`` as Parquet with :func:`write_atomic` (``metadata``: extra key-value pairs in its schema); its SHA-256.

    Converted and written :data:`ROW_GROUP` rows at a time (one row group each) straight into the
    file, so writing a table costs one row group's memory, not a copy of the table or of the file
    (the runs table of a 40,000-run batch raised the parent's peak by 26 MiB as bytes in memory).
    """
    def fill(sink: BinaryIO) -> None:
        schema, writer = None, None
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

    return write_atomic(path, fill)


# files that make a folder one of this tool's results folders: a batch's or search's manifest, its chunk index, a
# calibration's record, an export's record, a single run's table
TOOL_MARKERS = ("manifest.json", ".chunks/index.json", ".chunks", "calibration.json", "export.json", "steps.parquet")
# what this tool leaves in a folder before anything else (the lock, a write probe, temporary files)
_LEFTOVERS = (".lock", ".write-test-")


def output_path(out: object, what: str = "out") -> Path:
    """``out`` as a Path: a non-empty str or os.PathLike (bytes, numbers and "" are refused with ValueError)."""
    if isinstance(out, bytes) or not isinstance(out, str | os.PathLike):
        raise ValueError(f"{what} must be a folder path (str or pathlib.Path), got {shown(out)}.")
    text = os.fspath(out)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{what} must be a folder path, got {shown(out)} (an empty path would write into the "
                         "current folder).")
    return Path(text)


def claim_folder(directory: Path, what: str = "output folder") -> None:
    """Refuse (ValueError) a folder this tool must not write: not a folder, or holding files of someone else.

    A results folder is written only where it does not exist yet, is empty, or already is a results folder
    of this tool (one of :data:`TOOL_MARKERS` present), so that a user's own files are never overwritten.
    """
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{what} {directory} is a file, not a folder; choose a folder.")
    if not directory.is_dir() or any((directory / marker).exists() for marker in TOOL_MARKERS):
        return
    try:
        names = sorted(e.name for e in os.scandir(directory) if not e.name.startswith(_LEFTOVERS)
                       and not (e.name.startswith(".") and e.name.endswith(".tmp")))
    except OSError as exc:
        raise ValueError(f"{what} {directory} cannot be read ({exc.strerror}).") from None
    if names:
        listed = ", ".join(shown(n).strip("'") for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5
                                                                     else "")
        raise ValueError(f"{what} {directory} holds files that are not results of this tool ({listed}); they would "
                         "be overwritten. Choose an empty or new folder, or one this tool wrote.")


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
