"""Mesa agents, and the reference (pure-Python) engine as their own methods.

Each agent is a readable view of its row in the model's arrays.  With
``engine="python"`` the week is advanced by :func:`python_week`, which calls the
agents' methods below in the order of :func:`sim.simulation.core.advance_week`.  Each method
names its kernel twin in :mod:`sim.simulation.kernels`; the methods state the agents' loops
and the order in plain Python, and take the formula for one entity (a relation's
step, a decision's score, an arena's calendar) from the kernel module's
``py_func``, so every rule is written once.  The two engines must agree exactly
(``tests/test_engines.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from . import rng
from .kernels import arenas as kar
from .kernels import assignments as kas
from .kernels import capacity as kca
from .kernels import effort as kef
from .kernels import knowledge as kkn
from .kernels import municipalities as kmu
from .kernels import programmes as kpr
from .kernels import staircase as kst
from .rng import uniform as U
from .state import (
    COMPLETED,
    DECISION,
    FIRST_OPEN,
    GRANT,
    GUIDANCE,
    IMPLEMENTATION,
    INITIATIVE,
    MEASURE,
    N_COMPLETED,
    N_ISSUED,
    OPEN,
    OPERATION,
    R_COMPLETED,
    R_DELIVERY,
    R_EFFORT,
    R_LEAD_TIME,
    R_LOAD,
    R_PARTICIPANT,
    R_SECTOR,
    R_STRATEGIC,
    R_STRATEGIC_N,
    R_USE,
    R_USE_EXISTING,
    R_WORK,
    R_WORK_KNOWLEDGE,
    TOP_STEP,
    WEEKS_PER_YEAR,
)
from .world import DIRECTORATE, LETTERS_ALL, LETTERS_SET, MINISTRY

if TYPE_CHECKING:
    from .model import CoordinationModel

# formulas for one entity, shared with the kernels (plain Python via numba's py_func)
_active = kar.arena_active.py_func
_meets = kar.arena_meets.py_func
_period_ends = kar.period_ends.py_func
_decides = kar.arena_decides.py_func
_in_use = kar.arena_in_use.py_func
_holds = kar.holds.py_func
_convene_arena = kca.convene_arena.py_func
_consult = kca.consult.py_func
_awaits_assent = kas.awaits_assent.py_func
_release_arena = kpr.release_arena.py_func
_drop_assignment = kas.drop_assignment.py_func
_collective_principals = kas.collective_principals.py_func
_available = kef.available.py_func
_upkeep = kkn.upkeep.py_func
_aligning = kas.aligning.py_func
_deliberation_depth = kas.deliberation_depth.py_func
_staircase_step = kst.staircase_step.py_func
_relation_week = kst.relation_week.py_func
_principals_share = kef.principals_share.py_func
_joint_progress = kef.joint_progress.py_func
_steered = kef.steered_by_new.py_func
_phase_work = kef.phase_work.py_func
_joint_rights = kas.joint_decision.py_func
_decided_sectors = kas.decided_sectors.py_func
_strategic_score = kas.strategic_score.py_func
_draw_own_directorate = kas.draw_own_directorate.py_func
_regional_chain = kmu.regional_chain.py_func
_local_gain = kmu.local_gain.py_func


def _calendar(w, arena: int) -> tuple[int, int, int]:
    """One arena's start, period and cycle: what the kernels' calendar helpers take."""
    return w.ar_start[arena], w.ar_period[arena], w.ar_cycle[arena]


class StateActor(mesa.Agent):
    """A ministry, directorate or regional office: a row of the state-actor arrays."""

    model: CoordinationModel

    def __init__(self, model: CoordinationModel, index: int, code: str, name: str) -> None:
        super().__init__(model)
        self.index = index
        self.code = code
        self.name = name

    @property
    def capacity(self) -> float:
        """Person-years per year this actor can give cross-sector work in the field."""
        return float(self.model.world.capacity[self.index])

    @property
    def knowledge(self) -> float:
        """Knowledge of effective measures this actor holds now (0-1)."""
        return float(self.model.state.knowledge[self.index])

    def level_with(self, other: StateActor) -> int:
        """Staircase step (0-4) of this actor's relation with ``other``."""
        return int(self.model.state.level[self.model.world.pair_id[self.index, other.index]])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r})"

    # --- rules (python engine) ---
    def allocate_effort(self, open_ids: list[int]) -> None:
        """Split the capacity its structures leave over its assignments and plans (``effort.allocate_effort``)."""
        w, s, p, i = self.model.world, self.model.state, self.model.params, self.index
        total = 0.0
        weights = []
        for a in open_ids:
            weight = 0.0
            if s.a_works[a, i]:
                weight = (1.0 if (s.a_letter[a, i] or w.kind[i] == MINISTRY) else p.weak_priority) * p.political_anchoring
                if s.a_adhoc[a]:
                    weight *= p.adhoc_weight
                weight *= _principals_share(s.a_steering[a], p.responsibility_diffusion)
            weights.append(weight)
            total += weight
        background = p.parallel_plans * p.plan_weight
        capacity = _available(w.capacity[i], s.load[i])
        for a, weight in zip(open_ids, weights, strict=True):
            s.a_effort[a, i] = capacity * weight / (total + background) if weight > 0.0 else 0.0

    def update_relations(self, week: int) -> None:
        """Climb relations with interaction, erode idle ones, to higher-indexed actors (``staircase.climb_and_erode``)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        for j in range(self.index + 1, w.n_state):
            q = w.pair_id[self.index, j]
            if s.interaction[q] > 0.0:
                s.last_contact[q] = week
            shared = 0.5 * (s.knowledge[self.index] + s.knowledge[j])
            s.level[q], s.progress[q], s.idle[q] = _relation_week(
                s.level[q], s.progress[q], s.idle[q], s.interaction[q], w.pair_floor[q], s.mandate_link[q],
                s.last_met[q], s.last_owned[q], shared, p, w.key, week, int(q))

    def staff_turnover(self, week: int) -> None:
        """When key staff change, this actor's informal relations drop a step (``staircase.staff_turnover``)."""
        w, s, p, i = self.model.world, self.model.state, self.model.params, self.index
        if U(w.key, week, rng.TURNOVER, i) < p.turnover_rate / WEEKS_PER_YEAR:
            for j in range(w.n_state):
                if j != i:
                    q = w.pair_id[i, j]
                    s.progress[q] = 0.0
                    if (not s.mandate_link[q]) and s.level[q] > w.pair_floor[q]:
                        s.level[q] -= 1
            for a in range(len(w.ar_size)):
                if w.ar_member[a, i]:
                    s.maturity[a] -= s.maturity[a] / w.ar_size[a]

    def learn(self) -> None:
        """Close part of the gap to the best knowledge met this week (``knowledge.update_knowledge``)."""
        s, p, i = self.model.state, self.model.params, self.index
        k = s.knowledge[i]
        s.knowledge[i] = k + p.knowledge_uptake * max(0.0, s.reach[i] - k) - p.knowledge_decay * (k - p.knowledge_initial)

    # --- as an arena's lead ---
    def link(self, arena: int, week: int) -> None:
        """Mark the relations the arena holds this week if it is in use (``arenas.link_arenas``)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        if _in_use(*_calendar(w, arena), w.ar_meet_every[arena], s.last_meeting[arena], week, p.erosion_delay):
            mandate = _holds(w.ar_mandate_from[arena], week)
            for k in range(w.ar_pair_ptr[arena], w.ar_pair_ptr[arena + 1]):
                q = w.ar_pairs[k]
                s.arena_link[q] = True
                s.mandate_link[q] = s.mandate_link[q] or mandate

    def close_period(self, arena: int, week: int) -> None:
        """The arena's mandate period ends now (``programmes.release_arena``)."""
        _release_arena(self.model.world, self.model.state, self.model.params, week, arena)

    def consult(self, a: int, week: int) -> None:
        """As the lead of the arena that carries ``a``: hear the members on its decision (``capacity.consult``)."""
        w, s = self.model.world, self.model.state
        _consult(w, s, week, a, s.a_arena[a])

    def convene(self, arena: int, week: int, decisions: float, open_in_arena: list[int]) -> None:
        """The arena's commitments: staff, who attends a meeting, consultation (``capacity.convene_arena``)."""
        _convene_arena(self.model.world, self.model.state, self.model.params, week, arena, decisions, open_in_arena)

    def hold_meeting(self, arena: int, week: int) -> None:
        """A meeting held this week: attendees meet the portfolio and each other (``arenas.hold_meetings``)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        if not _meets(*_calendar(w, arena), w.ar_meet_every[arena], week):
            return
        for i in range(w.n_state):
            if s.attended[arena, i]:
                s.reach[i] = max(s.reach[i], s.portfolio[arena])
        for k in range(w.ar_pair_ptr[arena], w.ar_pair_ptr[arena + 1]):
            q = w.ar_pairs[k]
            if s.attended[arena, w.pair_i[q]] and s.attended[arena, w.pair_j[q]]:
                s.interaction[q] += p.meeting_interaction
                s.last_met[q] = week

    def evaluate(self, arena: int, week: int) -> None:
        """The arena's knowledge function adds lagged evaluations to its portfolio (``knowledge.update_knowledge``)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        lagged = _active(*_calendar(w, arena), week - p.evaluation_lag_weeks)
        evaluated = w.ar_knowledge[arena] if lagged else 0.0
        s.portfolio[arena] = _upkeep(p, s.portfolio[arena], evaluated * s.maturity[arena], w.ar_responsibility[arena])


