"""The numba engine: one week of the simulation as compiled kernels over the struct of arrays.

The submodels run in the order documented in ``docs/ODD.md`` (Process overview):
arena links -> issue assignments -> mark workers -> allocate effort -> work ->
conclude phases -> meetings and costs -> climb and erode -> staff turnover ->
knowledge base -> municipalities.  :mod:`sim.agents` states the same rules as plain
Python in the agents' methods; ``tests/test_engines.py`` checks that both agree
exactly for every organisation model.

Each kernel unpacks the arrays it needs into locals before looping: reading fields
of the large ``World``/``State`` tuples inside hot loops defeats LLVM's
optimisation (measured 19x slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import rng
from .metrics import measure
from .rng import uniform_nb as U
from .state import (
    COMPLETED,
    DECISION,
    DROPPED,
    FIRST_OPEN,
    GRANT,
    GUIDANCE,
    IMPLEMENTATION,
    INITIATIVE,
    KNOWLEDGE,
    MEASURE,
    N_COMPLETED,
    N_DROPPED,
    N_ISSUED,
    OPEN,
    OPERATION,
    R_COMPLETED,
    R_DECISION_SCORE,
    R_DECISIONS,
    R_DELIVERY,
    R_DROPPED,
    R_EFFORT,
    R_EFFORT_EXISTING,
    R_LEAD_TIME,
    R_PARTICIPANT,
    TOP_STEP,
    WEEKS_PER_YEAR,
)
from .world import DIRECTORATE, LETTERS_ALL, LETTERS_SET, MINISTRY


@njit(cache=True, inline="always")
def arena_active(start, end, a, week):
    """An arena meets once set up, until a temporary arena's end."""
    return start[a] <= week and (end[a] < 0 or week < end[a])


@njit(cache=True, inline="always")
def arena_decides(start, end, decides_from, a, week):
    """An arena takes joint decisions once active and its decision rights (mandate) are in force."""
    return arena_active(start, end, a, week) and decides_from[a] >= 0 and week >= decides_from[a]


@njit(cache=True, inline="always")
def climb_gate(p, target, knowledge, mandate, decision):
    """How readily a relation climbs to ``target`` (seed 004 §2.2, figure 2).

    Steps 1-2 need a shared knowledge base, step 3 a mandate with clear roles,
    step 4 decision authority with shared ownership.
    """
    if target <= 2:
        return p.knowledge_floor + (1.0 - p.knowledge_floor) * knowledge
    if target == 3:
        return 1.0 if mandate else p.no_mandate_factor
    return 1.0 if decision else 0.0


@njit(cache=True, inline="always")
def staircase_step(level, progress, idle, q, interaction, cap, floor, mandate, decision, knowledge, p, key, week, purpose,
                   ident):
    """One week of one relation on the staircase: climb with interaction, erode without.

    With interaction the relation gathers progress (gated by :func:`climb_gate`) and
    climbs a step when it reaches ``climb_threshold`` times the target step, so sparse
    but sustained contact (a meeting a month) still builds up.  Idle for more than
    ``erosion_delay`` weeks, it loses progress each week and slips a step with the
    erosion hazard (lower where a mandate holds it, seed 004 §4.5); the draw is keyed on
    ``(key, week, purpose, ident)``.
    """
    if interaction > 0.0:
        idle[q] = 0
        if level[q] < cap:
            target = level[q] + 1
            progress[q] += interaction * climb_gate(p, target, knowledge, mandate, decision)
            if progress[q] >= p.climb_threshold * target:
                level[q] = target
                progress[q] = 0.0
    else:
        idle[q] += 1
        if idle[q] > p.erosion_delay:
            progress[q] *= 1.0 - p.erosion_rate
            hazard = p.erosion_hazard * (p.formal_protection if mandate else 1.0)
            if level[q] > floor and U(key, week, purpose, ident) < hazard:
                level[q] -= 1
                idle[q] = 0
                progress[q] = 0.0


