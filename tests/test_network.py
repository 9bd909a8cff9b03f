"""The actor-network figure: one edge per relation on step >= 1, coloured by step, nodes where the layout says."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from sim import CoordinationModel
from sim.analysis.plots.network import ARENA_EDGE_WIDTH, EDGE_WIDTH, EDGES_GID, NODES_GID, actor_layout, actor_network
from sim.analysis.style import LEVEL_COLOURS, LEVEL_NAMES
from sim.simulation.world import DIRECTORATE, KORUS, MINISTRY, STATSFORVALTER

from .helpers import simulate


def _edges(fig: Figure) -> LineCollection:
    found = [c for ax in fig.axes for c in ax.collections if c.get_gid() == EDGES_GID]
    assert len(found) == 1
    return found[0]


def _pair_of_segment(model: CoordinationModel, segment: np.ndarray) -> int:
    pos = actor_layout(model.world.kind, model.world.owner)
    a = int(np.argmin(np.hypot(*(pos - segment[0]).T)))
    b = int(np.argmin(np.hypot(*(pos - segment[1]).T)))
    assert np.allclose(pos[a], segment[0]) and np.allclose(pos[b], segment[1])
    return int(model.world.pair_id[a, b])


@pytest.fixture(scope="module")
def model3() -> CoordinationModel:
    return simulate("model3", 156, rng=11)


def test_one_edge_per_relation_on_step_one_or_higher_coloured_by_its_step(model3):
    relations = model3.relations()
    climbed = relations[relations["level"] >= 1]
    assert 0 < len(climbed) < len(relations)
    edges = _edges(actor_network(model3))
    segments = edges.get_segments()
    assert len(segments) == len(climbed)
    colours = edges.get_colors()
    widths = edges.get_linewidths()
    assert len(colours) == len(widths) == len(segments)
    seen = set()
    for segment, colour, width in zip(segments, colours, widths, strict=True):
        pair = _pair_of_segment(model3, np.asarray(segment))
        seen.add(pair)
        row = relations.iloc[pair]
        assert row["level"] >= 1
        assert tuple(colour) == pytest.approx(to_rgba(LEVEL_COLOURS[row["level"]]))
        assert width == (ARENA_EDGE_WIDTH if row["in_arena"] else EDGE_WIDTH)
    assert seen == set(climbed.index)  # every climbed relation drawn exactly once
    assert ARENA_EDGE_WIDTH > EDGE_WIDTH


def test_every_state_actor_is_a_labelled_node_and_the_legend_names_the_steps(model3):
    fig = actor_network(model3)
    ax = fig.axes[0]
    nodes = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == NODES_GID]
    assert len(nodes) == 4  # ministries, directorates, Statsforvalter offices, KoRus centres
    assert sum(len(c.get_offsets()) for c in nodes) == len(model3.state_actors) == 38
    labels = [t.get_text() for t in ax.texts]
    assert sorted(labels) == sorted(a.code for a in model3.state_actors)
    legend_texts = [t.get_text() for legend in [*ax.artists, ax.get_legend()] if legend is not None
                    for t in getattr(legend, "get_texts", list)()]
    for name in LEVEL_NAMES[1:]:
        assert any(text.startswith(name) for text in legend_texts), name
    assert f"week {model3.week}" in ax.get_title()


def test_layout_is_deterministic_and_puts_kinds_on_their_rings():
    m = CoordinationModel(structure="baseline", rng=1)
    kind = m.world.kind
    pos = actor_layout(kind, m.world.owner)
    assert np.array_equal(pos, actor_layout(kind, m.world.owner))
    assert np.array_equal(pos, actor_layout(CoordinationModel(structure="model2", rng=99).world.kind, m.world.owner))
    radius = np.hypot(pos[:, 0], pos[:, 1])
    assert radius[kind == MINISTRY].max() < radius[kind == DIRECTORATE].min()
    assert radius[kind == DIRECTORATE].max() < radius[(kind == STATSFORVALTER) | (kind == KORUS)].min()
    distances = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(distances, np.inf)
    assert distances.min() > 0.3  # no two actors on top of each other
    assert (pos[kind == KORUS, 0] > 0).all() and (pos[kind == STATSFORVALTER, 0] < 0).all()


def test_relations_without_climbing_draw_no_edges_and_the_figure_renders():
    m = CoordinationModel(structure="baseline", rng=3, line_level=0, initial_network_level=0)
    assert (m.relations()["level"] == 0).all()
    fig = actor_network(m)
    assert len(_edges(fig).get_segments()) == 0
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draws_into_given_axes_and_the_drawing_changes_as_the_model_climbs():
    fig = Figure()
    ax = fig.add_subplot()
    m = CoordinationModel(structure="model2", rng=5)
    assert actor_network(m, ax=ax) is fig
    before = len(_edges(fig).get_segments())
    m.run_weeks(104)
    after = len(_edges(actor_network(m)).get_segments())
    assert after == int((m.relations()["level"] >= 1).sum())
    assert after != before


def test_legend_below_names_steps_and_kinds_in_one_legend_and_bad_positions_are_refused(model3):
    fig = actor_network(model3, legend="below")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(texts) == 4 + 2 + 4 and not ax.artists  # steps 1-4, arena or not, four kinds; no second legend
    assert texts[0].startswith(LEVEL_NAMES[1]) and texts[-1] == "KoRus centre"
    assert actor_network(model3, legend=None).axes[0].get_legend() is None
    with pytest.raises(ValueError, match="legend must be"):
        actor_network(model3, legend="right")
