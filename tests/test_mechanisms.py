"""The mechanisms the seeds describe are present and act in the documented direction.

Unit checks drive one rule directly in both engines; the behavioural checks compare
means over several seeds (no wall-clock, no single lucky seed).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import CoordinationModel, core
from sim.state import DECISION, FIRST_OPEN, IMPLEMENTATION, N_ISSUED, OPEN
from sim.structures import catalogue

from .helpers import simulate

SEEDS = range(6)


def _index(model, code):
    return next(a.index for a in model.state_actors if a.code == code)


def _decision_ready(structure, week, engine):
    """A model holding one assignment (lead Hdir, participant Udir at step 4) about to leave its decision phase."""
    m = CoordinationModel(structure=structure, engine=engine, rng=1)
    s = m.state
    hdir, udir, hod = _index(m, "Hdir"), _index(m, "Udir"), _index(m, "HOD")
    s.a_issuer[0], s.a_lead[0], s.a_arena[0] = hod, hdir, m.world.field_arena
    s.a_participant[0, udir] = True
    s.a_letter[0, hdir] = True
    s.a_phase[0], s.a_status[0], s.a_issued[0] = DECISION, OPEN, week
    s.a_progress[0], s.a_required[0] = 10.0, 1.0
    s.counters[N_ISSUED], s.counters[FIRST_OPEN] = 1, 0
    q = m.world.pair_id[hdir, udir]
    s.level[q] = 4
    return m, q


@pytest.mark.parametrize("engine", ["numba", "python"])
def test_implementers_outside_the_decision_dip_when_they_must_interpret(engine):
    # seed 004 §2.3: step 4 in the decision phase, about step 2 in implementation
    m, q = _decision_ready("baseline", 0, engine)
    core.mark_workers(m.world, m.state, 0, m._open_in_arena)
    if engine == "numba":
        core.conclude_phases(m.world, m.state, m.params, 0)
    else:
        m.state_actors[m.state.a_lead[0]].conclude(0, 0)
    assert m.state.a_phase[0] == IMPLEMENTATION
    assert m.state.level[q] == 4 - m.params.interpretation_loss == 2


def test_no_dip_when_implementers_took_part_in_a_joint_decision():
    # model 2's programme board has decision rights from week 78; Udir sits on it
    m, q = _decision_ready("model2", 100, "numba")
    core.mark_workers(m.world, m.state, 100, m._open_in_arena)
    core.conclude_phases(m.world, m.state, m.params, 100)
    assert m.state.a_phase[0] == IMPLEMENTATION
    assert m.state.level[q] == 4


def _mean(structure, weeks, metric, **kwargs):
    return np.mean([simulate(structure, weeks, rng=seed, **kwargs).outcomes()[metric] for seed in SEEDS])


def _arena_level(model):
    w = model.world
    pairs = w.ar_pairs[w.ar_pair_ptr[0]:w.ar_pair_ptr[1]]
    return model.state.level[pairs].mean()


def test_ending_a_temporary_programme_erodes_the_staircase():
    # seed 004 §4.1
    base = catalogue().models["model2"]
    temporary = base.model_copy(update={"arenas": (base.arenas[0].model_copy(update={"duration_weeks": 156}),)})
    kept = [_arena_level(simulate(base, 330, rng=s)) for s in SEEDS]
    ended = [_arena_level(simulate(temporary, 330, rng=s)) for s in SEEDS]
    assert np.mean(ended) < np.mean(kept) - 0.5


def test_staff_turnover_wears_down_informal_relations():
    # seed 004 §3.2.3
    low = _mean("baseline", 260, "level_0_share", turnover_rate=0.0)
    high = _mean("baseline", 260, "level_0_share", turnover_rate=1.0)
    assert high > low


def test_plan_inflation_dilutes_effort():
    # seed 004 §3.2.2: about 30 plans and strategies with unclear relations
    few = _mean("model1", 312, "assignments_completed", parallel_plans=0.0)
    many = _mean("model1", 312, "assignments_completed", parallel_plans=150.0)
    assert many < few


def test_identical_assignments_raise_the_other_agencies_participation():
    # seed 002 §Forankring
    lead_only = _mean("baseline", 260, "participant_effort_py")
    identical = _mean("baseline", 260, "participant_effort_py", measures=("identical_assignments",))
    assert identical > lead_only


def test_pooled_programme_financing_raises_local_coordination_more_than_sector_grants():
    # seed 002 §Finansiering; 004 §3.2.1
    sector = _mean("baseline", 520, "local_coordination_level", grant_share=0.6)
    pooled = _mean("baseline", 520, "local_coordination_level", grant_share=0.6, measures=("programme_financing",))
    assert pooled > sector


def test_state_municipality_relations_stop_at_step_three_by_default():
    # seed 004 §4: municipal autonomy
    m = simulate("model2", 520, rng=3, measures=("state_support",), reach_rate=0.5)
    assert m.state.m_level.max() == 3
