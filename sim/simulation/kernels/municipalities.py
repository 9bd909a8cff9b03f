"""Municipalities: reached by delivery work via the regional offices, taking up, coordinating locally.

Seed 004 §4 and figure 3 (the state reaches step 3, agreement-based, with
autonomous municipalities), §4.7 (Statsforvalteren and KoRus as regional links),
002 §5.4 (outreach, RER as a contact point for the state's guidance, state support,
programme financing).  A reference group
with municipalities reaches only the municipalities that sit in it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import rng
from ..rng import uniform_nb as U
from ..state import FIRST_OPEN, GRANT, GUIDANCE, N_ISSUED, OPEN, OPERATION, R_DELIVERY, TOP_STEP, WEEKS_PER_YEAR
from ..world import STATSFORVALTER
from .arenas import arena_in_use, arena_meets
from .staircase import staircase_step


@njit(cache=True, error_model="numpy")
def regional_chain(p, level):
    """Strength of a regional office's link to municipalities at ``level`` with the lead agency."""
    return p.regional_chain_floor + (1.0 - p.regional_chain_floor) * level / TOP_STEP


@njit(cache=True, error_model="numpy")
def local_gain(p, pooled, channel):
    """Local coordination progress from one take-up: pooled financing, a sector grant, or guidance/measure."""
    if pooled:
        return p.local_gain_pooled
    if channel == GRANT:
        return p.local_gain_sector
    return p.local_gain_guidance


@njit(cache=True, error_model="numpy")
def serve_municipalities(w, s, p, week):
    """State signals reach municipalities via Statsforvalteren; they take up and coordinate locally."""
    number_of, sf_of, korus_of, capacity, adequacy = (w.mu_number, w.mu_statsforvalter, w.mu_korus, w.mu_capacity,
                                                      w.mu_rer_adequacy)
    start, period, cycle, every = w.ar_start, w.ar_period, w.ar_cycle, w.ar_meet_every
    pair_id, lead_agency, key, knowledge = w.pair_id, w.lead_agency, w.key, s.knowledge
    status, phase, pooled, channel, lead_of = s.a_status, s.a_phase, s.a_pooled, s.a_channel, s.a_lead
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
    n_mun = len(number_of)
    represented = np.zeros(n_mun, np.bool_)
    consulted = np.zeros(n_mun, np.bool_)
    for a in range(len(start)):
        if arena_in_use(start[a], period[a], cycle[a], every[a], s.last_meeting[a], week, p.erosion_delay):
            meets = arena_meets(start[a], period[a], cycle[a], every[a], week)
            for k in range(n_mun):  # no branch: the loop vectorises
                sits = w.ar_municipalities[a, k]
                represented[k] |= sits
                consulted[k] |= sits & meets
    state_knowledge = knowledge[lead_agency]
    delivery = s.ring[R_DELIVERY, week % WEEKS_PER_YEAR]  # municipalities are reached by delivery work done
    signal = p.reach_rate * delivery * (1.0 + (p.state_support_gain if w.state_support else 0.0))
    # per regional office, once a week (not once per municipality): its chance to reach one of its
    # municipalities, and for a KoRus centre its weekly chance to get one to adopt outreach
    reach = np.zeros(w.n_state)
    adopt = np.zeros(w.n_state)
    for o in range(w.n_state):
        if w.kind[o] >= STATSFORVALTER:
            chain = regional_chain(p, level[pair_id[o, lead_agency]])
            sigma = signal * chain
            reach[o] = sigma / (1.0 + sigma)
            adopt[o] = p.outreach_adoption / WEEKS_PER_YEAR * chain
    for k in range(n_mun):
        number = number_of[k]
        reached = n_op > 0 and U(key, week, rng.REACH, number) < reach[sf_of[k]]
        if reached:
            pick = int(U(key, week, rng.PICK_ASSIGNMENT, number) * n_op)
            a = operating[min(pick, n_op - 1)]
            take_up = capacity[k] * (1.0 + (p.outreach_gain if outreach[k] else 0.0))
            take_up *= 1.0 + (p.rer_gain * adequacy[k] if w.rer_contact_point and channel[a] == GUIDANCE else 0.0)
            take_up *= p.knowledge_take_up_floor + (1.0 - p.knowledge_take_up_floor) * knowledge[lead_of[a]]
            take_up *= p.relation_take_up_floor + (1.0 - p.relation_take_up_floor) * m_level[k] / p.municipal_cap
            if U(key, week, rng.TAKE_UP, number) < take_up:
                local_progress[k] += local_gain(p, pooled[a], channel[a])
                last_uptake[k] = week
                uptakes[k] += 1
                if local_level[k] < TOP_STEP and local_progress[k] >= p.local_threshold * (local_level[k] + 1):
                    local_level[k] += 1
                    local_progress[k] = 0.0
        agreement = w.state_support or represented[k]  # seed 004 figure 3: agreement-based step 3
        contact = p.contact_interaction if (reached or consulted[k]) else 0.0
        m_level[k], m_progress[k], m_idle[k] = staircase_step(  # floor typed, not Literal[int](0): one specialisation
            m_level[k], m_progress[k], m_idle[k], contact, p.municipal_cap, np.int64(0), agreement,
            agreement, state_knowledge, p, key, week, rng.MUNICIPAL_EROSION, number)
        if week - last_uptake[k] > WEEKS_PER_YEAR and local_level[k] > 0:
            if U(key, week, rng.LOCAL_EROSION, number) < p.local_erosion_hazard:
                local_level[k] -= 1
                local_progress[k] = 0.0
        if w.outreach_support and not outreach[k]:
            if U(key, week, rng.OUTREACH_ADOPT, number) < adopt[korus_of[k]]:
                outreach[k] = True