class Ministry(StateActor):
    """A ministry (departement): issues assignments to its directorates in allocation and assignment letters."""

    def issue_stream(self, stream: int, week: int) -> None:
        """Issue this year's assignments of one annual stream (tildelingsbrev) (``assignments.issue_assignments``)."""
        for _ in range(self.model.world.st_per_year[stream]):
            _new_assignment(self.model, week, self.index, stream)

    def issue_adhoc(self, week: int) -> None:
        """Perhaps issue an ad-hoc assignment letter (oppdragsbrev) this week."""
        w, p = self.model.world, self.model.params
        if U(w.key, week, rng.ISSUE_ADHOC, self.index) < p.adhoc_rate / WEEKS_PER_YEAR:
            _new_assignment(self.model, week, self.index, -1)


class Directorate(StateActor):
    """A directorate or agency (direktorat, etat): leads and takes part in assignments."""

    def work_on(self, a: int, week: int, open_in_arena: list[int]) -> None:
        """As lead of ``a``: this week's joint work, the knowledge it carries, where effort went (``effort.work_on_assignments``)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        slot = week % WEEKS_PER_YEAR
        lead = self.index
        carrier = s.a_arena[a] + 1
        workers = [i for i in range(w.n_state) if s.a_works[a, i]]
        level_sum = 0.0
        effort = 0.0
        useful = 0.0
        held = 0.0
        participant_effort = 0.0
        best = 0.0
        for x, i in enumerate(workers):
            e = s.a_effort[a, i]
            effort += e
            s.worked[i] += e
            useful += e * w.relevance[i]
            held += e * s.knowledge[i]
            best = max(best, s.knowledge[i])
            if w.owner[i] >= 0:
                s.ring[R_SECTOR + w.owner[i], slot] += e
            if i != lead:
                level_sum += s.level[w.pair_id[lead, i]]
                if w.kind[i] == DIRECTORATE:
                    participant_effort += e
            committed = s.a_letter[a, i] or s.a_assent[a, i]
            for j in workers[x + 1:]:
                q = w.pair_id[i, j]
                joint = min(e, s.a_effort[a, j])
                s.interaction[q] += joint
                if committed and (s.a_letter[a, j] or s.a_assent[a, j]):
                    s.last_owned[q] = week
                s.pair_work[q, carrier] = week
                if s.a_letter[a, i] and s.a_letter[a, j]:
                    s.mandate_link[q] = True
        n_workers = len(workers)
        if n_workers > 1:
            for i in workers:
                s.reach[i] = max(s.reach[i], best)
        level = level_sum / (n_workers - 1) if n_workers > 1 else float(TOP_STEP)
        s.a_level[a] = level
        ar = s.a_arena[a]
        s.ring[R_EFFORT, slot] += effort
        s.ring[R_USE, slot] += effort
        s.ring[R_WORK, slot] += effort
        s.ring[R_WORK_KNOWLEDGE, slot] += held
        if not _steered_by_new(w, s, a, week):
            s.ring[R_USE_EXISTING, slot] += effort
        s.ring[R_PARTICIPANT, slot] += participant_effort
        if ar >= 0 and _active(*_calendar(w, ar), week) and s.agenda[ar] > 0.0:
            useful += s.support[ar] * w.ar_stake[ar, lead] / s.agenda[ar] * s.maturity[ar]
        gained = _joint_progress(p, useful, level, n_workers)
        s.a_progress[a] += gained
        if s.a_phase[a] == OPERATION:
            s.ring[R_DELIVERY, slot] += gained
        s.a_required[a] = _phase_work(p, s.a_phase[a], n_workers)

    def conclude(self, a: int, week: int) -> None:
        """As lead: drop an overdue assignment, or move a finished phase on (``assignments.conclude_phases``)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        slot = week % WEEKS_PER_YEAR
        phase = s.a_phase[a]
        if week - s.a_issued[a] >= p.max_age_weeks:
            _drop_assignment(a, week, s.a_status, s.a_closed, s.a_phase, s.counters, s.ring)
            return
        if s.a_progress[a] < s.a_required[a] or (phase == DECISION and _awaits_assent(w, s, a, week)):
            return
        s.a_progress[a] = 0.0
        if phase == OPERATION:
            s.a_status[a] = COMPLETED
            s.a_closed[a] = week
            s.counters[N_COMPLETED] += 1
            s.ring[R_COMPLETED, slot] += 1.0
            s.ring[R_LEAD_TIME, slot] += week - s.a_issued[a]
            s.ring[R_SECTOR + w.n_ministries + w.owner[self.index], slot] += 1.0
            return
        if phase == DECISION:
            s.a_decider[a, :] = s.a_works[a, :]
            arena_rights, issuing_rights = _joint_decision(w, s, a, week)
            deciding = s.a_arena[a] if arena_rights else (s.a_issuing_arena[a] if issuing_rights else -1)
            body = deciding
            carrier = s.a_arena[a]
            if carrier >= 0 and _active(*_calendar(w, carrier), week):
                body = carrier
                s.maturity[carrier] += p.maturity_rate * (1.0 - s.maturity[carrier])
            depth = _deliberation_depth(w.pair_id, s.level, self.index, s.a_decider[a], s.a_assent[a])
            s.a_depth[a] = depth * s.maturity[body] if body >= 0 else depth
            if deciding >= 0:
                sectors = _decided_sectors(w.owner, w.n_ministries, s.a_decider[a])
                s.a_principals[a] = max(s.a_principals[a], sectors)
                s.a_steering[a] = max(s.a_steering[a], _collective_principals(sectors, w.ar_responsibility[deciding]))
                for i in range(w.n_state):
                    if s.a_decider[a, i]:
                        s.a_letter[a, i] = True
            handed_over = arena_rights and w.ar_in_line[s.a_arena[a]]
            for j in range(w.n_state):
                if s.a_participant[a, j] and (handed_over or not s.a_decider[a, j]):
                    q = w.pair_id[self.index, j]
                    s.level[q] = max(w.pair_floor[q], min(s.level[q], p.interpretation_level))
                    s.progress[q] = 0.0
        elif phase == IMPLEMENTATION:
            s.ring[R_STRATEGIC, slot] += _strategic_score(w.owner, w.sector_in_field, w.n_field_sectors, s.a_decider[a],
                                                          s.a_assent[a], s.a_letter[a], self.index, s.a_participant[a],
                                                          s.a_depth[a])
            s.ring[R_STRATEGIC_N, slot] += 1.0
        s.a_phase[a] = phase + 1


