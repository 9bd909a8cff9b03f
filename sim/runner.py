"""Running one simulation to a result table: the unit every batch is made of."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .model import CoordinationModel


def run_one(structure: str, measures: tuple[str, ...] | list[str] = (), *, weeks: int = 520, seed: int = 0,
            engine: str = "numba", municipalities: str | os.PathLike[str] | pd.DataFrame = "norway",
            mandate_change_week: int | None = None, **parameters: float) -> pd.DataFrame:
    """Simulate ``weeks`` weeks and return the metrics, one row per week (week 0 = the start)."""
    model = CoordinationModel(structure=structure, measures=tuple(measures), engine=engine,
                              municipalities=municipalities, mandate_change_week=mandate_change_week, rng=seed,
                              **parameters)
    model.run_weeks(weeks)
    steps = model.datacollector.get_model_vars_dataframe()
    steps.insert(0, "week", range(len(steps)))
    return steps.reset_index(drop=True)


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write then rename, so a reader or a killed process never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def check_writable(directory: Path) -> None:
    """Create ``directory`` if needed and prove it can be written, before any run starts."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OSError(f"output folder {str(directory)!r} cannot be written ({exc.strerror}); "
                      "choose a folder you can write to with --out.") from None
