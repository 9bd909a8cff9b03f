"""Every figure a batch's data supports, written as PNG files (what ``sim report`` embeds)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.batch.tables import factors
from sim.simulation.metrics import CRITERIA

from .assignments import assignment_flow
from .canvas import DPI
from .coverage import coverage_by_size_class
from .criteria import criteria_by_model
from .measures import measure_differences, measure_effects
from .sensitivity import read_sensitivity, sensitivity_indices
from .staircase import staircase_over_time
from .sweeps import sweep_response


def save_batch_figures(folder: str | Path, runs: pd.DataFrame, *, steps: pd.DataFrame | None = None,
                       sensitivity: pd.DataFrame | None = None, out: str | Path | None = None) -> list[Path]:
    """Write every figure the batch's data supports into ``out`` (default ``folder/figures``); return the paths.

    Always ``criteria.png``, ``assignments.png`` and ``coverage.png``; ``staircase.png`` when
    the weekly series exist (``steps``, default: ``folder/steps.parquet/``); ``measures.png``
    when the batch has runs without measures and with some, for the same model;
    ``sweep_<parameter>.png`` for each parameter the design varies; ``sensitivity.png`` when
    there are sensitivity indices (``sensitivity``, default: ``folder/sensitivity.csv``).
    """
    folder = Path(folder)
    target = Path(out) if out is not None else folder / "figures"
    target.mkdir(parents=True, exist_ok=True)
    if steps is None and (folder / "steps.parquet").is_dir():
        steps = pd.read_parquet(folder / "steps.parquet")
    if sensitivity is None and (folder / "sensitivity.csv").is_file():
        sensitivity = read_sensitivity(folder / "sensitivity.csv")
    jobs: list[tuple[str, Callable[[], Figure]]] = [("criteria.png", lambda: criteria_by_model(runs))]
    if steps is not None and not steps.empty:
        jobs.append(("staircase.png", lambda: staircase_over_time(steps, runs)))
    jobs.append(("assignments.png", lambda: assignment_flow(runs, steps)))
    jobs.append(("coverage.png", lambda: coverage_by_size_class(runs)))
    if not measure_differences(runs, CRITERIA[:1]).empty:
        jobs.append(("measures.png", lambda: measure_effects(runs)))
    for parameter in factors(runs):
        if runs[parameter].nunique() > 1:
            jobs.append((f"sweep_{parameter}.png", lambda p=parameter: sweep_response(runs, p)))
    if sensitivity is not None and not sensitivity.empty:
        jobs.append(("sensitivity.png", lambda: sensitivity_indices(sensitivity)))
    paths = []
    for name, make in jobs:
        make().savefig(target / name, dpi=DPI)
        paths.append(target / name)
    return paths
