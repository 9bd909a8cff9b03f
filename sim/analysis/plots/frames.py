"""What a figure is given, read alike: a batch's runs and weekly series, or one run's weekly frame."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def as_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """A batch's runs as they are; one run's weekly frame (``sim run``, a DataCollector frame) as its last week."""
    if "run_id" in frame:
        return frame
    if "week" not in frame:
        raise ValueError("expected a batch's runs (runs.parquet) or one run's weekly frame (with a 'week' column).")
    last = as_steps(frame).iloc[[-1]].reset_index(drop=True)
    return last.assign(point=0, replication=0)


def as_steps(frame: pd.DataFrame) -> pd.DataFrame:
    """Weekly series with a ``run_id``: a batch's as they are; one run's labelled as the run ``single``."""
    if "run_id" in frame:
        return frame
    out = frame.reset_index(drop=True).copy()
    if "week" not in out:
        out.insert(0, "week", range(len(out)))
    out.insert(0, "run_id", "single")
    if "structure" not in out:
        out["structure"] = "run"
    out["measures"] = out["measures"].fillna("").astype(str) if "measures" in out else ""
    return out


def with_labels(steps: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Weekly series with each run's structure and measures (as ``runs`` has them)."""
    own = steps.drop(columns=[c for c in ("structure", "measures") if c in steps])
    return own.merge(runs[["run_id", "structure", "measures"]], on="run_id")


def runs_text(n: Sequence[int]) -> str:
    low, high = min(n), max(n)
    return f"{low} run{'s' if low != 1 else ''}" if low == high else f"{low}–{high} runs"


def points_note(runs: pd.DataFrame) -> str:
    points = runs["point"].nunique() if "point" in runs else 1
    return f", pooled over {points} design points" if points > 1 else ""
