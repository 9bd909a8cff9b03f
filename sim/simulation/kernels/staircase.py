"""The coordination staircase (samordningstrappa): climbing with joint work, slipping without, turnover.

Seed 004 §2.2 (figure 2): steps 1-2 need a shared information and knowledge base,
step 3 a mandate with clear roles, step 4 decision authority with shared ownership.
A relation's knowledge is what its two actors hold (:mod:`sim.simulation.kernels.knowledge`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import rng
from ..rng import uniform_nb as U
from ..state import TOP_STEP, WEEKS_PER_YEAR


@njit(cache=True, error_model="numpy")
def climb_gate(p, target, knowledge, mandate, decision):
    """How readily a relation climbs to ``target`` (seed 004 §2.2, figure 2)."""
    if target <= 2:
        return p.knowledge_floor + (1.0 - p.knowledge_floor) * knowledge
    if target == 3:
        return 1.0 if mandate else p.no_mandate_factor
    return 1.0 if decision else 0.0


@njit(cache=True, error_model="numpy")
def staircase_step(level, progress, idle, interaction, cap, floor, mandate, decision, knowledge, p, key, week, purpose,
                   ident):
    """One week of one relation on the staircase: its new ``(level, progress, idle)``; climb with interaction, erode without.

    With interaction the relation gathers progress (gated by :func:`climb_gate`) and
    climbs a step when it reaches ``climb_threshold`` times the target step, so sparse
    but sustained contact (a meeting a month) still builds up.  Idle for more than
    ``erosion_delay`` weeks, it loses progress each week and slips a step with the
    erosion hazard (lower where a mandate holds it, seed 004 §4.5); the draw is keyed on
    ``(key, week, purpose, ident)``.  It takes and returns one relation's values, not the
    arrays: called per relation, passing arrays costs numba's reference counting on each.
    """
    if interaction > 0.0:
        idle = 0
        if level < cap:
            target = level + 1
            progress += interaction * climb_gate(p, target, knowledge, mandate, decision)
            if progress >= p.climb_threshold * target:
                level = target
                progress = 0.0
    else:
        idle += 1
        if idle > p.erosion_delay:
            progress *= 1.0 - p.erosion_rate
            hazard = p.erosion_hazard * (p.formal_protection if mandate else 1.0)
            if level > floor and U(key, week, purpose, ident) < hazard:
                level -= 1
                idle = 0
                progress = 0.0
    return level, progress, idle


@njit(cache=True, error_model="numpy")
def climb_and_erode(w, s, p, week):
    """Relations with interaction climb (and record the contact); idle ones slip past a delay."""
    floor, pair_i, pair_j = w.pair_floor, w.pair_i, w.pair_j
    level, progress, idle, interaction, contact = s.level, s.progress, s.idle, s.interaction, s.last_contact
    mandate_link, decision_link, knowledge = s.mandate_link, s.decision_link, s.knowledge
    top = np.int64(TOP_STEP)  # typed, not Literal[int](4): staircase_step compiles once for both callers
    for q in range(len(floor)):
        if interaction[q] > 0.0:
            contact[q] = week
        shared = 0.5 * (knowledge[pair_i[q]] + knowledge[pair_j[q]])
        level[q], progress[q], idle[q] = staircase_step(level[q], progress[q], idle[q], interaction[q], top, floor[q],
                                                        mandate_link[q], decision_link[q], shared, p, w.key, week,
                                                        rng.EROSION, q)


@njit(cache=True, error_model="numpy")
def staff_turnover(w, s, p, week):
    """Key staff change: informal relations of that actor drop a step (seed 004 §3.2.3)."""
    pair_id, floor = w.pair_id, w.pair_floor
    level, progress, mandate_link = s.level, s.progress, s.mandate_link
    for i in range(w.n_state):
        if U(w.key, week, rng.TURNOVER, i) < p.turnover_rate / WEEKS_PER_YEAR:
            for j in range(w.n_state):
                if j != i:
                    q = pair_id[i, j]
                    progress[q] = 0.0
                    if (not mandate_link[q]) and level[q] > floor[q]:
                        level[q] -= 1