class RegionalOffice(StateActor):
    """A Statsforvalter office or a KoRus centre: the regional link between state and municipalities."""


class Municipality(mesa.Agent):
    """A municipality (kommune): takes up state measures and coordinates its own services."""

    model: CoordinationModel

    def __init__(self, model: CoordinationModel, row: int, number: int, name: str) -> None:
        super().__init__(model)
        self.row = row
        self.number = number
        self.name = name

    @property
    def population(self) -> int:
        """Inhabitants."""
        return int(self.model._actors.municipalities["population"].iat[self.row])

    @property
    def local_level(self) -> int:
        """Step (0-4) of cross-sector coordination among the municipality's own services."""
        return int(self.model.state.local_level[self.row])

    @property
    def state_level(self) -> int:
        """Step (0-3 by default) of the municipality's relation with the state via Statsforvalteren."""
        return int(self.model.state.m_level[self.row])

    @property
    def outreach(self) -> bool:
        """Whether the municipality runs outreach work aimed at youth."""
        return bool(self.model.state.outreach[self.row])

    def __repr__(self) -> str:
        return f"Municipality({self.number}, {self.name!r})"

    def receive_signals(self, week: int, operating: list[int], signal: float, represented: bool, consulted: bool) -> None:
        """Perhaps take up a state measure; keep the relation with the state and local coordination (``municipalities``)."""
        w, s, p, k = self.model.world, self.model.state, self.model.params, self.row
        number = self.number
        n_op = len(operating)
        sigma = signal * _regional_chain(p, s.level[w.pair_id[w.mu_statsforvalter[k], w.lead_agency]])
        reached = n_op > 0 and U(w.key, week, rng.REACH, number) < sigma / (1.0 + sigma)
        if reached:
            pick = int(U(w.key, week, rng.PICK_ASSIGNMENT, number) * n_op)
            a = operating[min(pick, n_op - 1)]
            take_up = w.mu_capacity[k] * (1.0 + (p.outreach_gain if s.outreach[k] else 0.0))
            guidance = w.rer_contact_point and s.a_channel[a] == GUIDANCE
            take_up *= 1.0 + (p.rer_gain * w.mu_rer_adequacy[k] if guidance else 0.0)
            take_up *= p.knowledge_take_up_floor + (1.0 - p.knowledge_take_up_floor) * s.knowledge[s.a_lead[a]]
            take_up *= p.relation_take_up_floor + (1.0 - p.relation_take_up_floor) * s.m_level[k] / p.municipal_cap
            if U(w.key, week, rng.TAKE_UP, number) < take_up:
                s.local_progress[k] += _local_gain(p, s.a_pooled[a], s.a_channel[a])
                s.last_uptake[k] = week
                s.uptakes[k] += 1
                if s.local_level[k] < TOP_STEP and s.local_progress[k] >= p.local_threshold * (s.local_level[k] + 1):
                    s.local_level[k] += 1
                    s.local_progress[k] = 0.0
        agreement = w.state_support or represented
        contact = p.contact_interaction if (reached or consulted) else 0.0
        s.m_level[k], s.m_progress[k], s.m_idle[k] = _staircase_step(
            s.m_level[k], s.m_progress[k], s.m_idle[k], contact, p.municipal_cap, 0, agreement,
            agreement, s.knowledge[w.lead_agency], p, w.key, week, rng.MUNICIPAL_EROSION, number)
        if week - s.last_uptake[k] > WEEKS_PER_YEAR and s.local_level[k] > 0:
            if U(w.key, week, rng.LOCAL_EROSION, number) < p.local_erosion_hazard:
                s.local_level[k] -= 1
                s.local_progress[k] = 0.0
        if w.outreach_support and not s.outreach[k]:
            korus = _regional_chain(p, s.level[w.pair_id[w.mu_korus[k], w.lead_agency]])
            if U(w.key, week, rng.OUTREACH_ADOPT, number) < p.outreach_adoption / WEEKS_PER_YEAR * korus:
                s.outreach[k] = True