@njit(cache=True, inline="always")
def link_arenas(w, s, p, week):
    """Mark relations held by active arenas; collapse those left alone when a temporary arena ends."""
    start, end, decides_from = w.ar_start, w.ar_end, w.ar_decides_from
    ptr, pairs, mandate, floor = w.ar_pair_ptr, w.ar_pairs, w.ar_mandate, w.pair_floor
    arena_link, mandate_link, decision_link = s.arena_link, s.mandate_link, s.decision_link
    level, progress = s.level, s.progress
    s.interaction[:] = 0.0
    arena_link[:] = False
    mandate_link[:] = False
    decision_link[:] = False
    n_arenas = len(start)
    for a in range(n_arenas):
        if arena_active(start, end, a, week):
            rights = arena_decides(start, end, decides_from, a, week)
            for k in range(ptr[a], ptr[a + 1]):
                q = pairs[k]
                arena_link[q] = True
                mandate_link[q] = mandate_link[q] or mandate[a]
                decision_link[q] = decision_link[q] or rights
    n_pairs = len(floor)
    for a in range(n_arenas):
        if end[a] == week:  # seed 004 §4.1: a jerk back towards the start of the staircase
            for k in range(ptr[a], ptr[a + 1]):
                q = pairs[k]
                if (not mandate_link[q]) and level[q] > p.collapse_level:
                    if U(w.key, week, rng.COLLAPSE, a * n_pairs + q) < p.collapse_prob:
                        level[q] = max(floor[q], p.collapse_level)
                        progress[q] = 0.0


@njit(cache=True)
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


@njit(cache=True)
def new_assignment(w, s, p, week, issuer, t):
    """Issue one assignment from stream ``t`` (or ad hoc when ``t < 0``)."""
    kind, relevance, n_state = w.kind, w.relevance, w.n_state
    participant, letter = s.a_participant, s.a_letter
    a = s.counters[N_ISSUED]
    lead = w.st_lead[t] if t >= 0 else -1
    if lead < 0:
        lead = draw_own_directorate(kind, w.owner, relevance, issuer, U(w.key, week, rng.OWN_LEAD, a))
        if lead < 0:
            return
    arena = w.st_arena[t] if t >= 0 else -1
    if t >= 0 and w.st_lead[t] < 0 and w.field_arena >= 0 and w.ar_member[w.field_arena, lead]:
        arena = w.field_arena
    stream_arena = t >= 0 and w.st_arena[t] >= 0
    for j in range(n_state):
        if j == lead or kind[j] != DIRECTORATE:
            continue
        if stream_arena:
            eligible = w.st_candidates[t, j]
        elif arena >= 0:
            eligible = w.ar_member[arena, j]
        else:
            eligible = True
        if eligible and U(w.key, week, rng.PARTICIPANT, a * n_state + j) < p.participation_rate * relevance[j]:
            participant[a, j] = True
    channel = w.st_channel[t] if t >= 0 else -1
    if channel < 0:
        u = U(w.key, week, rng.CHANNEL, a)
        channel = GRANT if u < p.grant_share else (GUIDANCE if u < p.grant_share + p.guidance_share else MEASURE)
    letter[a, lead] = True
    policy = w.st_letters[t] if t >= 0 else 0
    for j in range(n_state):
        if participant[a, j] and (policy == LETTERS_ALL or (policy == LETTERS_SET and w.st_letter_set[t, j])):
            letter[a, j] = True
    s.a_issuer[a] = issuer
    s.a_issuing_arena[a] = w.st_issuing_arena[t] if t >= 0 else -1
    s.a_lead[a] = lead
    s.a_arena[a] = arena
    s.a_adhoc[a] = t < 0
    s.a_channel[a] = channel
    s.a_pooled[a] = channel == GRANT and (w.programme_financing or (t >= 0 and w.st_pooled[t]))
    s.a_phase[a] = INITIATIVE
    s.a_status[a] = OPEN
    s.a_progress[a] = 0.0
    s.a_issued[a] = week
    s.counters[N_ISSUED] = a + 1


