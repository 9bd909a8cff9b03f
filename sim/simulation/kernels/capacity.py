"""Capacity spent on structures: meetings, secretariats and consultation, taken before the work is shared out.

A structure gains nothing it does not pay for in the actors' time.  Each week, before
effort is allocated (:func:`sim.kernels.effort.allocate_effort`), every arena's
commitments are drawn from the capacity of the actors who carry them:

- its staff (secretariat and knowledge function) beyond what the arena has today, from
  the lead, from the members or from staff paid for anew, as declared (``staffing``: 000
  model 1 "knyttet til eksisterende miljøer ... i Helsedirektoratet", model 3 "forutsetter
  at etatene gir flere ressurser inn i etatssamarbeidet enn i dag", model 2
  "Oppdragsfinansering av ... sekretariatsfunksjon");
- a meeting: each attendee's time (``meeting_cost``), and the secretariat's preparation
  for each attendee (``meeting_preparation``);
- consultation: while the decision of an assignment the arena carries is open, it waits
  for every member's assent (:func:`consult`), and every member clears it in its own line (000 model 3: "representanter ... må sørge for
  tilstrekkelige avklaringer i sin linje") and consults each member it deals with -- all
  of them in a plenary, the lead in a star, where the lead consults every member
  (``consultation_cost`` for each), so each formally included member costs the others time
  even when its own stake is low, and a plenary costs more than a star.

Preparation and the lead's consultation are the secretariat's work first; what the
secretariat cannot cover falls on the lead, and what is left of the secretariat supports the assignments the
arena carries.  A heavy structure that meets often with little to decide thus crowds out
the line work it was meant to help, and an empty one keeps its costs (004 §4.5).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import rng
from ..rng import uniform_nb as U
from ..state import DECISION, FIRST_OPEN, N_ISSUED, OPEN, R_EFFORT, R_LOAD, R_USE, R_USE_EXISTING, WEEKS_PER_YEAR
from ..world import STAFFED_BY_LEAD, STAFFED_BY_MEMBERS
from .arenas import arena_active, arena_decides, arena_meets


@njit(cache=True, error_model="numpy")
def pay_staff(staffing, lead, members, load, amount):
    """An arena's own staff time, drawn from whoever staffs it (dedicated staff take nobody's capacity)."""
    if staffing == STAFFED_BY_LEAD:
        load[lead] += amount
    elif staffing == STAFFED_BY_MEMBERS:
        share = amount / members.sum()
        for i in range(len(members)):
            if members[i]:
                load[i] += share


@njit(cache=True, error_model="numpy")
def convene_arena(w, s, p, week, a, decisions, open_in_arena):
    """One arena's week of commitments: staff, a meeting if due (who attends), consultation on ``decisions`` open.

    Sets the attendance and the secretariat time left for the arena's assignments
    (``s.support``), adds what each actor gives to ``s.load``, and books the arena's cost
    and its use (all effort in use, and the part an arena of today has today: today's share of
    its meetings and of its staff; consultation on decisions it carries is new, as is all of it
    while rights are in force).
    """
    start, period, cycle = w.ar_start[a], w.ar_period[a], w.ar_cycle[a]
    slot = week % WEEKS_PER_YEAR
    secretariat = w.ar_secretariat[a]
    s.support[a] = 0.0
    staffing, lead, members = w.ar_staffing[a], w.ar_lead[a], w.ar_member[a]
    new_staff = w.ar_new_staff[a]
    if week < start:  # establishing the arena: its new staff work before it starts
        pay_staff(staffing, lead, members, s.load, new_staff)
        s.ring[R_EFFORT, slot] += secretariat
        return
    if not arena_active(start, period, cycle, week):
        return
    n_state = w.n_state
    member, reference, engagement, attended = w.ar_member, w.ar_reference, s.engagement, s.attended
    pay_staff(staffing, lead, members, s.load, new_staff)
    cost = secretariat + w.ar_knowledge[a]
    use = 0.0
    usual = 0.0  # the part of its use an arena of today has today (use of existing structures, 000 criterion 6)
    overhead = 0.0
    preparation = 0.0
    if arena_meets(start, period, cycle, w.ar_meet_every[a], week):
        s.meetings[a] += 1
        s.last_meeting[a] = week
        present = w.ar_municipalities[a].sum()
        came = 0
        for i in range(n_state):
            here = False
            if member[a, i]:
                e = engagement[a, i]
                here = i == lead or U(w.key, week, rng.ATTEND, a * n_state + i) < e
                engagement[a, i] = e + p.engagement_rate * (w.ar_stake[a, i] - e)
            elif reference[a, i]:
                here = True
            attended[a, i] = here
            if here:
                present += 1
                s.load[i] += p.meeting_cost
                if member[a, i]:
                    came += 1
        # a meeting matures the arena in proportion to the members who came (000 model 3: "før den har satt seg")
        s.maturity[a] += p.maturity_rate * came / w.ar_size[a] * (1.0 - s.maturity[a])
        attendance = p.meeting_cost * present
        cost += attendance
        use += attendance
        usual += attendance * w.ar_usual_meetings[a]
        preparation = p.meeting_preparation * present
        overhead += preparation
    if decisions > 0:  # each member clears each open decision in its line and consults those it deals with
        consulting = 0.0
        for i in range(n_state):
            if member[a, i]:
                time = p.consultation_cost * decisions * (1.0 + w.ar_ties[a, i])
                consulting += time
                if i == lead:
                    overhead += time  # the lead's consultation is the secretariat's to do first
                else:
                    s.load[i] += time
        cost += consulting
        use += consulting
    left = secretariat - overhead
    if left < 0.0:  # what the secretariat cannot cover, the lead does
        s.load[lead] -= left
        cost -= left
        use -= left
        usual -= left * preparation / overhead * w.ar_usual_meetings[a]  # today's share of the meetings' part
        left = 0.0
    s.support[a] = left
    staff = 0.0
    if open_in_arena[a] > 0:
        staff += secretariat
    if s.meetings[a] > 0:
        staff += w.ar_knowledge[a]
    use += staff
    usual += staff * w.ar_usual_staff[a]
    s.ring[R_EFFORT, slot] += cost
    s.ring[R_USE, slot] += use
    if not arena_decides(start, period, cycle, w.ar_decides_from[a], week):  # rights are not today's
        s.ring[R_USE_EXISTING, slot] += usual


@njit(cache=True, error_model="numpy")
def consult(w, s, week, x, a):
    """One week of arena ``a``'s consultation on assignment ``x``'s decision: members not yet heard may assent.

    Those deciding it assent by doing so; every other member of the arena assents this week with
    the chance of its engagement, so a member with little stake, or one that has drifted away,
    is slow to answer while the decision waits for it (000 model 3: "mange deltakende aktører
    ... med ulike aksjer og mandat"; 004 §2.3: a decision that "har tatt opp i seg relevante
    premisser fra andre aktører").
    """
    n_state = w.n_state
    for i in range(n_state):
        if w.ar_member[a, i] and not s.a_assent[x, i]:
            if s.a_works[x, i] or U(w.key, week, rng.ASSENT, x * n_state + i) < s.engagement[a, i]:
                s.a_assent[x, i] = True


@njit(cache=True, error_model="numpy")
def commit_capacity(w, s, p, week, open_in_arena):
    """Every arena's consultations and commitments this week, drawn from the actors' capacity before effort is allocated."""
    n_arenas = len(w.ar_start)
    decisions = np.zeros(n_arenas)
    for x in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
        a = s.a_arena[x]
        if s.a_status[x] == OPEN and s.a_phase[x] == DECISION and a >= 0 \
                and arena_active(w.ar_start[a], w.ar_period[a], w.ar_cycle[a], week):
            decisions[a] += 1.0
            consult(w, s, week, x, a)
    s.load[:] = 0.0
    for a in range(n_arenas):
        convene_arena(w, s, p, week, a, decisions[a], open_in_arena)
    total = 0.0
    for i in range(w.n_state):
        s.committed[i] += s.load[i]
        total += s.load[i]
    s.ring[R_LOAD, week % WEEKS_PER_YEAR] += total