# --- predicates of the python engine (twins of sim.simulation.kernels) ---
def _joint_decision(w, s, a: int, week: int) -> tuple[bool, bool]:
    """Twin of :func:`sim.simulation.kernels.assignments.joint_decision` for assignment ``a``."""
    arena, issuing = _joint_rights(w.ar_start, w.ar_period, w.ar_cycle, w.ar_decides_from, s.a_arena[a],
                                   s.a_issuing_arena[a], week)
    return bool(arena), bool(issuing)


def _steered_by_new(w, s, a: int, week: int) -> bool:
    """Twin of :func:`sim.simulation.kernels.effort.steered_by_new` for ``a``, as ``work_on_assignments`` asks it."""
    ar = s.a_arena[a]
    active = ar >= 0 and _active(*_calendar(w, ar), week)
    deciding = ar >= 0 and s.a_phase[a] == DECISION and _decides(*_calendar(w, ar), w.ar_decides_from[ar], week)
    return bool(_steered(s.a_principals[a], active, deciding))


def _works(w, s, a: int, i: int, week: int) -> bool:
    """Twin of :func:`sim.simulation.kernels.assignments.mark_workers` for one actor."""
    phase = s.a_phase[a]
    ar = s.a_arena[a]
    if ar >= 0 and not _active(*_calendar(w, ar), week):
        return False
    if phase == DECISION:
        arena_rights, issuing_rights = _joint_decision(w, s, a, week)
        if i == s.a_lead[a]:
            return True
        if arena_rights and s.a_participant[a, i] and w.ar_member[ar, i]:
            return True
        if issuing_rights and w.ar_member[s.a_issuing_arena[a], i]:
            return True
        return (not (arena_rights or issuing_rights)) and i == s.a_issuer[a]
    if i == s.a_lead[a]:
        return True
    if phase == INITIATIVE:
        return bool(s.a_participant[a, i] and ar >= 0 and _active(*_calendar(w, ar), week) and s.attended[ar, i])
    return bool(s.a_participant[a, i])