@njit(cache=True, inline="always")
def issue_assignments(w, s, p, week):
    """Annual allocation letters in the first week of each year; ad-hoc letters any week."""
    if week % WEEKS_PER_YEAR == 0:
        for t in range(len(w.st_issuer)):
            for _ in range(w.st_per_year[t]):
                new_assignment(w, s, p, week, w.st_issuer[t], t)
    for m in range(w.n_ministries):
        if U(w.key, week, rng.ISSUE_ADHOC, m) < p.adhoc_rate / WEEKS_PER_YEAR:
            new_assignment(w, s, p, week, m, -1)


@njit(cache=True, inline="always")
def mark_workers(w, s, week, open_in_arena):
    """Who works on each open assignment in its current phase (seed 004 §2.3).

    Initiative: the lead and participants that sit in the assignment's active arena.
    Decision: a joint body (the coordinating or issuing arena, once it has decision
    rights) decides with its involved members and the lead; otherwise the line
    decides: the issuing ministry and the lead.  Implementation and operation: the
    lead and all participants.
    """
    start, end, decides_from, member = w.ar_start, w.ar_end, w.ar_decides_from, w.ar_member
    phase, lead, arena, issuing = s.a_phase, s.a_lead, s.a_arena, s.a_issuing_arena
    issuer, participant, status, works = s.a_issuer, s.a_participant, s.a_status, s.a_works
    open_in_arena[:] = 0
    for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
        if status[a] != OPEN:
            continue
        ar = arena[a]
        if ar >= 0:
            open_in_arena[ar] += 1
        if phase[a] == DECISION:
            arena_rights = ar >= 0 and arena_decides(start, end, decides_from, ar, week)
            ia = issuing[a]
            issuing_rights = ia >= 0 and arena_decides(start, end, decides_from, ia, week)
            for i in range(w.n_state):
                joint = (arena_rights and participant[a, i] and member[ar, i]) or (issuing_rights and member[ia, i])
                line = not (arena_rights or issuing_rights) and i == issuer[a]
                works[a, i] = i == lead[a] or joint or line
        elif phase[a] == INITIATIVE:
            in_arena = ar >= 0 and arena_active(start, end, ar, week)
            for i in range(w.n_state):
                works[a, i] = i == lead[a] or (participant[a, i] and in_arena and member[ar, i])
        else:
            for i in range(w.n_state):
                works[a, i] = i == lead[a] or participant[a, i]


@njit(cache=True, inline="always")
def ownership_share(size, issuing_arena, diffusion):
    """Priority left when a collective body, not one ministry's line, owns an assignment.

    Seed 000 model 3 (negative effects): steering by a broad structure beside the
    ordinary lines can diffuse responsibility ("ansvarsforvitring"); each co-owner
    beyond the first lowers every worker's priority: ``1 / (1 + diffusion (owners - 1))``.
    """
    if issuing_arena < 0:
        return 1.0
    return 1.0 / (1.0 + diffusion * (size[issuing_arena] - 1))


@njit(cache=True, inline="always")
def steered_by_new(w, ar, issuing_arena, week):
    """A new or re-mandated structure steers the assignment (seed 000 criterion 6).

    It does when such a structure issued it, when a new arena decides on it, or when
    the arena coordinating it has been given the steering responsibility by a change of
    its mandate (000 model 3 moves ownership of the assignments to KUBU and the
    agencies' collaboration whether or not they yet hold decision rights).
    """
    start, end = w.ar_start, w.ar_end
    if issuing_arena >= 0 and w.ar_new[issuing_arena] and arena_active(start, end, issuing_arena, week):
        return True
    if ar < 0 or not w.ar_new[ar]:
        return False
    if w.ar_remandated[ar]:
        return arena_active(start, end, ar, week)
    return arena_decides(start, end, w.ar_decides_from, ar, week)


