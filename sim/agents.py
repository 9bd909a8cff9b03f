"""Mesa agents, and the reference (pure-Python) engine as their own methods.

Each agent is a readable view of its row in the model's arrays.  With
``engine="python"`` the week is advanced by :func:`python_week`, which calls the
agents' methods below in the order of :func:`sim.core.advance_week`; the methods
state the same rules as the numba kernels in plain Python, and the two engines
must agree exactly (``tests/test_engines.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from . import rng
from .rng import uniform as U
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

if TYPE_CHECKING:
    from .model import CoordinationModel


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

    def level_with(self, other: StateActor) -> int:
        """Staircase step (0-4) of this actor's relation with ``other``."""
        return int(self.model.state.level[self.model.world.pair_id[self.index, other.index]])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r})"

    # --- rules (python engine) ---
    def allocate_effort(self, open_ids: list[int]) -> None:
        """Split capacity over the assignments this actor works on now and the parallel plans."""
        w, s, p, i = self.model.world, self.model.state, self.model.params, self.index
        total = 0.0
        weights = []
        for a in open_ids:
            weight = 0.0
            if s.a_works[a, i]:
                weight = 1.0 if (s.a_letter[a, i] or w.kind[i] == MINISTRY) else p.weak_priority
                if s.a_adhoc[a]:
                    weight *= p.adhoc_weight
                weight *= _ownership_share(w, s.a_issuing_arena[a], p.responsibility_diffusion)
            weights.append(weight)
            total += weight
        background = p.parallel_plans * p.plan_weight
        for a, weight in zip(open_ids, weights, strict=True):
            s.a_effort[a, i] = w.capacity[i] * weight / (total + background) if weight > 0.0 else 0.0

    def update_relations(self, week: int) -> None:
        """Climb relations with interaction; erode idle ones (relations to higher-indexed actors)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        knowledge = s.scalars[KNOWLEDGE]
        for j in range(self.index + 1, w.n_state):
            q = w.pair_id[self.index, j]
            _staircase_step(s.level, s.progress, s.idle, q, s.interaction[q], TOP_STEP, w.pair_floor[q],
                            s.mandate_link[q], s.decision_link[q], knowledge, p, w.key, week, rng.EROSION, int(q))

    def staff_turnover(self, week: int) -> None:
        """When key staff change, this actor's informal relations drop a step."""
        w, s, p, i = self.model.world, self.model.state, self.model.params, self.index
        if U(w.key, week, rng.TURNOVER, i) < p.turnover_rate / WEEKS_PER_YEAR:
            for j in range(w.n_state):
                if j != i:
                    q = w.pair_id[i, j]
                    s.progress[q] = 0.0
                    if (not s.mandate_link[q]) and s.level[q] > w.pair_floor[q]:
                        s.level[q] -= 1

    def convene(self, arena: int, week: int) -> None:
        """As an arena's lead: mark the relations it holds this week."""
        w, s = self.model.world, self.model.state
        if _arena_active(w, arena, week):
            rights = _arena_decides(w, arena, week)
            for k in range(w.ar_pair_ptr[arena], w.ar_pair_ptr[arena + 1]):
                q = w.ar_pairs[k]
                s.arena_link[q] = True
                s.mandate_link[q] = s.mandate_link[q] or w.ar_mandate[arena]
                s.decision_link[q] = s.decision_link[q] or rights

    def close_arena(self, arena: int, week: int) -> None:
        """As the lead of a temporary arena that ends now: relations nothing else holds may collapse."""
        w, s, p = self.model.world, self.model.state, self.model.params
        n_pairs = len(w.pair_i)
        for k in range(w.ar_pair_ptr[arena], w.ar_pair_ptr[arena + 1]):
            q = w.ar_pairs[k]
            if (not s.mandate_link[q]) and s.level[q] > p.collapse_level:
                if U(w.key, week, rng.COLLAPSE, arena * n_pairs + int(q)) < p.collapse_prob:
                    s.level[q] = max(w.pair_floor[q], p.collapse_level)
                    s.progress[q] = 0.0

    def hold_meeting(self, arena: int, week: int) -> None:
        """As an arena's lead: meet if due, and book the arena's running cost."""
        w, s, p = self.model.world, self.model.state, self.model.params
        slot = week % WEEKS_PER_YEAR
        cost = 0.0
        if _arena_active(w, arena, week):
            cost += w.ar_secretariat[arena] + w.ar_knowledge[arena]
            if (week - w.ar_start[arena]) % w.ar_meet_every[arena] == 0:
                cost += p.meeting_cost * w.ar_attendance[arena]
                for k in range(w.ar_pair_ptr[arena], w.ar_pair_ptr[arena + 1]):
                    s.interaction[w.ar_pairs[k]] += p.meeting_interaction
        elif week < w.ar_start[arena]:
            cost += w.ar_secretariat[arena]
        s.ring[R_EFFORT, slot] += cost
        if not w.ar_new[arena]:
            s.ring[R_EFFORT_EXISTING, slot] += cost


