"""The dynamic side of a simulation: every changing quantity, as numpy arrays (struct of arrays).

Both engines advance the same :class:`State`; Mesa agents are readable views of
its rows.  Assignment arrays have a capacity that :func:`grow` doubles from Python
when the next week could overflow it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import rng
from .parameters import WEEKS_PER_YEAR, Params
from .world import World

# assignment phases (initiative -> decision -> implementation -> operation), seed 004 §2.3
INITIATIVE, DECISION, IMPLEMENTATION, OPERATION = 0, 1, 2, 3
PHASES = ("initiative", "decision", "implementation", "operation")
# assignment status: every assignment is exactly one of these at every step
OPEN, COMPLETED, DROPPED = 0, 1, 2
STATUSES = ("open", "completed", "dropped")
# delivery channels to municipalities
MEASURE, GUIDANCE, GRANT = 0, 1, 2  # positions in sim.simulation.structures.CHANNELS

TOP_STEP = 4
NEVER = -(10**9)

# counters
N_ISSUED, FIRST_OPEN, N_COMPLETED, N_DROPPED = 0, 1, 2, 3
# trailing-year ring buffers (one slot per week of the last year)
(R_COMPLETED, R_DROPPED, R_LEAD_TIME, R_STRATEGIC, R_STRATEGIC_N, R_EFFORT, R_USE, R_USE_EXISTING, R_PARTICIPANT,
 R_DELIVERY, R_WORK, R_WORK_KNOWLEDGE, R_LOAD) = range(13)
R_SECTOR = 13  # then one row per sector of effort, then one per sector of completed assignments (by lead sector)
LINE = 0  # column of ``State.pair_work`` for joint work in the line (no arena carries it); arena a is column a + 1


def ring_rows(n_sectors: int) -> int:
    """Rows of the trailing-year ring buffer for ``n_sectors`` sectors."""
    return R_SECTOR + 2 * n_sectors


class State(NamedTuple):
    """Dynamic arrays of one run."""

    counters: np.ndarray
    ring: np.ndarray
    metrics: np.ndarray
    # relations between state actors: staircase step 0-4, climbing progress, contact
    level: np.ndarray
    progress: np.ndarray
    idle: np.ndarray
    last_contact: np.ndarray
    interaction: np.ndarray
    arena_link: np.ndarray
    mandate_link: np.ndarray
    last_met: np.ndarray  # last week both attended a meeting of an arena that links them
    last_owned: np.ndarray  # last week both worked on an assignment both are committed to (a shared product)
    pair_work: np.ndarray  # last week of joint work per pair and carrier (column LINE, then one per arena)
    # state actors: knowledge of effective measures held, and the best met this week; capacity committed to
    # structures this week; effort on assignments and on structures so far (person-weeks)
    knowledge: np.ndarray
    reach: np.ndarray
    load: np.ndarray
    worked: np.ndarray
    committed: np.ndarray
    # arenas: evaluated knowledge portfolio, members' engagement and attendance, meetings held, maturity, the
    # secretariat time left this week for the assignments the arena carries, and their leads' stakes summed
    portfolio: np.ndarray
    engagement: np.ndarray
    attended: np.ndarray
    meetings: np.ndarray
    last_meeting: np.ndarray
    maturity: np.ndarray
    support: np.ndarray
    agenda: np.ndarray
    # assignments (oppdrag)
    a_issuer: np.ndarray
    a_issuing_arena: np.ndarray
    a_lead: np.ndarray
    a_arena: np.ndarray
    a_adhoc: np.ndarray
    a_channel: np.ndarray
    a_pooled: np.ndarray
    a_phase: np.ndarray
    a_status: np.ndarray
    a_progress: np.ndarray
    a_required: np.ndarray
    a_issued: np.ndarray
    a_closed: np.ndarray
    a_principals: np.ndarray
    a_steering: np.ndarray
    a_depth: np.ndarray
    a_participant: np.ndarray
    a_letter: np.ndarray
    a_decider: np.ndarray
    a_assent: np.ndarray
    a_works: np.ndarray
    a_effort: np.ndarray
    a_level: np.ndarray
    # municipalities: relation to the state (via Statsforvalteren) and local coordination
    m_level: np.ndarray
    m_progress: np.ndarray
    m_idle: np.ndarray
    local_level: np.ndarray
    local_progress: np.ndarray
    last_uptake: np.ndarray
    uptakes: np.ndarray
    outreach: np.ndarray


ASSIGNMENT_FIELDS = tuple(f for f in State._fields if f.startswith("a_"))


def _assignment_arrays(capacity: int, n_state: int) -> dict[str, np.ndarray]:
    def full(value, dtype=np.int64):
        return np.full(capacity, value, dtype=dtype)

    matrix = (capacity, n_state)
    return dict(
        a_issuer=full(-1), a_issuing_arena=full(-1), a_lead=full(-1), a_arena=full(-1),
        a_adhoc=full(False, bool), a_channel=full(-1), a_pooled=full(False, bool),
        a_phase=full(INITIATIVE), a_status=full(OPEN), a_progress=full(0.0, float), a_required=full(0.0, float),
        a_issued=full(-1), a_closed=full(-1), a_principals=full(1), a_steering=full(1.0, float),
        a_depth=full(0.0, float),
        a_participant=np.zeros(matrix, bool), a_letter=np.zeros(matrix, bool),
        a_decider=np.zeros(matrix, bool), a_assent=np.zeros(matrix, bool), a_works=np.zeros(matrix, bool), a_effort=np.zeros(matrix, float), a_level=full(0.0, float),
    )


def initial_state(world: World, params: Params, n_metrics: int, capacity: int = 256) -> State:
    """The state at week 0: the staircase as today, no assignments, outreach in about 48 % of municipalities.

    Every state actor holds its own sector's knowledge; a new arena's portfolio starts
    from it, and its members start fully engaged.
    """
    n_pairs = len(world.pair_i)
    n_mun = len(world.mu_number)
    n_ar = len(world.ar_lead)
    outreach = rng.uniform_array(world.key, 0, rng.OUTREACH_INIT, world.mu_number) < params.outreach_share
    return State(
        counters=np.zeros(4, np.int64),
        ring=np.zeros((ring_rows(world.n_ministries), WEEKS_PER_YEAR)), metrics=np.zeros(n_metrics),
        level=world.pair_initial.copy(), progress=np.zeros(n_pairs), idle=np.zeros(n_pairs, np.int64),
        last_contact=np.full(n_pairs, NEVER, np.int64),
        interaction=np.zeros(n_pairs), arena_link=np.zeros(n_pairs, bool),
        mandate_link=np.zeros(n_pairs, bool), last_met=np.full(n_pairs, NEVER, np.int64),
        last_owned=np.full(n_pairs, NEVER, np.int64),
        pair_work=np.full((n_pairs, n_ar + 1), NEVER, np.int64),
        knowledge=np.full(world.n_state, params.knowledge_initial), reach=np.zeros(world.n_state),
        load=np.zeros(world.n_state), worked=np.zeros(world.n_state), committed=np.zeros(world.n_state),
        portfolio=np.full(n_ar, params.knowledge_initial), engagement=world.ar_member.astype(float),
        attended=np.zeros((n_ar, world.n_state), bool), meetings=np.zeros(n_ar, np.int64),
        last_meeting=np.full(n_ar, NEVER, np.int64), maturity=np.where(world.ar_today, params.existing_maturity, 0.0), support=np.zeros(n_ar),
        agenda=np.zeros(n_ar),
        **_assignment_arrays(capacity, world.n_state),
        m_level=np.zeros(n_mun, np.int64), m_progress=np.zeros(n_mun), m_idle=np.zeros(n_mun, np.int64),
        local_level=np.zeros(n_mun, np.int64), local_progress=np.zeros(n_mun),
        last_uptake=np.full(n_mun, NEVER, np.int64), uptakes=np.zeros(n_mun, np.int64), outreach=outreach,
    )


def max_new_assignments(world: World, first_week: int, weeks: int = 1) -> int:
    """Upper bound on assignments issued in weeks ``first_week ..`` (annual letters plus one ad-hoc per ministry a week)."""
    years = -(-(first_week + weeks) // WEEKS_PER_YEAR) - -(-first_week // WEEKS_PER_YEAR)  # weeks that open a year
    return years * world.annual_issues + weeks * world.n_ministries


def grow(state: State, needed: int) -> State:
    """Return a state whose assignment arrays hold at least ``needed`` assignments."""
    capacity = len(state.a_status)
    if needed <= capacity:
        return state
    new_capacity = max(needed, 2 * capacity)
    fresh = _assignment_arrays(new_capacity, state.a_participant.shape[1])
    for name in ASSIGNMENT_FIELDS:
        fresh[name][:capacity] = getattr(state, name)
    return state._replace(**fresh)
