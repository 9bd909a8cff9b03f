"""Arenas in time and in use: calendar, links, meetings with attendance, engagement and costs.

An arena is active from its set-up until the end of its mandate period (a renewed
programme pauses ``renewal_gap_weeks`` between periods).  It is *in use* once it has
met: a structure nobody meets in counts for nothing (seed 004 §4.5).  Members attend
each meeting with the chance of their engagement, which drifts toward their stake
(relevance, times ``weak_priority`` unless their own letter carries the field's joint
assignment, 002 §Forankring), so low-stake members drift away and an arena can
become an empty structure.
"""

from __future__ import annotations

from numba import njit

from .. import rng
from ..rng import uniform_nb as U
from ..state import R_EFFORT, R_USE, R_USE_EXISTING, WEEKS_PER_YEAR

# An arena's calendar.  The helpers take one arena's values, not the arrays: a call that
# passes arrays pays numba's reference counting on each, which in a loop cost more than the rule.

@njit(cache=True, error_model="numpy")
def arena_active(start, period, cycle, week):
    """Set up and inside a mandate period (a renewed programme's gap between periods is not)."""
    if week < start:
        return False
    if period < 0:
        return True
    local = week - start
    if cycle > 0:
        return local % cycle < period
    return local < period


@njit(cache=True, error_model="numpy")
def arena_meets(start, period, cycle, every, week):
    """Active and a meeting week: one interval after the start of each period, then every interval."""
    if not arena_active(start, period, cycle, week):
        return False
    local = week - start
    if cycle > 0:
        local = local % cycle
    return (local + 1) % every == 0


@njit(cache=True, error_model="numpy")
def arena_ends(start, period, cycle, week):
    """A programme that is not renewed ends this week (seed 004 §4.1)."""
    return period > 0 and cycle < 0 and week == start + period


@njit(cache=True, error_model="numpy")
def arena_decides(start, period, cycle, decides_from, week):
    """Active with its decision rights (and steering line) in force."""
    return arena_active(start, period, cycle, week) and decides_from >= 0 and week >= decides_from


@njit(cache=True, error_model="numpy")
def arena_in_use(start, period, cycle, meetings, week):
    """Active and it has met: only then does it coordinate, protect relations or own assignments."""
    return meetings > 0 and arena_active(start, period, cycle, week)


@njit(cache=True, error_model="numpy")
def link_arenas(w, s, p, week):
    """Mark the relations held by arenas in use; collapse those left alone when a programme ends (004 §4.1)."""
    start, period, cycle, decides_from = w.ar_start, w.ar_period, w.ar_cycle, w.ar_decides_from
    ptr, pairs, mandate, floor = w.ar_pair_ptr, w.ar_pairs, w.ar_mandate, w.pair_floor
    arena_link, mandate_link, decision_link = s.arena_link, s.mandate_link, s.decision_link
    level, progress = s.level, s.progress
    s.interaction[:] = 0.0
    s.reach[:] = 0.0
    arena_link[:] = False
    mandate_link[:] = False
    decision_link[:] = False
    n_arenas = len(start)
    for a in range(n_arenas):
        if arena_in_use(start[a], period[a], cycle[a], s.meetings[a], week):
            rights = arena_decides(start[a], period[a], cycle[a], decides_from[a], week)
            for k in range(ptr[a], ptr[a + 1]):
                q = pairs[k]
                arena_link[q] = True
                mandate_link[q] = mandate_link[q] or mandate[a]
                decision_link[q] = decision_link[q] or rights
    n_pairs = len(floor)
    for a in range(n_arenas):
        if arena_ends(start[a], period[a], cycle[a], week):
            for k in range(ptr[a], ptr[a + 1]):
                q = pairs[k]
                if (not mandate_link[q]) and level[q] > p.collapse_level:
                    if U(w.key, week, rng.COLLAPSE, a * n_pairs + q) < p.collapse_prob:
                        level[q] = max(floor[q], p.collapse_level)
                        progress[q] = 0.0


@njit(cache=True, error_model="numpy")
def todays_mandate(today, deciding):
    """Effort in an arena runs through a structure of today with today's mandate (no decision rights)."""
    return today and not deciding


@njit(cache=True, error_model="numpy")
def hold_meetings(w, s, p, week, open_in_arena):
    """Meetings: members attend by engagement, attendees interact and meet the portfolio; costs are booked.

    The lead convenes every meeting and the reference group is consulted at each; a
    member's engagement moves ``engagement_rate`` of the way to its stake per meeting.
    Effort *in use* (attendance, a secretariat serving open assignments, a knowledge
    function of an arena in use) is split by whether it runs through today's structures.
    """
    start, period, cycle, every = w.ar_start, w.ar_period, w.ar_cycle, w.ar_meet_every
    member, reference, stake, ptr, pairs = w.ar_member, w.ar_reference, w.ar_stake, w.ar_pair_ptr, w.ar_pairs
    pair_i, pair_j = w.pair_i, w.pair_j
    engagement, attended, reach, portfolio, interaction = s.engagement, s.attended, s.reach, s.portfolio, s.interaction
    ring = s.ring
    slot = week % WEEKS_PER_YEAR
    n_state = w.n_state
    for a in range(len(start)):
        cost = 0.0
        use = 0.0
        if arena_active(start[a], period[a], cycle[a], week):
            cost += w.ar_secretariat[a] + w.ar_knowledge[a]
            if arena_meets(start[a], period[a], cycle[a], every[a], week):
                s.meetings[a] += 1
                present = w.ar_municipalities[a].sum()
                lead = w.ar_lead[a]
                for i in range(n_state):
                    here = False
                    if member[a, i]:
                        e = engagement[a, i]
                        here = i == lead or U(w.key, week, rng.ATTEND, a * n_state + i) < e
                        engagement[a, i] = e + p.engagement_rate * (stake[a, i] - e)
                    elif reference[a, i]:
                        here = True
                    attended[a, i] = here
                    if here:
                        present += 1
                        reach[i] = max(reach[i], portfolio[a])
                attendance = p.meeting_cost * present
                cost += attendance
                use += attendance
                for k in range(ptr[a], ptr[a + 1]):
                    q = pairs[k]
                    if attended[a, pair_i[q]] and attended[a, pair_j[q]]:
                        interaction[q] += p.meeting_interaction
            if open_in_arena[a] > 0:
                use += w.ar_secretariat[a]
            if s.meetings[a] > 0:
                use += w.ar_knowledge[a]
        elif week < start[a]:
            cost += w.ar_secretariat[a]  # establishing the arena
        ring[R_EFFORT, slot] += cost
        ring[R_USE, slot] += use
        if todays_mandate(w.ar_today[a], arena_decides(start[a], period[a], cycle[a], w.ar_decides_from[a], week)):
            ring[R_USE_EXISTING, slot] += use
