"""Effort: how each state actor splits its capacity, and the joint work that moves assignments on.

Seed 002 §Forankring (own letter vs others' letters), 004 §4.4 (ad-hoc letters),
004 §3.2.2 (about 30 parallel plans), 000 model 3 (responsibility diffusion under a
collective owner; agencies of little relevance use resources less effectively).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..state import (
    DECISION,
    FIRST_OPEN,
    IMPLEMENTATION,
    INITIATIVE,
    N_ISSUED,
    OPEN,
    OPERATION,
    R_DELIVERY,
    R_EFFORT,
    R_PARTICIPANT,
    R_SECTOR,
    R_USE,
    R_USE_EXISTING,
    R_WORK,
    R_WORK_KNOWLEDGE,
    TOP_STEP,
    WEEKS_PER_YEAR,
)
from ..world import DIRECTORATE, MINISTRY
from .arenas import arena_active, arena_decides


@njit(cache=True, error_model="numpy")
def principals_share(principals, diffusion):
    """Priority left when several principals steer an assignment: ``1 / (1 + diffusion (principals - 1))``.

    ``principals`` is 1 for one accountable owner (a ministry's line, or a collective whose
    lead holds the coordinating responsibility), more for a collective without one (000
    model 3; :func:`sim.kernels.assignments.collective_principals`).
    """
    return 1.0 / (1.0 + diffusion * (principals - 1.0))


@njit(cache=True, error_model="numpy")
def available(capacity, load):
    """Capacity left for assignments once the week's commitments to structures are met (:mod:`.capacity`)."""
    return max(0.0, capacity - load)


@njit(cache=True, error_model="numpy")
def joint_progress(p, useful, step, n_workers):
    """Work gained: useful work at an efficiency rising with the mean step, less the cost of coordinating workers."""
    efficiency = p.coordination_floor + (1.0 - p.coordination_floor) * step / TOP_STEP
    return useful * efficiency / (1.0 + p.coordination_overhead * (n_workers - 1))


@njit(cache=True, error_model="numpy")
def phase_work(p, phase, n_workers):
    """Work a phase needs (seed 004 §2.3); a decision needs more with every extra decider (000 model 3)."""
    if phase == DECISION:
        return p.work_decision * (1.0 + p.agreement_cost * (n_workers - 1))
    if phase == INITIATIVE:
        return p.work_initiative
    if phase == IMPLEMENTATION:
        return p.work_implementation
    return p.work_operation


@njit(cache=True, error_model="numpy")
def steered_by_new(principals, carried, deciding):
    """The assignment's effort runs through something other than today's lines and roles (000 criterion 6).

    It does when a collective body owns it (``principals``: today no arena issues or decides),
    when an active arena carries it (``carried``: today no arena carries the field's work, so
    whatever one carries is volume it takes on beyond today's), or while its arena decides it
    under rights (``deciding``).
    """
    return principals > 0 or carried or deciding


@njit(cache=True, error_model="numpy")
def allocate_effort(w, s, p, week):
    """Each state actor splits the capacity its structures leave it over its assignments and the parallel plans.

    Weight 1 for an assignment in the actor's own letter, ``weak_priority`` if not
    (seed 002 §Forankring), times the field's political anchoring (003), times
    ``adhoc_weight`` for ad-hoc letters (004 §4.4), times the share several principals
    leave (000 model 3); ~30 parallel plans take their share of attention (004 §3.2.2).
    """
    kind, capacity, load = w.kind, w.capacity, s.load
    status, works, letter, adhoc, effort = s.a_status, s.a_works, s.a_letter, s.a_adhoc, s.a_effort
    first, n_issued = s.counters[FIRST_OPEN], s.counters[N_ISSUED]
    total = np.zeros(w.n_state)
    for a in range(first, n_issued):
        if status[a] != OPEN:
            continue
        ownership = principals_share(s.a_steering[a], p.responsibility_diffusion)
        for i in range(w.n_state):  # selects, not branches, so the loop over actors vectorises
            weight = (1.0 if (letter[a, i] or kind[i] == MINISTRY) else p.weak_priority) * p.political_anchoring
            if adhoc[a]:
                weight *= p.adhoc_weight
            weight = weight * ownership if works[a, i] else 0.0
            effort[a, i] = weight
            total[i] += weight
    background = p.parallel_plans * p.plan_weight
    for a in range(first, n_issued):
        if status[a] != OPEN:
            continue
        for i in range(w.n_state):
            share = available(capacity[i], load[i]) * effort[a, i] / (total[i] + background)
            effort[a, i] = share if effort[a, i] > 0.0 else effort[a, i]