class Ministry(StateActor):
    """A ministry (departement): issues assignments to its directorates in allocation and assignment letters."""

    def issue_stream(self, stream: int, week: int) -> None:
        """Issue this year's assignments of one annual stream (tildelingsbrev)."""
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
        """As lead of assignment ``a``: add this week's joint work and record who worked with whom."""
        w, s, p = self.model.world, self.model.state, self.model.params
        slot = week % WEEKS_PER_YEAR
        lead = self.index
        workers = [i for i in range(w.n_state) if s.a_works[a, i]]
        level_sum = 0.0
        effort = 0.0
        useful = 0.0
        participant_effort = 0.0
        for x, i in enumerate(workers):
            effort += s.a_effort[a, i]
            useful += s.a_effort[a, i] * w.relevance[i]
            if i != lead:
                level_sum += s.level[w.pair_id[lead, i]]
                if w.kind[i] == DIRECTORATE:
                    participant_effort += s.a_effort[a, i]
            for j in workers[x + 1:]:
                q = w.pair_id[i, j]
                s.interaction[q] += min(s.a_effort[a, i], s.a_effort[a, j])
                if s.a_letter[a, i] and s.a_letter[a, j]:
                    s.mandate_link[q] = True
        n_workers = len(workers)
        level = level_sum / (n_workers - 1) if n_workers > 1 else float(TOP_STEP)
        s.a_level[a] = level
        ar = s.a_arena[a]
        s.ring[R_EFFORT, slot] += effort
        if not _steered_by_new(w, ar, s.a_issuing_arena[a], week):
            s.ring[R_EFFORT_EXISTING, slot] += effort
        s.ring[R_PARTICIPANT, slot] += participant_effort
        if ar >= 0 and _arena_active(w, ar, week):
            useful += w.ar_secretariat[ar] / open_in_arena[ar]
        efficiency = p.coordination_floor + (1.0 - p.coordination_floor) * level / TOP_STEP
        gained = useful * efficiency / (1.0 + p.coordination_overhead * (n_workers - 1))
        s.a_progress[a] += gained
        phase = s.a_phase[a]
        if phase == OPERATION:
            s.ring[R_DELIVERY, slot] += gained
        if phase == DECISION:
            s.a_required[a] = p.work_decision * (1.0 + p.agreement_cost * (n_workers - 1))
        elif phase == INITIATIVE:
            s.a_required[a] = p.work_initiative
        elif phase == IMPLEMENTATION:
            s.a_required[a] = p.work_implementation
        else:
            s.a_required[a] = p.work_operation

    def conclude(self, a: int, week: int) -> None:
        """As lead: drop an overdue assignment, or move a finished phase on (with the interpretation dip)."""
        w, s, p = self.model.world, self.model.state, self.model.params
        slot = week % WEEKS_PER_YEAR
        if week - s.a_issued[a] >= p.max_age_weeks:
            s.a_status[a] = DROPPED
            s.a_closed[a] = week
            s.counters[N_DROPPED] += 1
            s.ring[R_DROPPED, slot] += 1.0
            return
        if s.a_progress[a] < s.a_required[a]:
            return
        s.a_progress[a] = 0.0
        phase = s.a_phase[a]
        if phase == OPERATION:
            s.a_status[a] = COMPLETED
            s.a_closed[a] = week
            s.counters[N_COMPLETED] += 1
            s.ring[R_COMPLETED, slot] += 1.0
            s.ring[R_LEAD_TIME, slot] += week - s.a_issued[a]
            return
        if phase == DECISION:
            s.a_decider[a, :] = s.a_works[a, :]
            s.ring[R_DECISIONS, slot] += 1.0
            s.ring[R_DECISION_SCORE, slot] += _decision_score(w, s, a)
            ar = s.a_arena[a]
            handed_over = ar >= 0 and w.ar_in_line[ar] and _arena_decides(w, ar, week)
            for j in range(w.n_state):
                if s.a_participant[a, j] and (handed_over or not s.a_decider[a, j]):
                    q = w.pair_id[self.index, j]
                    s.level[q] = max(w.pair_floor[q], s.level[q] - p.interpretation_loss)
                    s.progress[q] = 0.0
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
        return int(self.model.actors.municipalities["population"].iat[self.row])

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

    def receive_signals(self, week: int, operating: list[int], signal: float, municipal_reference: bool) -> None:
        """Perhaps be reached by a state measure and take it up; keep the relation with the state and local coordination."""
        w, s, p, k = self.model.world, self.model.state, self.model.params, self.row
        number = self.number
        knowledge = s.scalars[KNOWLEDGE]
        n_op = len(operating)
        chain = 0.5 + 0.125 * s.level[w.pair_id[w.mu_statsforvalter[k], w.lead_agency]]
        sigma = signal * chain
        reached = n_op > 0 and U(w.key, week, rng.REACH, number) < sigma / (1.0 + sigma)
        if reached:
            pick = int(U(w.key, week, rng.PICK_ASSIGNMENT, number) * n_op)
            a = operating[min(pick, n_op - 1)]
            take_up = w.mu_capacity[k] * (1.0 + (p.outreach_gain if s.outreach[k] else 0.0))
            take_up *= 1.0 + (p.rer_gain * w.mu_rer_adequacy[k] if w.rer_contact_point else 0.0)
            take_up *= (0.5 + 0.5 * knowledge) * (0.5 + 0.5 * s.m_level[k] / p.municipal_cap)
            if U(w.key, week, rng.TAKE_UP, number) < take_up:
                if s.a_pooled[a]:
                    gain = p.local_gain_pooled
                elif s.a_channel[a] == GRANT:
                    gain = p.local_gain_sector
                else:
                    gain = p.local_gain_guidance
                s.local_progress[k] += gain
                s.last_uptake[k] = week
                s.uptakes[k] += 1
                if s.local_level[k] < TOP_STEP and s.local_progress[k] >= p.local_threshold * (s.local_level[k] + 1):
                    s.local_level[k] += 1
                    s.local_progress[k] = 0.0
        agreement = w.state_support or municipal_reference
        _staircase_step(s.m_level, s.m_progress, s.m_idle, k, p.contact_interaction if reached else 0.0, p.municipal_cap,
                        0, agreement, agreement, knowledge, p, w.key, week, rng.MUNICIPAL_EROSION, number)
        if week - s.last_uptake[k] > WEEKS_PER_YEAR and s.local_level[k] > 0:
            if U(w.key, week, rng.LOCAL_EROSION, number) < p.local_erosion_hazard:
                s.local_level[k] -= 1
                s.local_progress[k] = 0.0
        if w.outreach_support and not s.outreach[k]:
            korus = 0.5 + 0.125 * s.level[w.pair_id[w.mu_korus[k], w.lead_agency]]
            if U(w.key, week, rng.OUTREACH_ADOPT, number) < p.outreach_adoption / WEEKS_PER_YEAR * korus:
                s.outreach[k] = True


