"""How every figure is made: one set of rc settings, Figures without pyplot, grids of panels."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

RC = {"font.size": 10, "axes.titlesize": 10.5, "axes.labelsize": 10, "legend.fontsize": 9, "legend.title_fontsize": 9,
      "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.titlesize": 12, "axes.spines.top": False,
      "axes.spines.right": False, "axes.grid": False, "grid.alpha": 0.3, "legend.frameon": False}
DPI = 150


def styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build the figure under the shared rc settings (font sizes, spines), so every figure looks alike."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], layout: str = "constrained",
             **kwargs: Any) -> tuple[Figure, Any]:
    """A new Figure with its axes, outside pyplot: no global figure list to leak into, no GUI backend needed,
    and a notebook shows a returned figure once."""
    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def wrap(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def hide_unused(axes: np.ndarray, used: int) -> None:
    for ax in axes.flat[used:]:
        ax.remove()
