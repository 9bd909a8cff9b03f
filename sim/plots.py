"""Figures of batch results (matplotlib); each function returns the Figure."""

from __future__ import annotations

from functools import cache
from importlib import resources

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .batch import ci_half_width  # noqa: E402
from .metrics import CRITERIA, LEVEL_SHARES  # noqa: E402
from .style import LEVEL_COLOURS, LEVEL_NAMES  # noqa: E402



@cache
def report_verdicts() -> pd.DataFrame:
    """The report's own verdicts (seed 000, tables 4-6), one row per model and criterion."""
    with resources.files("sim.data").joinpath("report_verdicts.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f)


def _label(row: pd.Series) -> str:
    return row["structure"] + (f"\n+{row['measures']}" if row["measures"] else "")


def criteria_by_model(runs: pd.DataFrame) -> Figure:
    """The six criteria per model and measure set: mean with 95 % CI, the report's verdict beneath."""
    groups = runs.groupby(["structure", "measures"], sort=False)
    keys = list(groups.groups)
    verdicts = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharey=True, layout="constrained")
    for ax, criterion in zip(axes.flat, CRITERIA, strict=True):
        means = [groups.get_group(k)[criterion].mean() for k in keys]
        halves = [ci_half_width(groups.get_group(k)[criterion].to_numpy(float)) for k in keys]
        x = np.arange(len(keys))
        ax.bar(x, means, yerr=[h if np.isfinite(h) else 0 for h in halves], color="#4c72b0", capsize=3)
        labels = [_label(pd.Series({"structure": s, "measures": m})) + f"\n[{verdicts.get((s, criterion), '–')}]"
                  for s, m in keys]
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_title(criterion.replace("_", " "), fontsize=10)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Criteria at the end of the run: mean and 95 % CI over replications  [report's verdict]")
    return fig


def staircase_over_time(steps: pd.DataFrame, runs: pd.DataFrame) -> Figure:
    """Share of state-actor relations on each staircase step over time, per model (mean over runs)."""
    data = steps.merge(runs[["run_id", "structure", "measures"]], on="run_id")
    keys = list(data.groupby(["structure", "measures"], sort=False).groups)
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.4), sharey=True, layout="constrained",
                             squeeze=False)
    for ax, (structure, measures) in zip(axes[0], keys, strict=True):
        part = data[(data["structure"] == structure) & (data["measures"] == measures)]
        mean = part.groupby("week")[list(LEVEL_SHARES)].mean()
        ax.stackplot(mean.index / 52, mean.T.to_numpy(), colors=LEVEL_COLOURS, labels=LEVEL_NAMES)
        ax.set_title(_label(pd.Series({"structure": structure, "measures": measures})), fontsize=9)
        ax.set_xlabel("years")
        ax.set_xlim(0, mean.index.max() / 52)
    axes[0][0].set_ylabel("share of relations")
    axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title="staircase step")
    fig.suptitle("The coordination staircase (samordningstrappa) over time")
    return fig


def save_batch_figures(folder, runs: pd.DataFrame) -> list:
    """Write the standard figures of a finished batch into ``folder/figures``; return their paths."""
    from pathlib import Path

    out = Path(folder) / "figures"
    out.mkdir(exist_ok=True)
    steps = pd.read_parquet(Path(folder) / "steps.parquet")
    paths = []
    for name, fig in (("criteria.png", criteria_by_model(runs)), ("staircase.png", staircase_over_time(steps, runs))):
        fig.savefig(out / name, dpi=120)
        plt.close(fig)
        paths.append(out / name)
    return paths
