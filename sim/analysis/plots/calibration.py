"""The calibration in figures: the screen, each posterior against its prior, the pairs, the profiles, the generations.

Read from the output folder of ``sim calibrate`` (``screen.csv``, ``posterior.parquet``,
``profiles.csv``, ``diagnostics.json``) and written to its ``figures/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.simulation.parameters import PRIOR

from .canvas import DPI, hide_unused, styled, subplots, wrap

SHOWN_INDEX = 0.05  # a parameter appears in the screen figure if its total-order index reaches this somewhere


@styled
def screen_indices(table: pd.DataFrame) -> Figure:
    """Total-order Sobol' index of each parameter (rows) on each summary (columns); the calibrated ones marked."""
    wide = table.pivot_table(index="parameter", columns="summary", values="ST", sort=False).clip(lower=0)
    wide = wide[wide.max(axis=1) >= SHOWN_INDEX]
    chosen = set(table.loc[table["calibrated_B"], "parameter"])
    fig, ax = subplots(figsize=(2.5 + 0.32 * wide.shape[1], 1.5 + 0.28 * len(wide)))
    image = ax.imshow(wide.to_numpy(float), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(wide.shape[1]), [c.replace("order|", "").replace("|", " ") for c in wide.columns],
                  rotation=75, ha="right", fontsize=7)
    ax.set_yticks(range(len(wide)), [f"{p} *" if p in chosen else p for p in wide.index], fontsize=8)
    fig.colorbar(image, ax=ax, label="total-order index ST")
    ax.set_title(f"Screen: Sobol' total-order indices (parameters with ST >= {SHOWN_INDEX:g} somewhere; * calibrated)")
    return fig


@styled
def posterior_marginals(posterior: pd.DataFrame, label: str) -> Figure:
    """Each calibrated parameter's weighted posterior histogram over its prior's range (the prior is flat)."""
    names = [c for c in posterior.columns if c in PRIOR]
    rows, cols = wrap(len(names), 4)
    fig, axes = subplots(rows, cols, figsize=(3.2 * cols, 2.3 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        prior = PRIOR[name]
        ax.hist(posterior[name], bins=25, range=(prior.low, prior.high), weights=posterior["weight"], density=True,
                color="#4C72B0", alpha=0.8)
        ax.axhline(1 / (prior.high - prior.low), color="grey", linestyle="--", linewidth=1)
        ax.set_xlim(prior.low, prior.high)
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
    hide_unused(axes, len(names))
    fig.suptitle(f"Calibration {label}: posterior (bars) against the uniform prior (dashed)")
    return fig


@styled
def posterior_pairs(posterior: pd.DataFrame, label: str, most: int = 8) -> Figure:
    """Pairwise scatter of the calibrated parameters (the first ``most``), dot size by weight."""
    names = [c for c in posterior.columns if c in PRIOR][:most]
    n = len(names)
    fig, axes = subplots(n, n, figsize=(1.7 * n + 1, 1.7 * n + 1), squeeze=False)
    size = 200 * posterior["weight"].to_numpy(float) / posterior["weight"].max()
    for i, y in enumerate(names):
        for j, x in enumerate(names):
            ax = axes[i, j]
            if i == j:
                ax.hist(posterior[x], bins=20, weights=posterior["weight"], color="#4C72B0")
            else:
                ax.scatter(posterior[x], posterior[y], s=size * 0.05, alpha=0.4, color="#4C72B0")
            ax.set_xlim(PRIOR[x].low, PRIOR[x].high)
            if i != j:
                ax.set_ylim(PRIOR[y].low, PRIOR[y].high)
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(x, fontsize=7)
            if j == 0:
                ax.set_ylabel(y, fontsize=7)
    fig.suptitle(f"Calibration {label}: pairs of the posterior")
    return fig


@styled
def profiles(table: pd.DataFrame) -> Figure:
    """The distance as each calibrated parameter moves across its prior, the others at their posterior medians."""
    names = list(dict.fromkeys(table["parameter"]))
    rows, cols = wrap(len(names), 4)
    fig, axes = subplots(rows, cols, figsize=(3.2 * cols, 2.3 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        part = table[table["parameter"] == name]
        ax.plot(part["value"], part["distance"], marker="o", color="#4C72B0")
        ax.axvline(part["median"].iloc[0], color="grey", linestyle=":", linewidth=1)
        ax.set_title(name, fontsize=9)
    hide_unused(axes, len(names))
    fig.suptitle("Calibration A: profiles of the distance (posterior median dotted)")
    return fig


@styled
def generations(diagnostics: dict) -> Figure:
    """Each calibration's threshold and acceptance rate per generation."""
    fig, axes = subplots(1, 2, figsize=(9, 3.2))
    for label in ("A", "B"):
        frame = pd.DataFrame(diagnostics.get(label, {}).get("generations", []))
        if frame.empty:
            continue
        axes[0].plot(frame["t"], frame["epsilon"], marker="o", label=label)
        axes[1].plot(frame["t"], frame["acceptance_rate"], marker="o", label=label)
    axes[0].set(xlabel="generation", ylabel="epsilon (distance threshold)", yscale="log")
    axes[1].set(xlabel="generation", ylabel="acceptance rate")
    axes[1].legend(title="calibration")
    return fig


def save_calibration_figures(folder: str | Path) -> list[Path]:
    """Every calibration figure the folder's files support, written to ``folder/figures``; their paths."""
    folder = Path(folder)
    out = folder / "figures"
    out.mkdir(exist_ok=True)
    figures: list[tuple[str, Figure]] = []
    if (folder / "screen.csv").is_file():
        figures.append(("screen", screen_indices(pd.read_csv(folder / "screen.csv"))))
    if (folder / "posterior.parquet").is_file():
        posterior = pd.read_parquet(folder / "posterior.parquet")
        for label, part in posterior.groupby("calibration"):
            kept = part.dropna(axis=1, how="all")
            figures.append((f"posterior_{label}", posterior_marginals(kept, label)))
            figures.append((f"pairs_{label}", posterior_pairs(kept, label)))
    if (folder / "profiles.csv").is_file():
        figures.append(("profiles", profiles(pd.read_csv(folder / "profiles.csv"))))
    if (folder / "diagnostics.json").is_file():
        figures.append(("generations", generations(json.loads((folder / "diagnostics.json").read_text()))))
    paths = []
    for name, figure in figures:
        path = out / f"{name}.png"
        figure.savefig(path, dpi=DPI)
        paths.append(path)
    return paths


__all__ = ["generations", "posterior_marginals", "posterior_pairs", "profiles", "save_calibration_figures",
           "screen_indices"]
