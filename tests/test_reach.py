"""No dead parameter, and no rule that acts through one shipped model without a documented reason.

Every behavioural parameter is set to both ends of its range in the four shipped models,
under both premises about a change of mandate, with no measures and with all of them
(:func:`sim.experiments.reach.reach_matrix`, two seeds each): a parameter that changes nothing anywhere
fails; the parameters that act through one model only must be the ones ``docs/ODD.md``
lists with the reason each is legitimate, and each must act on any structure that has what
it acts through.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim import CoordinationModel
from sim.experiments.reach import models_reached, reach_matrix
from sim.simulation.structures import catalogue

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


@pytest.fixture(scope="module")
def reached():
    return models_reached(reach_matrix())


def _documented_single_model() -> dict[str, str]:
    """The parameters ODD's table "Parameters that act through one shipped model only" lists, with their model."""
    text = ODD.read_text(encoding="utf-8")
    section = text[text.index("### Parameters that act through one shipped model only"):]
    section = section[:section.index("\n\n", section.index("|"))]
    return {name: model for name, model in re.findall(r"^\| `(\w+)` \| `(\w+)` \|", section, re.MULTILINE)}


@pytest.mark.slow
def test_every_parameter_acts_somewhere(reached):
    dead = [name for name, models in reached.items() if not models]
    assert not dead, f"parameters that change nothing in any shipped model, premise or measure set: {dead}"


@pytest.mark.slow
def test_single_model_parameters_are_the_documented_ones(reached):
    single = {name: models[0] for name, models in reached.items() if len(models) == 1}
    print("parameters acting through one shipped model only:", single)
    assert single == _documented_single_model()


@pytest.mark.parametrize("parameter, low, high, given", [("renewal_gap_weeks", 0, 60, {}),
                                                         ("collapse_prob", 0.0, 1.0, {"collapse_level": 0}),
                                                         ("collapse_level", 0, 3, {"collapse_prob": 1.0})])
def test_the_programme_rules_act_on_any_arena_with_a_period(parameter, low, high, given):
    # the single-model rules are about programme periods; model 1's group, made a renewed plenary programme (so that
    # it links pairs that do not also work together in the line), has them too.  How deep a collapse goes acts only
    # where one happens, and whether one happens only where it goes below where relations stand: each is tested
    # with the other set so that it can act
    model1 = catalogue().models["model1"]
    group = model1.arenas[0].model_copy(update={"period_weeks": 100, "renewed": True, "topology": "plenary"})
    programme = model1.model_copy(update={"arenas": (group,)})
    runs = []
    for value in (low, high):
        m = CoordinationModel(programme, rng=4, **given, **{parameter: value})
        m.run_weeks(400)
        runs.append(m.metric_history())
    assert not np.array_equal(*runs)