@njit(cache=True, error_model="numpy")
def work_on_assignments(w, s, p, week, open_in_arena):
    """Progress every open assignment; record joint work, the knowledge it carries, and where effort went.

    Effort counts as useful work in proportion to the actor's relevance to the field,
    at an efficiency that rises with the staircase step between the lead and the other
    workers and falls with the number of actors to coordinate; the secretariat time its
    arena has left after meetings and consultation helps, shared over the arena's
    assignments by the stake their leads have in it (as every actor shares its capacity
    by priority).  Co-workers meet the best
    knowledge among them, and each pair records the week and carrier of its joint work.
    """
    kind, relevance, pair_id, owner = w.kind, w.relevance, w.pair_id, w.owner
    start, period, cycle, decides_from = w.ar_start, w.ar_period, w.ar_cycle, w.ar_decides_from
    status, works, lead_of, letter, effort_of = s.a_status, s.a_works, s.a_lead, s.a_letter, s.a_effort
    level, interaction, mandate_link, ring, pair_work = s.level, s.interaction, s.mandate_link, s.ring, s.pair_work
    knowledge, reach = s.knowledge, s.reach
    slot = week % WEEKS_PER_YEAR
    workers = np.empty(w.n_state, np.int64)
    for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
        if status[a] != OPEN:
            continue
        lead = lead_of[a]
        carrier = s.a_arena[a] + 1  # its column of pair_work (LINE when no arena carries it)
        n_workers = np.int64(0)  # typed from the start, or numba compiles the callees for Literal[int](0) too
        for i in range(w.n_state):
            if works[a, i]:
                workers[n_workers] = i
                n_workers += 1
        level_sum = 0.0
        effort = 0.0
        useful = 0.0
        held = 0.0
        participant_effort = 0.0
        best = 0.0
        for x in range(n_workers):
            i = workers[x]
            e = effort_of[a, i]
            effort += e
            s.worked[i] += e
            useful += e * relevance[i]
            held += e * knowledge[i]
            best = max(best, knowledge[i])
            if owner[i] >= 0:
                ring[R_SECTOR + owner[i], slot] += e
            if i != lead:
                level_sum += level[pair_id[lead, i]]
                if kind[i] == DIRECTORATE:
                    participant_effort += e
            committed = letter[a, i] or s.a_assent[a, i]
            for y in range(x + 1, n_workers):
                j = workers[y]
                q = pair_id[i, j]
                joint = min(e, effort_of[a, j])
                interaction[q] += joint
                if committed and (letter[a, j] or s.a_assent[a, j]):  # a joint product both are committed to
                    s.last_owned[q] = week
                pair_work[q, carrier] = week
                if letter[a, i] and letter[a, j]:
                    mandate_link[q] = True
        if n_workers > 1:
            for x in range(n_workers):
                reach[workers[x]] = max(reach[workers[x]], best)
        step = level_sum / (n_workers - 1) if n_workers > 1 else float(TOP_STEP)
        s.a_level[a] = step
        ar = s.a_arena[a]
        active = ar >= 0 and arena_active(start[ar], period[ar], cycle[ar], week)
        deciding = ar >= 0 and s.a_phase[a] == DECISION and arena_decides(start[ar], period[ar], cycle[ar],
                                                                           decides_from[ar], week)
        ring[R_EFFORT, slot] += effort
        ring[R_USE, slot] += effort
        ring[R_WORK, slot] += effort
        ring[R_WORK_KNOWLEDGE, slot] += held
        if not steered_by_new(s.a_principals[a], active, deciding):
            ring[R_USE_EXISTING, slot] += effort
        ring[R_PARTICIPANT, slot] += participant_effort
        if active and s.agenda[ar] > 0.0:  # the secretariat serves the body's agenda by its members' stakes,
            useful += s.support[ar] * w.ar_stake[ar, lead] / s.agenda[ar] * s.maturity[ar]  # as well as it has learnt
        gained = joint_progress(p, useful, step, n_workers)
        s.a_progress[a] += gained
        if s.a_phase[a] == OPERATION:
            ring[R_DELIVERY, slot] += gained
        s.a_required[a] = phase_work(p, s.a_phase[a], n_workers)