# --- shared predicates of the python engine (mirrors of sim.core) ---
def _arena_active(w, a: int, week: int) -> bool:
    return w.ar_start[a] <= week and (w.ar_end[a] < 0 or week < w.ar_end[a])


def _arena_decides(w, a: int, week: int) -> bool:
    return _arena_active(w, a, week) and w.ar_decides_from[a] >= 0 and week >= w.ar_decides_from[a]


def _ownership_share(w, issuing_arena: int, diffusion: float) -> float:
    if issuing_arena < 0:
        return 1.0
    return 1.0 / (1.0 + diffusion * (w.ar_size[issuing_arena] - 1))


def _steered_by_new(w, ar: int, issuing_arena: int, week: int) -> bool:
    if issuing_arena >= 0 and w.ar_new[issuing_arena] and _arena_active(w, issuing_arena, week):
        return True
    if ar < 0 or not w.ar_new[ar]:
        return False
    if w.ar_remandated[ar]:
        return _arena_active(w, ar, week)
    return _arena_decides(w, ar, week)


def _decides(w, s, a: int, i: int, week: int) -> bool:
    if i == s.a_lead[a]:
        return True
    joint = False
    ar = s.a_arena[a]
    if ar >= 0 and _arena_decides(w, ar, week):
        joint = True
        if s.a_participant[a, i] and w.ar_member[ar, i]:
            return True
    ia = s.a_issuing_arena[a]
    if ia >= 0 and _arena_decides(w, ia, week):
        joint = True
        if w.ar_member[ia, i]:
            return True
    return (not joint) and i == s.a_issuer[a]


