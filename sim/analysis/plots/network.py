"""The state actors as a network: who stands on which step of the coordination staircase with whom.

:func:`actor_network` draws one model's state actors (ministries, directorates,
Statsforvalter offices, KoRus centres) on concentric rings by kind, and
every relation on step 1 or higher as an edge coloured by its step
(:data:`sim.analysis.style.LEVEL_COLOURS`); relations that run through an active arena are
drawn thicker.  The layout depends only on the actor data, so figures of different
weeks, runs and models line up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.simulation.world import DIRECTORATE, KORUS, MINISTRY, STATSFORVALTER

from ..style import LEVEL_COLOURS, LEVEL_NAMES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.simulation.model import CoordinationModel

KIND_NAMES = {MINISTRY: "ministry", DIRECTORATE: "directorate / agency", STATSFORVALTER: "Statsforvalteren",
              KORUS: "KoRus centre"}
KIND_STYLE = {  # marker, face colour, size (points^2)
    MINISTRY: ("s", "#d95f02", 70),
    DIRECTORATE: ("o", "#1b9e77", 60),
    STATSFORVALTER: ("^", "#7570b3", 55),
    KORUS: ("D", "#e7298a", 40),
}
RING_RADIUS = {MINISTRY: 1.0, DIRECTORATE: 2.0, STATSFORVALTER: 3.0, KORUS: 3.0}
EDGE_WIDTH, ARENA_EDGE_WIDTH = 0.9, 2.2
EDGES_GID, NODES_GID = "relations", "actors"


def actor_layout(kind: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Node positions (n_state x 2) on concentric rings, clockwise from the top.

    Directorates sit on the middle ring grouped by owning ministry (a ministry without
    directorates keeps an empty slot); the ministries sit evenly on the inner ring, each
    next to its group, so line relations are short spokes.  KoRus centres take the right half of
    the outer ring (their codes are long), Statsforvalter offices the left half.
    """
    kind, owner = np.asarray(kind), np.asarray(owner)
    pos = np.zeros((len(kind), 2))
    top = np.pi / 2

    def place(i: int, radius: float, angle: float) -> None:
        pos[i] = radius * np.cos(angle), radius * np.sin(angle)

    ministries = [int(i) for i in np.flatnonzero(kind == MINISTRY)]
    directorates = [int(i) for i in np.flatnonzero(kind == DIRECTORATE)]
    groups = [[d for d in directorates if owner[d] == m] for m in ministries]
    groups.append([d for d in directorates if owner[d] not in ministries])  # unowned, if any: last
    slots = sum(max(len(g), 1) for g in groups[:-1]) + len(groups[-1])
    step = 2 * np.pi / max(slots, 1)
    k, centres = 0, []
    for n, group in enumerate(groups):
        width = len(group) if n == len(ministries) else max(len(group), 1)
        for j, d in enumerate(group):
            place(d, RING_RADIUS[DIRECTORATE], top - step * (k + j + 0.5))
        centres.append(top - step * (k + width / 2))
        k += width
    if ministries:  # evenly spaced, in group order, turned to sit as close to their groups as possible
        even = top - 2 * np.pi * (np.arange(len(ministries)) + 0.5) / len(ministries)
        turn = np.angle(np.exp(1j * (np.array(centres[:len(ministries)]) - even)).mean())
        for n, m in enumerate(ministries):
            place(m, RING_RADIUS[MINISTRY], even[n] + turn)
    gap = 0.2  # radians kept free at the top and bottom, where the two halves meet
    for code, start in ((KORUS, top), (STATSFORVALTER, -top)):  # KoRus codes are long: the right half
        members = np.flatnonzero(kind == code)
        step = (np.pi - 2 * gap) / max(len(members) - 1, 1)
        for j, i in enumerate(members):
            place(int(i), RING_RADIUS[code], start - gap - step * j)
    return pos