@njit(cache=True, inline="always")
def allocate_effort(w, s, p, week):
    """Each state actor splits its cross-sector capacity over its assignments and the parallel plans.

    Weight 1 for an assignment in the actor's own letter, ``weak_priority`` if not
    (seed 002 §Forankring), times ``adhoc_weight`` for ad-hoc letters (004 §4.4),
    divided by the responsibility diffusion of collective ownership (000 model 3);
    ~30 parallel plans take their share of attention (004 §3.2.2).
    """
    kind, capacity = w.kind, w.capacity
    status, works, letter, adhoc, effort = s.a_status, s.a_works, s.a_letter, s.a_adhoc, s.a_effort
    first, n_issued = s.counters[FIRST_OPEN], s.counters[N_ISSUED]
    total = np.zeros(w.n_state)
    for a in range(first, n_issued):
        if status[a] != OPEN:
            continue
        ownership = ownership_share(w.ar_size, s.a_issuing_arena[a], p.responsibility_diffusion)
        for i in range(w.n_state):
            weight = 0.0
            if works[a, i]:
                weight = 1.0 if (letter[a, i] or kind[i] == MINISTRY) else p.weak_priority
                if adhoc[a]:
                    weight *= p.adhoc_weight
                weight *= ownership
            effort[a, i] = weight
            total[i] += weight
    background = p.parallel_plans * p.plan_weight
    for a in range(first, n_issued):
        if status[a] != OPEN:
            continue
        for i in range(w.n_state):
            if effort[a, i] > 0.0:
                effort[a, i] = capacity[i] * effort[a, i] / (total[i] + background)


@njit(cache=True, inline="always")
def work_on_assignments(w, s, p, week, open_in_arena):
    """Progress every open assignment; record joint work between each pair of its workers.

    Effort counts as useful work in proportion to the actor's relevance to the field
    (seed 000 model 3: agencies with little relevance use resources less effectively),
    at an efficiency that rises with the staircase step between the lead and the other
    workers and falls with the number of actors to coordinate.
    """
    kind, relevance, pair_id = w.kind, w.relevance, w.pair_id
    start, end = w.ar_start, w.ar_end
    status, works, lead_of, letter, effort_of = s.a_status, s.a_works, s.a_lead, s.a_letter, s.a_effort
    level, interaction, mandate_link, ring = s.level, s.interaction, s.mandate_link, s.ring
    slot = week % WEEKS_PER_YEAR
    workers = np.empty(w.n_state, np.int64)
    for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
        if status[a] != OPEN:
            continue
        lead = lead_of[a]
        n_workers = 0
        for i in range(w.n_state):
            if works[a, i]:
                workers[n_workers] = i
                n_workers += 1
        level_sum = 0.0
        effort = 0.0
        useful = 0.0
        participant_effort = 0.0
        for x in range(n_workers):
            i = workers[x]
            effort += effort_of[a, i]
            useful += effort_of[a, i] * relevance[i]
            if i != lead:
                level_sum += level[pair_id[lead, i]]
                if kind[i] == DIRECTORATE:
                    participant_effort += effort_of[a, i]
            for y in range(x + 1, n_workers):
                j = workers[y]
                q = pair_id[i, j]
                interaction[q] += min(effort_of[a, i], effort_of[a, j])
                if letter[a, i] and letter[a, j]:
                    mandate_link[q] = True
        step = level_sum / (n_workers - 1) if n_workers > 1 else float(TOP_STEP)
        s.a_level[a] = step
        ar = s.a_arena[a]
        ring[R_EFFORT, slot] += effort
        if not steered_by_new(w, ar, s.a_issuing_arena[a], week):
            ring[R_EFFORT_EXISTING, slot] += effort
        ring[R_PARTICIPANT, slot] += participant_effort
        if ar >= 0 and arena_active(start, end, ar, week):
            useful += w.ar_secretariat[ar] / open_in_arena[ar]
        efficiency = p.coordination_floor + (1.0 - p.coordination_floor) * step / TOP_STEP
        gained = useful * efficiency / (1.0 + p.coordination_overhead * (n_workers - 1))
        s.a_progress[a] += gained
        phase = s.a_phase[a]
        if phase == OPERATION:
            ring[R_DELIVERY, slot] += gained
        if phase == DECISION:
            s.a_required[a] = p.work_decision * (1.0 + p.agreement_cost * (n_workers - 1))
        elif phase == INITIATIVE:
            s.a_required[a] = p.work_initiative
        elif phase == IMPLEMENTATION:
            s.a_required[a] = p.work_implementation
        else:
            s.a_required[a] = p.work_operation