def _works(w, s, a: int, i: int, week: int) -> bool:
    phase = s.a_phase[a]
    if phase == DECISION:
        return _decides(w, s, a, i, week)
    if i == s.a_lead[a]:
        return True
    if phase == INITIATIVE:
        ar = s.a_arena[a]
        return bool(s.a_participant[a, i] and ar >= 0 and _arena_active(w, ar, week) and w.ar_member[ar, i])
    return bool(s.a_participant[a, i])


def _climb_gate(p, target: int, knowledge: float, mandate: bool, decision: bool) -> float:
    if target <= 2:
        return p.knowledge_floor + (1.0 - p.knowledge_floor) * knowledge
    if target == 3:
        return 1.0 if mandate else p.no_mandate_factor
    return 1.0 if decision else 0.0


def _staircase_step(level, progress, idle, q, interaction, cap, floor, mandate, decision, knowledge, p, key, week,
                    purpose, ident) -> None:
    """One week of one relation on the staircase (mirror of :func:`sim.core.staircase_step`)."""
    if interaction > 0.0:
        idle[q] = 0
        if level[q] < cap:
            target = level[q] + 1
            progress[q] += interaction * _climb_gate(p, target, knowledge, mandate, decision)
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


def _decision_score(w, s, a: int) -> float:
    sectors_all = set()
    sectors_dec = set()
    for i in range(w.n_state):
        collective = s.a_issuing_arena[a] >= 0 and w.ar_member[s.a_issuing_arena[a], i]
        if i == s.a_issuer[a] or collective or i == s.a_lead[a] or s.a_participant[a, i]:
            sectors_all.add(int(w.owner[i]))
        if s.a_decider[a, i] and w.owner[i] >= 0:
            sectors_dec.add(int(w.owner[i]))
    deciders = [i for i in range(w.n_state) if s.a_decider[a, i]]
    pairs = 0
    level_sum = 0.0
    for x, i in enumerate(deciders):
        for j in deciders[x + 1:]:
            pairs += 1
            level_sum += s.level[w.pair_id[i, j]]
    depth = level_sum / pairs / TOP_STEP if pairs > 0 else 0.0
    return len(sectors_all & sectors_dec) / len(sectors_all) * depth


def _draw_own_directorate(w, ministry: int, u: float) -> int:
    own = [j for j in range(w.n_state) if w.kind[j] == DIRECTORATE and w.owner[j] == ministry]
    total = 0.0
    for j in own:
        total += w.relevance[j]
    if total <= 0.0:
        return -1
    target = u * total
    cum = 0.0
    for j in own:
        cum += w.relevance[j]
        if target < cum:
            return j
    return own[-1]