def actor_network(model: CoordinationModel, ax: Axes | None = None, *, title: str | None = None,
                  legend: str | None = "left") -> Figure:
    """Draw the state actors of ``model`` and their relations on staircase steps 1-4, as they stand now.

    Args:
        model: a :class:`~sim.simulation.model.CoordinationModel` at any week.
        ax: axes to draw into; by default a new figure is made (no pyplot state is touched).
        title: axes title; by default the organisation model, measures and week; ``""`` for none.
        legend: ``"left"`` (staircase steps and actor kinds beside the rings), ``"below"`` (one legend
            under them, for narrow figures) or ``None``.  Outside the axes: use a figure with
            ``layout="constrained"`` when passing ``ax``.

    Returns:
        The figure holding the drawing.  The edges are one ``LineCollection`` with gid
        ``"relations"`` (one segment per relation on step >= 1),
        the actors one scatter per kind with gid ``"actors"``.
    """
    if legend not in ("left", "below", None):
        raise ValueError(f"legend must be 'left', 'below' or None, got {legend!r}.")
    if ax is None:
        fig = Figure(figsize=(8.4, 7.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    w, s = model.world, model.state
    kind = np.asarray(w.kind)
    pos = actor_layout(kind, w.owner)
    codes = [a.code for a in model.state_actors]

    level = np.asarray(s.level)
    arena = np.asarray(s.arena_link, bool)
    shown = np.flatnonzero(level >= 1)
    ministerial = (kind[w.pair_i[shown]] == MINISTRY) | (kind[w.pair_j[shown]] == MINISTRY)
    # drawing order: weak steps first, arena links above others, ministries' relations above the directorates' web
    shown = shown[np.lexsort((arena[shown], level[shown], ministerial))]
    segments = np.stack([pos[w.pair_i[shown]], pos[w.pair_j[shown]]], axis=1) if len(shown) else np.zeros((0, 2, 2))
    edges = LineCollection(segments, colors=[LEVEL_COLOURS[k] for k in level[shown]],
                           linewidths=np.where(arena[shown], ARENA_EDGE_WIDTH, EDGE_WIDTH), zorder=1,
                           capstyle="round", gid=EDGES_GID)
    ax.add_collection(edges)

    halo = [patheffects.withStroke(linewidth=2.0, foreground="white")]
    for k, (marker, colour, size) in KIND_STYLE.items():
        members = np.flatnonzero(kind == k)
        if len(members):
            ax.scatter(pos[members, 0], pos[members, 1], s=size, marker=marker, c=colour, edgecolors="white",
                       linewidths=0.8, zorder=3, gid=NODES_GID, label=KIND_NAMES[k])
    for i, code in enumerate(codes):
        x, y = pos[i]
        r = float(np.hypot(x, y)) or 1.0
        ux, uy = x / r, y / r
        if kind[i] >= STATSFORVALTER:  # outer ring: away from the other half
            ha, va = ("left" if ux > 0 else "right"), ("center" if abs(uy) < 0.9 else "bottom" if uy > 0 else "top")
        else:
            ha = "center" if abs(ux) < 0.3 else ("left" if ux > 0 else "right")
            va = "center" if abs(uy) < 0.6 else ("bottom" if uy > 0 else "top")
        if kind[i] == MINISTRY:  # inside the web of relations: a box keeps the code legible
            ax.text(x + 0.16 * ux, y + 0.16 * uy, code, fontsize=7, ha=ha, va=va, zorder=5, color="#222222",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
        else:
            # snap=False: Agg snaps path-effect text like rectilinear paths, which erases stems ("FHI" -> "-=I")
            ax.text(x + 0.14 * ux, y + 0.14 * uy, code, fontsize=7, ha=ha, va=va, zorder=4, color="#222222",
                    path_effects=halo, snap=False)

    # the view: the rings, their labels (long ones on the right); a figure of another shape widens or
    # heightens the view instead of shrinking the rings
    outer = RING_RADIUS[STATSFORVALTER]
    ax.update_datalim([(-outer - 1.0, -outer - 0.45), (outer + 1.9, outer + 0.45)])
    ax.margins(0)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_axis_off()

    counts = np.bincount(level[shown], minlength=len(LEVEL_COLOURS))
    step_handles = [Line2D([], [], color=LEVEL_COLOURS[k], lw=2.5, label=f"{LEVEL_NAMES[k]} ({counts[k]})")
                    for k in range(1, len(LEVEL_COLOURS))]
    step_handles += [Line2D([], [], color="#555555", lw=EDGE_WIDTH, label="outside an arena"),
                     Line2D([], [], color="#555555", lw=ARENA_EDGE_WIDTH, label="through an arena")]
    kind_handles = [Line2D([], [], ls="", marker=m, markersize=6, markerfacecolor=c, markeredgecolor="white",
                           label=KIND_NAMES[k]) for k, (m, c, _) in KIND_STYLE.items()]
    if legend == "left":  # two legends outside the axes, on the left (constrained layout makes room for them)
        steps_legend = ax.legend(handles=step_handles, title="staircase step (relations)", fontsize=7,
                                 title_fontsize=7.5, loc="upper right", bbox_to_anchor=(0.0, 1.0), frameon=False,
                                 borderaxespad=0, alignment="left")
        ax.add_artist(steps_legend)
        steps_legend.set_clip_on(False)  # add_artist clips to the axes, which would keep it out of the layout
        ax.legend(handles=kind_handles, title="actors", fontsize=7, title_fontsize=7.5, loc="lower right",
                  bbox_to_anchor=(0.0, 0.0), frameon=False, borderaxespad=0, alignment="left")
    elif legend == "below":  # one legend under the rings, for narrow figures
        ax.legend(handles=step_handles + kind_handles, fontsize=7, ncols=3, loc="upper center",
                  bbox_to_anchor=(0.5, 0.0), frameon=False, borderaxespad=0, columnspacing=1.2, handlelength=1.6)

    if title is None:
        measures = "+".join(getattr(model, "measures", ())) or "no measures"
        title = f"{model.structure} ({measures}), week {model.week}"
    if title:
        ax.set_title(title, fontsize=10)
    return fig


__all__ = ["actor_layout", "actor_network"]