def _new_assignment(model: CoordinationModel, week: int, issuer: int, t: int) -> None:
    """Twin of :func:`sim.simulation.kernels.assignments.new_assignment`."""
    w, s, p = model.world, model.state, model.params
    a = int(s.counters[N_ISSUED])
    lead = int(w.st_lead[t]) if t >= 0 else -1
    if lead < 0:
        lead = _draw_own_directorate(w.kind, w.owner, w.relevance, issuer, U(w.key, week, rng.OWN_LEAD, a))
        if lead < 0:
            return
    arena = int(w.st_arena[t]) if t >= 0 else -1
    if t >= 0 and w.st_lead[t] < 0 and w.field_arena >= 0:
        if U(w.key, week, rng.BRING, a) < s.engagement[w.field_arena, lead]:
            arena = w.field_arena
    if arena >= 0 and not _in_use(*_calendar(w, arena), w.ar_meet_every[arena], s.last_meeting[arena], week,
                                  p.erosion_delay):
        arena = -1
    for j in range(w.n_state):
        if j == lead or w.kind[j] != DIRECTORATE:
            continue
        chance = p.participation_rate * w.relevance[j]
        if arena >= 0:
            chance *= s.engagement[arena, j]
        if U(w.key, week, rng.PARTICIPANT, a * w.n_state + j) < chance:
            s.a_participant[a, j] = True
    channel = int(w.st_channel[t]) if t >= 0 else -1
    if channel < 0:
        u = U(w.key, week, rng.CHANNEL, a)
        channel = GRANT if u < p.grant_share else (GUIDANCE if u < p.grant_share + p.guidance_share else MEASURE)
    s.a_letter[a, lead] = True
    policy = w.st_letters[t] if t >= 0 else 0
    align = p.alignment_uptake * _aligning(w.ar_responsibility[arena] if arena >= 0 else 0.0,
                                           w.st_alignment[t] if t >= 0 else 0.0)
    for j in range(w.n_state):
        if s.a_participant[a, j] and (policy == LETTERS_ALL or (policy == LETTERS_SET and w.st_letter_set[t, j])
                                      or U(w.key, week, rng.ALIGN, a * w.n_state + j) < align):
            s.a_letter[a, j] = True
    ia = int(w.st_issuing_arena[t]) if t >= 0 else -1
    if ia >= 0 and not _decides(*_calendar(w, ia), w.ar_decides_from[ia], week):
        ia = -1
    steering = 1.0
    if arena >= 0:
        steering = max(steering, _collective_principals(w.ar_sectors[arena], w.ar_responsibility[arena]))
    if ia >= 0:
        steering = max(steering, _collective_principals(w.ar_sectors[ia], w.ar_responsibility[ia]))
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