@njit(cache=True)
def decision_score(owner, n_ministries, pair_id, level, issuer, lead, participant, issuers, decider):
    """Strategic coordination of one decision: sector coverage of the deciders times their staircase depth.

    The sectors concerned are those of the issuer (every member of a collective that
    issued it), the lead and the participants.
    """
    sectors_all = np.zeros(n_ministries, np.bool_)
    sectors_dec = np.zeros(n_ministries, np.bool_)
    n_state = len(owner)
    for i in range(n_state):
        if i == issuer or issuers[i] or i == lead or participant[i]:
            sectors_all[owner[i]] = True
        if decider[i] and owner[i] >= 0:
            sectors_dec[owner[i]] = True
    n_all = 0
    n_covered = 0
    for m in range(n_ministries):
        if sectors_all[m]:
            n_all += 1
            if sectors_dec[m]:
                n_covered += 1
    pairs = 0
    level_sum = 0.0
    for i in range(n_state):
        if decider[i]:
            for j in range(i + 1, n_state):
                if decider[j]:
                    pairs += 1
                    level_sum += level[pair_id[i, j]]
    depth = level_sum / pairs / TOP_STEP if pairs > 0 else 0.0
    return n_covered / n_all * depth


@njit(cache=True, inline="always")
def conclude_phases(w, s, p, week):
    """Move finished assignments on; drop overdue ones; the interpretation dip at implementation.

    The dip hits every participant that did not decide, and every participant when an
    arena whose work runs in the members' lines decided (the line staff are new to it).
    """
    pair_id, floor = w.pair_id, w.pair_floor
    status, progress, required, phase_of = s.a_status, s.a_progress, s.a_required, s.a_phase
    participant, decider, level, ring = s.a_participant, s.a_decider, s.level, s.ring
    slot = week % WEEKS_PER_YEAR
    no_collective = np.zeros(w.n_state, np.bool_)
    for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
        if status[a] != OPEN:
            continue
        if week - s.a_issued[a] >= p.max_age_weeks:
            status[a] = DROPPED
            s.a_closed[a] = week
            s.counters[N_DROPPED] += 1
            ring[R_DROPPED, slot] += 1.0
            continue
        if progress[a] < required[a]:
            continue
        progress[a] = 0.0
        phase = phase_of[a]
        if phase == OPERATION:
            status[a] = COMPLETED
            s.a_closed[a] = week
            s.counters[N_COMPLETED] += 1
            ring[R_COMPLETED, slot] += 1.0
            ring[R_LEAD_TIME, slot] += week - s.a_issued[a]
            continue
        if phase == DECISION:
            lead = s.a_lead[a]
            decider[a, :] = s.a_works[a, :]
            ring[R_DECISIONS, slot] += 1.0
            ia = s.a_issuing_arena[a]
            issuers = w.ar_member[ia] if ia >= 0 else no_collective
            ring[R_DECISION_SCORE, slot] += decision_score(w.owner, w.n_ministries, pair_id, level, s.a_issuer[a],
                                                          lead, participant[a], issuers, decider[a])
            ar = s.a_arena[a]  # 000 model 3: decided in the arena, carried out in the members' lines
            handed_over = ar >= 0 and w.ar_in_line[ar] and arena_decides(w.ar_start, w.ar_end, w.ar_decides_from, ar,
                                                                          week)
            for j in range(w.n_state):  # seed 004 §2.3: implementers new to the decision must interpret
                if participant[a, j] and (handed_over or not decider[a, j]):
                    q = pair_id[lead, j]
                    level[q] = max(floor[q], level[q] - p.interpretation_loss)
                    s.progress[q] = 0.0
        phase_of[a] = phase + 1
    first = s.counters[FIRST_OPEN]
    while first < s.counters[N_ISSUED] and status[first] != OPEN:
        first += 1
    s.counters[FIRST_OPEN] = first


