"""Watch one run climb the coordination staircase, in the browser (Mesa's SolaraViz).

    sim view                      # or: solara run sim/viz.py

Pick the organisation model, the measures and the seed in the sidebar, press *Reset*
to build that model, then *Step* (one week) or play.  The main view shows the state
actors' network (:func:`sim.network.actor_network`, redrawn every week), the six
criteria of :data:`sim.CRITERIA` as they develop, and the current week.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

with warnings.catch_warnings():  # Solara's lint of Mesa's own ComponentsView (a hook after an early return), not ours
    warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return",
                            category=UserWarning)
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import update_counter

# absolute imports: `solara run sim/analysis/viz.py` executes this file outside the package
from sim.analysis.plots.network import actor_network
from sim.simulation.checks import MAX_SEED, MAX_WEEKS, shown, whole_number
from sim.simulation.metrics import CRITERIA
from sim.simulation.model import CoordinationModel
from sim.simulation.parameters import WEEKS_PER_YEAR
from sim.simulation.structures import catalogue

MEASURES: tuple[str, ...] = tuple(catalogue().measures)
STRUCTURES: tuple[str, ...] = tuple(catalogue().models)
DEFAULT_SEED = 42
DEFAULT_WEEKS = 520
CRITERIA_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")


class ViewModel(CoordinationModel):
    """:class:`~sim.model.CoordinationModel` with one boolean keyword per measure, for SolaraViz's checkboxes.

    ``ViewModel(structure="model2", seed=7, outreach=True)`` is
    ``CoordinationModel(structure="model2", measures=("outreach",), seed=7, horizon_weeks=520)``.
    ``mandate_change`` is the select's text: ``"never"`` or a week. Keywords that are not
    measures go to :class:`~sim.model.CoordinationModel` unchanged. ``scenario`` is what Mesa
    3.5's SolaraViz adds on Reset (a default Mesa Scenario, whose only content is a random
    generator); the seed in the sidebar decides the run, so it is not used.
    """

    def __init__(self, structure: str = "baseline", seed: int | None = DEFAULT_SEED,
                 horizon_weeks: int | None = DEFAULT_WEEKS, mandate_change: str = "never", scenario: Any = None,
                 **kwargs: Any) -> None:
        switches = {name: kwargs.pop(name, False) for name in MEASURES}
        for name, on in switches.items():  # a checkbox: "no" is not False
            if not isinstance(on, bool | np.bool_):
                raise ValueError(f"ViewModel: {name} must be True or False (the measure's checkbox), got {shown(on)}.")
        measures = tuple(name for name, on in switches.items() if on)
        self.seed = None if seed is None else whole_number(seed, "ViewModel: seed", 0, MAX_SEED, also=", or None")
        text = str(mandate_change) if isinstance(mandate_change, str) else None
        if text == "never":
            week = None
        elif text is not None and text.isdigit():  # the select's text
            week = int(text)
        else:
            week = whole_number(mandate_change, "ViewModel: mandate_change", 0, MAX_WEEKS, also=' or "never"')
        super().__init__(structure=structure, measures=measures, seed=self.seed, mandate_change_week=week,
                         horizon_weeks=None if horizon_weeks is None else
                         whole_number(horizon_weeks, "ViewModel: horizon_weeks", 1, MAX_WEEKS, also=", or None"),
                         **kwargs)


MODEL_PARAMS: dict[str, Any] = {
    "structure": {"type": "Select", "value": "baseline", "values": list(STRUCTURES),
                  "label": "organisation model"},
    "seed": {"type": "SliderInt", "value": DEFAULT_SEED, "min": 0, "max": 999, "step": 1, "label": "seed"},
    "horizon_weeks": {"type": "SliderInt", "value": DEFAULT_WEEKS, "min": 52, "max": 1040, "step": 52,
                      "label": "weeks to run"},
    "mandate_change": {"type": "Select", "value": "never", "values": ["never", "52", "104", "156", "260"],
                       "label": "change of mandate (week)"},
    **{name: {"type": "Checkbox", "value": False, "label": name.replace("_", " ")} for name in MEASURES},
}


def describe(model: CoordinationModel) -> str:
    """One line: the week (and year), the organisation model, the measures and the seed."""
    measures = " + ".join(model.measures) or "no measures"
    horizon = f" of {model.horizon_weeks}" if model.horizon_weeks else ""
    seed = getattr(model, "seed", None)
    return (f"Week {model.week}{horizon} (year {model.week / WEEKS_PER_YEAR:.1f}) · {model.structure} · {measures}"
            + ("" if seed is None else f" · seed {seed}"))


# Mesa's SolaraViz shows each component in a grid cell of about 470 x 360 px of content (resizable by
# dragging its corner).  The figures are drawn at that width, so the browser does not shrink their 7-pt
# labels; the network, with its legend below, is taller than the cell (the overflow shows below it).
CELL_DPI = 90
NETWORK_INCHES = (5.2, 5.0)
CRITERIA_INCHES = (5.2, 3.6)


def network_figure(model: CoordinationModel) -> Figure:
    """The actor network sized for one SolaraViz cell, titled with the week only (the line above says the rest)."""
    fig = Figure(figsize=NETWORK_INCHES, layout="constrained")
    actor_network(model, ax=fig.add_subplot(), title=f"week {model.week}", legend="below")
    return fig


def criteria_figure(model: CoordinationModel) -> Figure:
    """The six criteria from week 0 to now, sized for one SolaraViz cell."""
    fig = Figure(figsize=CRITERIA_INCHES, layout="constrained")
    ax = fig.add_subplot()
    frame = model.datacollector.get_model_vars_dataframe()
    for name, colour in zip(CRITERIA, CRITERIA_COLOURS, strict=True):
        ax.plot(frame.index, frame[name], color=colour, lw=1.6, label=name.replace("_", " "))
    ax.set_xlim(0, max(model.horizon_weeks or 0, len(frame) - 1, 1))
    ax.set_ylim(0, 1)
    ax.set_xlabel("week", fontsize=8)
    ax.set_ylabel("criterion (0-1)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.set_title("the six criteria", fontsize=9)
    fig.legend(loc="outside lower center", ncols=2, fontsize=7, frameon=False)
    return fig


@solara.component
def NetworkView(model: CoordinationModel) -> None:
    """The actor network as it stands this week, with the week above it; redrawn on every step."""
    update_counter.get()
    # one page only: Mesa would label its tab "Page 0"; the page is titled by SolaraViz's name instead
    solara.Style(".v-tabs:has(.v-tab):not(:has(.v-tab ~ .v-tab)) { display: none; }")
    with solara.Column(classes=["sim-network"], gap="4px"):
        solara.Text(describe(model), classes=["sim-week"], style={"font-weight": "bold"})
        figure = solara.use_memo(lambda: network_figure(model), dependencies=[model, model.week])
        solara.FigureMatplotlib(figure, format="png", dependencies=[model, model.week], dpi=CELL_DPI)


@solara.component
def CriteriaView(model: CoordinationModel) -> None:
    """The six criteria of :data:`sim.CRITERIA`, week by week; redrawn on every step."""
    update_counter.get()
    with solara.Column(classes=["sim-criteria"]):
        figure = solara.use_memo(lambda: criteria_figure(model), dependencies=[model, model.week])
        solara.FigureMatplotlib(figure, format="png", dependencies=[model, model.week], dpi=CELL_DPI)


# Play waits this long between weeks: Mesa's play thread must not change the model faster than the page draws
# it (both figures take ~0.4 s on two cores), else every render pass finds a new week, the render loop never
# settles and Solara gives up ("Too many renders triggered"), killing the page. 500 ms is the slider's maximum;
# Render Interval plays several weeks a frame
PLAY_INTERVAL_MS = 500


def make_page(model: CoordinationModel | None = None):
    """The SolaraViz page for ``model`` (default: a :class:`ViewModel` with the sidebar's defaults)."""
    if model is None:
        model = ViewModel()
    return SolaraViz(model, components=[NetworkView, CriteriaView], model_params=MODEL_PARAMS,
                     play_interval=PLAY_INTERVAL_MS, name="samordning-sim: the coordination staircase")


page = make_page()

__all__ = ["MEASURES", "MODEL_PARAMS", "CriteriaView", "NetworkView", "ViewModel", "criteria_figure", "describe",
           "make_page", "network_figure", "page"]
