"""Arenas in time and in use: calendar, links, and what a meeting gives those who attend it.

An arena is active from its set-up until the end of its mandate period (a renewed
programme pauses ``renewal_gap_weeks`` between periods).  It is *in use* while it has met
lately: a structure nobody meets in counts for nothing (seed 004 §4.5).  Who attends a
meeting, and what meetings, secretariats and consultation cost the actors, is
:mod:`sim.kernels.capacity`; what a programme's end does is :mod:`sim.kernels.programmes`.
"""

from __future__ import annotations

from numba import njit

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
def period_ends(start, period, cycle, week):
    """A programme's mandate period ends this week: for good if it is not renewed, else until its gap is over."""
    if period < 0 or week < start:
        return False
    local = week - start
    if cycle > 0:
        return local % cycle == period
    return local == period


@njit(cache=True, error_model="numpy")
def arena_decides(start, period, cycle, decides_from, week):
    """Active with its decision rights (and steering line) in force."""
    return arena_active(start, period, cycle, week) and decides_from >= 0 and week >= decides_from


@njit(cache=True, error_model="numpy")
def arena_in_use(start, period, cycle, every, last_meeting, week, delay):
    """Active and it has met lately: only then does it coordinate, hold relations or carry assignments.

    Lately is within ``delay`` weeks (``erosion_delay``), or one meeting interval if that is longer:
    a structure that has stopped meeting is an empty structure (004 §4.5), however it is declared.
    """
    return week - last_meeting <= max(delay, every) and arena_active(start, period, cycle, week)


@njit(cache=True, error_model="numpy")
def holds(from_week, week):
    """A declared mandate or right that holds from ``from_week`` (-1: never) holds this week."""
    return from_week >= 0 and week >= from_week


@njit(cache=True, error_model="numpy")
def link_arenas(w, s, p, week):
    """Mark the relations held by arenas in use: linked, and mandate-linked while their mandate holds."""
    start, period, cycle = w.ar_start, w.ar_period, w.ar_cycle
    ptr, pairs, mandate_from = w.ar_pair_ptr, w.ar_pairs, w.ar_mandate_from
    arena_link, mandate_link = s.arena_link, s.mandate_link
    s.interaction[:] = 0.0
    s.reach[:] = 0.0
    arena_link[:] = False
    mandate_link[:] = False
    for a in range(len(start)):
        if arena_in_use(start[a], period[a], cycle[a], w.ar_meet_every[a], s.last_meeting[a], week,
                        p.erosion_delay):
            mandate = holds(mandate_from[a], week)
            for k in range(ptr[a], ptr[a + 1]):
                q = pairs[k]
                arena_link[q] = True
                mandate_link[q] = mandate_link[q] or mandate


@njit(cache=True, error_model="numpy")
def hold_meetings(w, s, p, week):
    """This week's meetings, once held: attendees meet the arena's portfolio and each pair of them interacts and has met.

    Attendance was drawn before the work (:func:`sim.kernels.capacity.convene_arena`), as
    it took the attendees' time; the reference group is consulted at each meeting.
    """
    start, period, cycle, every = w.ar_start, w.ar_period, w.ar_cycle, w.ar_meet_every
    ptr, pairs, pair_i, pair_j = w.ar_pair_ptr, w.ar_pairs, w.pair_i, w.pair_j
    attended, reach, portfolio, interaction = s.attended, s.reach, s.portfolio, s.interaction
    for a in range(len(start)):
        if arena_meets(start[a], period[a], cycle[a], every[a], week):
            for i in range(w.n_state):
                if attended[a, i]:
                    reach[i] = max(reach[i], portfolio[a])
            for k in range(ptr[a], ptr[a + 1]):
                q = pairs[k]
                if attended[a, pair_i[q]] and attended[a, pair_j[q]]:
                    interaction[q] += p.meeting_interaction
                    s.last_met[q] = week