@njit(cache=True, inline="always")
def hold_meetings(w, s, p, week):
    """Arena meetings give interaction; secretariats, knowledge functions and meetings cost time."""
    start, end, ptr, pairs = w.ar_start, w.ar_end, w.ar_pair_ptr, w.ar_pairs
    interaction, ring = s.interaction, s.ring
    slot = week % WEEKS_PER_YEAR
    for a in range(len(start)):
        cost = 0.0
        if arena_active(start, end, a, week):
            cost += w.ar_secretariat[a] + w.ar_knowledge[a]
            if (week - start[a]) % w.ar_meet_every[a] == 0:
                cost += p.meeting_cost * w.ar_attendance[a]
                for k in range(ptr[a], ptr[a + 1]):
                    interaction[pairs[k]] += p.meeting_interaction
        elif week < start[a]:
            cost += w.ar_secretariat[a]  # establishing the arena
        ring[R_EFFORT, slot] += cost
        if not w.ar_new[a]:
            ring[R_EFFORT_EXISTING, slot] += cost


@njit(cache=True, inline="always")
def climb_and_erode(w, s, p, week):
    """Relations with interaction climb; idle ones lose progress and, past a delay, slip a step."""
    floor = w.pair_floor
    level, progress, idle, interaction = s.level, s.progress, s.idle, s.interaction
    mandate_link, decision_link = s.mandate_link, s.decision_link
    knowledge = s.scalars[KNOWLEDGE]
    for q in range(len(floor)):
        staircase_step(level, progress, idle, q, interaction[q], TOP_STEP, floor[q], mandate_link[q], decision_link[q],
                       knowledge, p, w.key, week, rng.EROSION, q)


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def update_knowledge(w, s, p, week):
    """Knowledge functions build the shared knowledge base; it decays without upkeep."""
    effort = 0.0
    for a in range(len(w.ar_start)):
        if arena_active(w.ar_start, w.ar_end, a, week):
            effort += w.ar_knowledge[a]
    k = s.scalars[KNOWLEDGE]
    s.scalars[KNOWLEDGE] = k + p.knowledge_build * effort * (1.0 - k) - p.knowledge_decay * k