def _new_assignment(model: CoordinationModel, week: int, issuer: int, t: int) -> None:
    w, s, p = model.world, model.state, model.params
    a = int(s.counters[N_ISSUED])
    lead = int(w.st_lead[t]) if t >= 0 else -1
    if lead < 0:
        lead = _draw_own_directorate(w, issuer, U(w.key, week, rng.OWN_LEAD, a))
        if lead < 0:
            return
    arena = int(w.st_arena[t]) if t >= 0 else -1
    if t >= 0 and w.st_lead[t] < 0 and w.field_arena >= 0 and w.ar_member[w.field_arena, lead]:
        arena = w.field_arena
    for j in range(w.n_state):
        if j == lead or w.kind[j] != DIRECTORATE:
            continue
        if t >= 0 and w.st_arena[t] >= 0:
            eligible = w.st_candidates[t, j]
        elif arena >= 0:
            eligible = w.ar_member[arena, j]
        else:
            eligible = True
        if eligible and U(w.key, week, rng.PARTICIPANT, a * w.n_state + j) < p.participation_rate * w.relevance[j]:
            s.a_participant[a, j] = True
    channel = int(w.st_channel[t]) if t >= 0 else -1
    if channel < 0:
        u = U(w.key, week, rng.CHANNEL, a)
        channel = GRANT if u < p.grant_share else (GUIDANCE if u < p.grant_share + p.guidance_share else MEASURE)
    s.a_letter[a, lead] = True
    policy = w.st_letters[t] if t >= 0 else 0
    for j in range(w.n_state):
        if s.a_participant[a, j] and (policy == LETTERS_ALL or (policy == LETTERS_SET and w.st_letter_set[t, j])):
            s.a_letter[a, j] = True
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


def python_week(model: CoordinationModel, week: int) -> None:
    """One week of the reference engine: the agents act in the order of :func:`sim.core.advance_week`."""
    w, s, p = model.world, model.state, model.params
    actors = model.state_actors
    slot = week % WEEKS_PER_YEAR
    s.ring[:, slot] = 0.0
    s.interaction[:] = 0.0
    s.arena_link[:] = False
    s.mandate_link[:] = False
    s.decision_link[:] = False
    n_arenas = len(w.ar_lead)
    for a in range(n_arenas):
        actors[w.ar_lead[a]].convene(a, week)
    for a in range(n_arenas):
        if w.ar_end[a] == week:
            actors[w.ar_lead[a]].close_arena(a, week)
    if week % WEEKS_PER_YEAR == 0:
        for t in range(len(w.st_issuer)):
            actors[w.st_issuer[t]].issue_stream(t, week)
    for m in range(w.n_ministries):
        actors[m].issue_adhoc(week)
    open_ids = [a for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]) if s.a_status[a] == OPEN]
    open_in_arena = [0] * n_arenas
    for a in open_ids:
        if s.a_arena[a] >= 0:
            open_in_arena[s.a_arena[a]] += 1
    for a in open_ids:
        for i in range(w.n_state):
            s.a_works[a, i] = _works(w, s, a, i, week)
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
    effort = 0.0
    for a in range(n_arenas):
        if _arena_active(w, a, week):
            effort += w.ar_knowledge[a]
    k = s.scalars[KNOWLEDGE]
    s.scalars[KNOWLEDGE] = k + p.knowledge_build * effort * (1.0 - k) - p.knowledge_decay * k
    operating = [a for a in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED])
                 if s.a_status[a] == OPEN and s.a_phase[a] == OPERATION]
    municipal_reference = any(_arena_active(w, a, week) and w.ar_municipal_ref[a] for a in range(n_arenas))
    signal = p.reach_rate * s.ring[R_DELIVERY, slot] * (1.0 + (p.state_support_gain if w.state_support else 0.0))
    for municipality in model.municipality_agents:
        municipality.receive_signals(week, operating, signal, municipal_reference)


__all__ = ["Directorate", "Ministry", "Municipality", "RegionalOffice", "StateActor", "python_week"]