def python_week(model: CoordinationModel, week: int) -> None:
    """One week of the reference engine: the agents act in the order of :func:`sim.simulation.core.advance_week`."""
    w, s, p = model.world, model.state, model.params
    actors = model.state_actors
    slot = week % WEEKS_PER_YEAR
    s.ring[:, slot] = 0.0
    s.interaction[:] = 0.0
    s.reach[:] = 0.0
    s.arena_link[:] = False
    s.mandate_link[:] = False
    n_arenas = len(w.ar_lead)
    for a in range(n_arenas):
        actors[w.ar_lead[a]].link(a, week)
    for a in range(n_arenas):
        if _period_ends(*_calendar(w, a), week):
            actors[w.ar_lead[a]].close_period(a, week)
    if week % WEEKS_PER_YEAR == 0:
        for t in range(len(w.st_issuer)):
            actors[w.st_issuer[t]].issue_stream(t, week)
    for m in range(w.n_ministries):
        actors[m].issue_adhoc(week)
    open_ids = [a for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]) if s.a_status[a] == OPEN]
    open_in_arena = [0] * n_arenas
    decisions = [0.0] * n_arenas
    s.agenda[:] = 0.0
    for a in open_ids:
        if s.a_arena[a] >= 0:
            open_in_arena[s.a_arena[a]] += 1
            s.agenda[s.a_arena[a]] += w.ar_stake[s.a_arena[a], s.a_lead[a]]
    for a in open_ids:
        for i in range(w.n_state):
            s.a_works[a, i] = _works(w, s, a, i, week)
    for a in open_ids:  # each arena consults its members on the decisions it carries
        ar = s.a_arena[a]
        if ar >= 0 and s.a_phase[a] == DECISION and _active(*_calendar(w, ar), week):
            decisions[ar] += 1.0
            actors[w.ar_lead[ar]].consult(a, week)
    s.load[:] = 0.0
    for a in range(n_arenas):
        actors[w.ar_lead[a]].convene(a, week, decisions[a], open_in_arena)
    np.add(s.committed, s.load, out=s.committed)
    total = 0.0
    for value in s.load.tolist():  # one by one, as the kernel adds them: Python 3.12's sum() compensates, it does not
        total += value
    s.ring[R_LOAD, slot] += total
    for actor in actors:
        actor.allocate_effort(open_ids)
    for a in open_ids:
        actors[s.a_lead[a]].work_on(a, week, open_in_arena)
    for a in open_ids:
        actors[s.a_lead[a]].conclude(a, week)
    first = s.counters[FIRST_OPEN]
    while first < s.counters[N_ISSUED] and s.a_status[first] != OPEN:
        first += 1
    s.counters[FIRST_OPEN] = first
    for a in range(n_arenas):
        actors[w.ar_lead[a]].hold_meeting(a, week)
    for actor in actors:
        actor.update_relations(week)
    for actor in actors:
        actor.staff_turnover(week)
    for a in range(n_arenas):
        actors[w.ar_lead[a]].evaluate(a, week)
    for actor in actors:
        actor.learn()
    operating = [a for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED])
                 if s.a_status[a] == OPEN and s.a_phase[a] == OPERATION]
    in_use = [a for a in range(n_arenas)
              if _in_use(*_calendar(w, a), w.ar_meet_every[a], s.last_meeting[a], week, p.erosion_delay)]
    meeting = [a for a in in_use if _meets(*_calendar(w, a), w.ar_meet_every[a], week)]
    signal = p.reach_rate * s.ring[R_DELIVERY, slot] * (1.0 + (p.state_support_gain if w.state_support else 0.0))
    for municipality in model.municipality_agents:
        k = municipality.row
        municipality.receive_signals(week, operating, signal, any(w.ar_municipalities[a, k] for a in in_use),
                                     any(w.ar_municipalities[a, k] for a in meeting))


__all__ = ["Directorate", "Ministry", "Municipality", "RegionalOffice", "StateActor", "python_week"]