@njit(cache=True, inline="always")
def serve_municipalities(w, s, p, week):
    """State signals reach municipalities via Statsforvalteren; they take up and coordinate locally."""
    number_of, sf_of, korus_of, capacity, adequacy = w.mu_number, w.mu_statsforvalter, w.mu_korus, w.mu_capacity, w.mu_rer_adequacy
    pair_id, lead_agency, key = w.pair_id, w.lead_agency, w.key
    status, phase, pooled, channel = s.a_status, s.a_phase, s.a_pooled, s.a_channel
    level, m_level, m_progress, m_idle = s.level, s.m_level, s.m_progress, s.m_idle
    local_level, local_progress, last_uptake, uptakes, outreach = (s.local_level, s.local_progress, s.last_uptake,
                                                                    s.uptakes, s.outreach)
    first, n_issued = s.counters[FIRST_OPEN], s.counters[N_ISSUED]
    n_op = 0
    for a in range(first, n_issued):
        if status[a] == OPEN and phase[a] == OPERATION:
            n_op += 1
    operating = np.empty(n_op, np.int64)
    n = 0
    for a in range(first, n_issued):
        if status[a] == OPEN and phase[a] == OPERATION:
            operating[n] = a
            n += 1
    municipal_reference = False
    for a in range(len(w.ar_start)):
        if arena_active(w.ar_start, w.ar_end, a, week) and w.ar_municipal_ref[a]:
            municipal_reference = True
    agreement = w.state_support or municipal_reference  # seed 004 figure 3: agreement-based step 3
    knowledge = s.scalars[KNOWLEDGE]
    delivery = s.ring[R_DELIVERY, week % WEEKS_PER_YEAR]  # municipalities are reached by delivery work done
    signal = p.reach_rate * delivery * (1.0 + (p.state_support_gain if w.state_support else 0.0))
    for k in range(len(number_of)):
        number = number_of[k]
        chain = 0.5 + 0.125 * level[pair_id[sf_of[k], lead_agency]]
        sigma = signal * chain
        reached = n_op > 0 and U(key, week, rng.REACH, number) < sigma / (1.0 + sigma)
        if reached:
            pick = int(U(key, week, rng.PICK_ASSIGNMENT, number) * n_op)
            a = operating[min(pick, n_op - 1)]
            take_up = capacity[k] * (1.0 + (p.outreach_gain if outreach[k] else 0.0))
            take_up *= 1.0 + (p.rer_gain * adequacy[k] if w.rer_contact_point else 0.0)
            take_up *= (0.5 + 0.5 * knowledge) * (0.5 + 0.5 * m_level[k] / p.municipal_cap)
            if U(key, week, rng.TAKE_UP, number) < take_up:
                if pooled[a]:
                    gain = p.local_gain_pooled
                elif channel[a] == GRANT:
                    gain = p.local_gain_sector
                else:
                    gain = p.local_gain_guidance
                local_progress[k] += gain
                last_uptake[k] = week
                uptakes[k] += 1
                if local_level[k] < TOP_STEP and local_progress[k] >= p.local_threshold * (local_level[k] + 1):
                    local_level[k] += 1
                    local_progress[k] = 0.0
        staircase_step(m_level, m_progress, m_idle, k, p.contact_interaction if reached else 0.0, p.municipal_cap, 0,
                       agreement, agreement, knowledge, p, key, week, rng.MUNICIPAL_EROSION, number)
        if week - last_uptake[k] > WEEKS_PER_YEAR and local_level[k] > 0:
            if U(key, week, rng.LOCAL_EROSION, number) < p.local_erosion_hazard:
                local_level[k] -= 1
                local_progress[k] = 0.0
        if w.outreach_support and not outreach[k]:
            korus = 0.5 + 0.125 * level[pair_id[korus_of[k], lead_agency]]
            if U(key, week, rng.OUTREACH_ADOPT, number) < p.outreach_adoption / WEEKS_PER_YEAR * korus:
                outreach[k] = True


@njit(cache=True)
def advance_week(w, s, p, week, open_in_arena):
    """One week of the whole simulation (numba engine), measured at its end."""
    slot = week % WEEKS_PER_YEAR
    for r in range(s.ring.shape[0]):
        s.ring[r, slot] = 0.0
    link_arenas(w, s, p, week)
    issue_assignments(w, s, p, week)
    mark_workers(w, s, week, open_in_arena)
    allocate_effort(w, s, p, week)
    work_on_assignments(w, s, p, week, open_in_arena)
    conclude_phases(w, s, p, week)
    hold_meetings(w, s, p, week)
    climb_and_erode(w, s, p, week)
    staff_turnover(w, s, p, week)
    update_knowledge(w, s, p, week)
    serve_municipalities(w, s, p, week)
    measure(w, s, week)


@njit(cache=True)
def advance_weeks(w, s, p, first_week, n_weeks, open_in_arena, history):
    """``n_weeks`` weeks in one call, each week's metrics stored as a row of ``history``.

    Gives exactly what ``n_weeks`` calls of :func:`advance_week` give, without a
    Python round trip per week; the assignment arrays must already hold every
    assignment these weeks can issue.
    """
    for k in range(n_weeks):
        advance_week(w, s, p, first_week + k, open_in_arena)
        history[k, :] = s.metrics
