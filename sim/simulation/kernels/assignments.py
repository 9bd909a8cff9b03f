"""Assignments (oppdrag): issue, who works in each phase, and the end of each phase.

Phases follow seed 004 §2.3: initiative -> decision -> implementation -> operation.
A joint body (an arena in use with decision rights) decides with its involved
members; otherwise the line decides (the issuing ministry and the lead).  A collective
that steers an assignment -- carries, issues or decides it -- gives it as many
principals as it has sectors unless its lead holds the coordinating responsibility
(000 model 3: "ansvarsforvitring"); the same rule holds for every arena.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import rng
from ..rng import uniform_nb as U
from ..state import (
    COMPLETED,
    DECISION,
    DROPPED,
    FIRST_OPEN,
    GRANT,
    GUIDANCE,
    IMPLEMENTATION,
    INITIATIVE,
    MEASURE,
    N_COMPLETED,
    N_DROPPED,
    N_ISSUED,
    OPEN,
    OPERATION,
    R_COMPLETED,
    R_DROPPED,
    R_LEAD_TIME,
    R_SECTOR,
    R_STRATEGIC,
    R_STRATEGIC_N,
    TOP_STEP,
    WEEKS_PER_YEAR,
)
from ..world import DIRECTORATE, LETTERS_ALL, LETTERS_SET
from .arenas import arena_active, arena_decides, arena_in_use


@njit(cache=True, error_model="numpy")
def draw_own_directorate(kind, owner, relevance, ministry, u):
    """A directorate of ``ministry`` drawn with probability proportional to relevance; -1 if none."""
    total = 0.0
    for j in range(len(kind)):
        if kind[j] == DIRECTORATE and owner[j] == ministry:
            total += relevance[j]
    if total <= 0.0:
        return -1
    target = u * total
    cum = 0.0
    last = -1
    for j in range(len(kind)):
        if kind[j] == DIRECTORATE and owner[j] == ministry:
            cum += relevance[j]
            last = j
            if target < cum:
                return j
    return last


@njit(cache=True, error_model="numpy")
def collective_principals(sectors, responsibility):
    """Principals of an assignment a collective steers: its sectors, unless its lead holds the responsibility.

    ``1 + (sectors - 1) (1 - responsibility)``: 1 (one accountable owner, as a line) when the lead
    holds it fully (000 model 1: "Én aktør med tydelig koordinerende ansvar"), every sector of
    the collective when nobody does (000 model 3: "ansvarsforvitring").
    """
    return 1.0 + (sectors - 1) * (1.0 - responsibility)


@njit(cache=True, error_model="numpy")
def aligning(lead_responsibility, issuer_responsibility):
    """How strongly an assignment's steering signals are aligned: by the coordinating lead or the issuing ministry.

    004 §4.2: a lead ministry "som forvalter av systemer og ordninger som sikrer ... samordning av
    styringssignaler"; 000 model 1: a lead with "utvidet ansvar for å koordinere og samordne".
    Each proposes identical wording in the participants' letters; either may succeed.
    """
    return 1.0 - (1.0 - lead_responsibility) * (1.0 - issuer_responsibility)


@njit(cache=True, error_model="numpy")
def drop_assignment(a, week, status, closed, phase, counters, ring):
    """Close assignment ``a`` as dropped; one dropped after its decision is a decision the sectors did not act on."""
    slot = week % WEEKS_PER_YEAR
    status[a] = DROPPED
    closed[a] = week
    counters[N_DROPPED] += 1
    ring[R_DROPPED, slot] += 1.0
    if phase[a] == IMPLEMENTATION:
        ring[R_STRATEGIC_N, slot] += 1.0


@njit(cache=True, error_model="numpy")
def new_assignment(w, s, p, week, issuer, t):
    """Issue one assignment from stream ``t`` (or ad hoc when ``t < 0``).

    It goes to the stream's arena (or, for a ministry's own assignment, to the field's
    arena with the chance of the lead's engagement in it) only if that arena is in use; its participants
    are then drawn among the arena's members by relevance and engagement, else among
    all directorates by relevance.  An issuing arena issues only with decision rights.
    """
    kind, relevance, n_state = w.kind, w.relevance, w.n_state
    start, period, cycle = w.ar_start, w.ar_period, w.ar_cycle
    participant, letter = s.a_participant, s.a_letter
    a = s.counters[N_ISSUED]
    lead = w.st_lead[t] if t >= 0 else -1
    if lead < 0:
        lead = draw_own_directorate(kind, w.owner, relevance, issuer, U(w.key, week, rng.OWN_LEAD, a))
        if lead < 0:
            return
    arena = w.st_arena[t] if t >= 0 else -1
    if t >= 0 and w.st_lead[t] < 0 and w.field_arena >= 0:  # a member brings its own work as engaged as it is
        if U(w.key, week, rng.BRING, a) < s.engagement[w.field_arena, lead]:
            arena = w.field_arena
    if arena >= 0 and not arena_in_use(start[arena], period[arena], cycle[arena], w.ar_meet_every[arena],
                                       s.last_meeting[arena], week, p.erosion_delay):
        arena = -1
    for j in range(n_state):
        if j == lead or kind[j] != DIRECTORATE:
            continue
        chance = p.participation_rate * relevance[j]
        if arena >= 0:
            chance *= s.engagement[arena, j]
        if U(w.key, week, rng.PARTICIPANT, a * n_state + j) < chance:
            participant[a, j] = True
    channel = w.st_channel[t] if t >= 0 else -1
    if channel < 0:
        u = U(w.key, week, rng.CHANNEL, a)
        channel = GRANT if u < p.grant_share else (GUIDANCE if u < p.grant_share + p.guidance_share else MEASURE)
    letter[a, lead] = True
    policy = w.st_letters[t] if t >= 0 else 0
    align = p.alignment_uptake * aligning(w.ar_responsibility[arena] if arena >= 0 else 0.0,
                                          w.st_alignment[t] if t >= 0 else 0.0)
    for j in range(n_state):
        if participant[a, j] and (policy == LETTERS_ALL or (policy == LETTERS_SET and w.st_letter_set[t, j])
                                  or U(w.key, week, rng.ALIGN, a * n_state + j) < align):
            letter[a, j] = True
    ia = w.st_issuing_arena[t] if t >= 0 else -1
    if ia >= 0 and not arena_decides(start[ia], period[ia], cycle[ia], w.ar_decides_from[ia], week):
        ia = -1
    steering = 1.0  # collectives that steer it: the arena that carries it, the arena that issues it
    if arena >= 0:
        steering = max(steering, collective_principals(w.ar_sectors[arena], w.ar_responsibility[arena]))
    if ia >= 0:
        steering = max(steering, collective_principals(w.ar_sectors[ia], w.ar_responsibility[ia]))
    s.a_issuer[a] = issuer
    s.a_issuing_arena[a] = ia
    s.a_principals[a] = w.ar_sectors[ia] if ia >= 0 else 0
    s.a_steering[a] = steering
    s.a_lead[a] = lead
    s.a_arena[a] = arena
    s.a_adhoc[a] = t < 0
    s.a_channel[a] = channel
    s.a_pooled[a] = channel == GRANT and w.programme_financing
    s.a_phase[a] = INITIATIVE
    s.a_status[a] = OPEN
    s.a_progress[a] = 0.0
    s.a_issued[a] = week
    s.counters[N_ISSUED] = a + 1


@njit(cache=True, error_model="numpy")
def issue_assignments(w, s, p, week):
    """Annual allocation letters in the first week of each year; ad-hoc letters any week."""
    if week % WEEKS_PER_YEAR == 0:
        for t in range(len(w.st_issuer)):
            for _ in range(w.st_per_year[t]):
                new_assignment(w, s, p, week, w.st_issuer[t], t)
    for m in range(w.n_ministries):
        if U(w.key, week, rng.ISSUE_ADHOC, m) < p.adhoc_rate / WEEKS_PER_YEAR:
            new_assignment(w, s, p, week, m, np.int64(-1))  # typed, not Literal[int](-1): one specialisation


@njit(cache=True, error_model="numpy")
def joint_decision(start, period, cycle, decides_from, ar, ia, week):
    """Rights in force this week: (the assignment's arena ``ar`` decides, its issuing arena ``ia`` decides)."""
    return (ar >= 0 and arena_decides(start[ar], period[ar], cycle[ar], decides_from[ar], week),
            ia >= 0 and arena_decides(start[ia], period[ia], cycle[ia], decides_from[ia], week))


@njit(cache=True, error_model="numpy")
def mark_workers(w, s, week, open_in_arena):
    """Who works on each open assignment in its current phase (seed 004 §2.3).

    Initiative: the lead, and participants who attended the last meeting of the
    assignment's arena.  Decision: a joint body with rights decides with its involved
    members and the lead; otherwise the issuing ministry and the lead.  Implementation
    and operation: the lead and all participants.  Nobody works an assignment whose arena
    is between mandate periods.  Each arena's agenda sums the stakes of the leads of the
    assignments it carries: the secretariat serves them in that proportion.
    """
    start, period, cycle, member = w.ar_start, w.ar_period, w.ar_cycle, w.ar_member
    phase, lead, arena, issuing = s.a_phase, s.a_lead, s.a_arena, s.a_issuing_arena
    issuer, participant, status, works, attended = s.a_issuer, s.a_participant, s.a_status, s.a_works, s.attended
    open_in_arena[:] = 0
    s.agenda[:] = 0.0
    for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
        if status[a] != OPEN:
            continue
        ar = arena[a]
        if ar >= 0:
            open_in_arena[ar] += 1
            s.agenda[ar] += w.ar_stake[ar, lead[a]]
        if ar >= 0 and not arena_active(start[ar], period[ar], cycle[ar], week):
            for i in range(w.n_state):  # its arena is between periods: the work waits (seed 004 §4.1)
                works[a, i] = False
        elif phase[a] == DECISION:
            ia = issuing[a]
            arena_rights, issuing_rights = joint_decision(start, period, cycle, w.ar_decides_from, ar, ia, week)
            for i in range(w.n_state):
                joint = (arena_rights and participant[a, i] and member[ar, i]) or (issuing_rights and member[ia, i])
                line = not (arena_rights or issuing_rights) and i == issuer[a]
                works[a, i] = i == lead[a] or joint or line
        elif phase[a] == INITIATIVE:
            in_arena = ar >= 0 and arena_active(start[ar], period[ar], cycle[ar], week)
            for i in range(w.n_state):
                works[a, i] = i == lead[a] or (participant[a, i] and in_arena and attended[ar, i])
        else:
            for i in range(w.n_state):
                works[a, i] = i == lead[a] or participant[a, i]


@njit(cache=True, error_model="numpy")
def awaits_assent(w, s, a, week):
    """Assignment ``a``'s decision still waits for a member of the active arena that carries it to assent."""
    ar = s.a_arena[a]
    if ar < 0 or not arena_active(w.ar_start[ar], w.ar_period[ar], w.ar_cycle[ar], week):
        return False
    for i in range(w.n_state):
        if w.ar_member[ar, i] and not s.a_assent[a, i]:
            return True
    return False


@njit(cache=True, error_model="numpy")
def deliberation_depth(pair_id, level, lead, decider, assent):
    """Mean staircase step between the lead and the others who deliberated (decided or assented), as a fraction of
    the top step: how far the lead coordinates those it decides with (0 when it deliberated with nobody)."""
    n_state = len(decider)
    others = 0
    level_sum = 0.0
    for i in range(n_state):
        if i != lead and (decider[i] or assent[i]):
            others += 1
            level_sum += level[pair_id[lead, i]]
    return level_sum / others / TOP_STEP if others > 0 else 0.0


@njit(cache=True, error_model="numpy")
def decided_sectors(owner, n_ministries, decider):
    """How many distinct sectors took part in a decision."""
    seen = np.zeros(n_ministries, np.bool_)
    for i in range(len(decider)):
        if decider[i] and owner[i] >= 0:
            seen[owner[i]] = True
    return seen.sum()


@njit(cache=True, error_model="numpy")
def strategic_score(owner, sector_in_field, n_field_sectors, decider, assent, letter, lead, participant, depth):
    """Strategic coordination of an assignment the sectors deliberated, aligned their steering on and acted on.

    Seed 000 table 3 and 004 §3.1, §4.2 ("samordning av styringssignaler"): the field sectors
    that took part in deliberating it (deciding or assenting), whose letters carry it (their
    priorities aligned) *and* that carried it through implementation, out of all the sectors
    the field concerns, times the depth of the deliberation: leaving a sector out can never
    raise it, and no formal joint decision is needed.
    """
    n_min = len(sector_in_field)
    deliberated = np.zeros(n_min, np.bool_)
    aligned = np.zeros(n_min, np.bool_)
    acted = np.zeros(n_min, np.bool_)
    for i in range(len(owner)):
        m = owner[i]
        if m < 0:
            continue
        if decider[i] or assent[i]:
            deliberated[m] = True
        if letter[i]:
            aligned[m] = True
        if i == lead or participant[i]:
            acted[m] = True
    all_three = 0
    for m in range(n_min):
        if deliberated[m] and aligned[m] and acted[m] and sector_in_field[m]:
            all_three += 1
    return all_three / n_field_sectors * depth


@njit(cache=True, error_model="numpy")
def conclude_phases(w, s, p, week):
    """Move finished assignments on; drop overdue ones; the interpretation dip at implementation.

    A decision an arena carries concludes only once every member has assented
    (:func:`sim.kernels.capacity.consult`).  At a decision the deciders' depth is kept and a joint body becomes the collective
    owner (its sectors are the principals).  The dip (to ``interpretation_level``,
    004 §2.3) hits every participant that did not decide, and every participant when
    an arena whose work runs in the members' lines decided.  An assignment entering
    operation scores its strategic coordination; one dropped after its decision
    counts as a decision the sectors did not act on.
    """
    pair_id, floor, owner = w.pair_id, w.pair_floor, w.owner
    status, progress, required, phase_of = s.a_status, s.a_progress, s.a_required, s.a_phase
    participant, decider, level, ring = s.a_participant, s.a_decider, s.level, s.ring
    slot = week % WEEKS_PER_YEAR
    for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
        if status[a] != OPEN:
            continue
        phase = phase_of[a]
        if week - s.a_issued[a] >= p.max_age_weeks:
            drop_assignment(a, week, status, s.a_closed, phase_of, s.counters, ring)
            continue
        if progress[a] < required[a] or (phase == DECISION and awaits_assent(w, s, a, week)):
            continue
        progress[a] = 0.0
        lead = s.a_lead[a]
        if phase == OPERATION:
            status[a] = COMPLETED
            s.a_closed[a] = week
            s.counters[N_COMPLETED] += 1
            ring[R_COMPLETED, slot] += 1.0
            ring[R_LEAD_TIME, slot] += week - s.a_issued[a]
            ring[R_SECTOR + w.n_ministries + owner[lead], slot] += 1.0
            continue
        if phase == DECISION:
            for i in range(decider.shape[1]):  # a loop, not a slice copy: see sim.simulation.core.advance_weeks
                decider[a, i] = s.a_works[a, i]
            arena_rights, issuing_rights = joint_decision(w.ar_start, w.ar_period, w.ar_cycle, w.ar_decides_from,
                                                          s.a_arena[a], s.a_issuing_arena[a], week)
            deciding = s.a_arena[a] if arena_rights else (s.a_issuing_arena[a] if issuing_rights else -1)
            body = deciding  # the arena the decision was taken in: the one that carried it, else the one that decided
            carrier = s.a_arena[a]
            if carrier >= 0 and arena_active(w.ar_start[carrier], w.ar_period[carrier], w.ar_cycle[carrier], week):
                body = carrier
                s.maturity[carrier] += p.maturity_rate * (1.0 - s.maturity[carrier])  # a decision carried through
            depth = deliberation_depth(pair_id, level, lead, decider[a], s.a_assent[a])
            s.a_depth[a] = depth * s.maturity[body] if body >= 0 else depth  # an immature body decides shallowly
            if deciding >= 0:
                sectors = decided_sectors(owner, w.n_ministries, decider[a])
                s.a_principals[a] = max(s.a_principals[a], sectors)
                s.a_steering[a] = max(s.a_steering[a], collective_principals(sectors, w.ar_responsibility[deciding]))
                for i in range(decider.shape[1]):  # a joint decision with rights binds the deciders' lines
                    if decider[a, i]:
                        s.a_letter[a, i] = True
            handed_over = arena_rights and w.ar_in_line[s.a_arena[a]]  # 000 model 3: carried out in the lines
            for j in range(w.n_state):  # seed 004 §2.3: implementers new to the decision must interpret
                if participant[a, j] and (handed_over or not decider[a, j]):
                    q = pair_id[lead, j]
                    level[q] = max(floor[q], min(level[q], p.interpretation_level))
                    s.progress[q] = 0.0
        elif phase == IMPLEMENTATION:
            ring[R_STRATEGIC, slot] += strategic_score(owner, w.sector_in_field, w.n_field_sectors, decider[a],
                                                       s.a_assent[a], s.a_letter[a], lead, participant[a],
                                                       s.a_depth[a])
            ring[R_STRATEGIC_N, slot] += 1.0
        phase_of[a] = phase + 1
    first = s.counters[FIRST_OPEN]
    while first < s.counters[N_ISSUED] and status[first] != OPEN:
        first += 1
    s.counters[FIRST_OPEN] = first
