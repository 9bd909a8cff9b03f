"""The coordination staircase (samordningstrappa): climbing with joint work, slipping without, turnover.

Seed 004 §2.2 (figure 2): steps 1-2 need a shared information and knowledge base, step 3 a
mandate with clear roles, step 4 "et delt og genuint eierskap og en aktiv oppslutning og
forpliktelse om å finne løsninger sammen", reached through "en felles organisering og
arbeidsmåter" that keep the lower steps up.  A relation's knowledge is what its two actors
hold (:mod:`sim.simulation.kernels.knowledge`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import rng
from ..rng import uniform_nb as U
from ..state import TOP_STEP, WEEKS_PER_YEAR


@njit(cache=True, error_model="numpy")
def climb_gate(p, target, knowledge, mandate, owned):
    """How readily a relation climbs to ``target`` (seed 004 §2.2, figure 2).

    Steps 1-2 need shared knowledge, step 3 a mandate that places roles; step 4 needs shared
    ownership kept up (``owned``: :func:`shared_ownership`) and, like steps 1-2, a shared
    knowledge base.
    """
    knowing = p.knowledge_floor + (1.0 - p.knowledge_floor) * knowledge
    if target <= 2:
        return knowing
    if target == 3:
        return 1.0 if mandate else p.no_mandate_factor
    return knowing if owned else 0.0


@njit(cache=True, error_model="numpy")
def shared_ownership(mandate, last_met, last_owned, week, delay):
    """The pair owns shared products while keeping steps 1-3 up: what the top step takes and what holds it.

    004 §2.2: step 4 is "et delt og genuint eierskap og en aktiv oppslutning og forpliktelse om å
    finne løsninger sammen", reached through "en felles organisering og arbeidsmåter som samler,
    vurderer og oppdaterer et felles kunnskapsgrunnlag (nivå 1), sørger for vedlikeholdte
    problemoppfatninger (nivå 2), avklarer hva som kan gå «i linjen» (nivå 3)". Within the last
    ``delay`` weeks the pair has worked on an assignment both are committed to (a shared product:
    both letters carry it, or both assented to it, 004 figure 3), has met in a shared arena (where
    attendees meet the shared knowledge base and keep their problem understanding up), and its
    roles are anchored (a mandate link).  Formal decision rights are not needed: they help, as a
    joint decision binds the deciders' lines (:func:`sim.kernels.assignments.conclude_phases`).
    """
    return mandate and week - last_met <= delay and week - last_owned <= delay


@njit(cache=True, error_model="numpy")
def staircase_step(level, progress, idle, interaction, cap, floor, mandate, owned, knowledge, p, key, week, purpose,
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
            progress += interaction * climb_gate(p, target, knowledge, mandate, owned)
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
def relation_week(level, progress, idle, interaction, floor, mandate, last_met, last_owned, shared, p, key, week, q):
    """One state relation's week: the top step lost unless shared ownership is kept up, then :func:`staircase_step`."""
    owned = shared_ownership(mandate, last_met, last_owned, week, p.erosion_delay)
    if level == TOP_STEP and not owned:
        level = TOP_STEP - 1
        progress = 0.0
    return staircase_step(level, progress, idle, interaction, np.int64(TOP_STEP), floor, mandate, owned, shared, p,
                          key, week, rng.EROSION, q)


@njit(cache=True, error_model="numpy")
def climb_and_erode(w, s, p, week):
    """Relations with interaction climb (and record the contact); idle ones slip past a delay; an unkept top is lost."""
    floor, pair_i, pair_j = w.pair_floor, w.pair_i, w.pair_j
    level, progress, idle, interaction, contact = s.level, s.progress, s.idle, s.interaction, s.last_contact
    mandate_link, knowledge = s.mandate_link, s.knowledge
    for q in range(len(floor)):
        if interaction[q] > 0.0:
            contact[q] = week
        shared = 0.5 * (knowledge[pair_i[q]] + knowledge[pair_j[q]])
        level[q], progress[q], idle[q] = relation_week(level[q], progress[q], idle[q], interaction[q], floor[q],
                                                       mandate_link[q], s.last_met[q], s.last_owned[q], shared, p,
                                                       w.key, week, q)


@njit(cache=True, error_model="numpy")
def staff_turnover(w, s, p, week):
    """Key staff change: informal relations of that actor drop a step, and its arenas lose its share of experience.

    Seed 004 §3.2.3: "et samarbeid basert på kjennskap og uformell kontakt [er] sårbart ved
    utskiftninger"; an arena's maturity is its members' shared experience, and a member's new
    staff have none of it.
    """
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
            for a in range(len(w.ar_size)):
                if w.ar_member[a, i]:
                    s.maturity[a] -= s.maturity[a] / w.ar_size[a]
