"""What the model measures each week: the report's six criteria and the outcomes behind them.

One function computes every metric from the state, so both engines report through
the same code.  How and why each criterion measures what the report (seed 000,
table 3) means is documented in ``docs/ODD.md`` (Design concepts: Observation).
Flows (completions, decisions, effort) are taken over the trailing 52 weeks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .state import (
    KNOWLEDGE,
    N_COMPLETED,
    N_DROPPED,
    N_ISSUED,
    R_COMPLETED,
    R_DECISION_SCORE,
    R_DECISIONS,
    R_DROPPED,
    R_EFFORT,
    R_EFFORT_EXISTING,
    R_LEAD_TIME,
    R_PARTICIPANT,
    TOP_STEP,
    WEEKS_PER_YEAR,
)

CRITERIA: tuple[str, ...] = (
    "cross_sector_organisation",
    "shared_understanding",
    "strategic_coordination",
    "operational_implementation",
    "local_support",
    "use_of_existing_structures",
)
LEVEL_SHARES: tuple[str, ...] = tuple(f"level_{k}_share" for k in range(TOP_STEP + 1))
SIZE_CLASSES: tuple[str, ...] = ("coverage_small", "coverage_medium", "coverage_large")
OUTCOMES: tuple[str, ...] = (
    *LEVEL_SHARES,
    "assignments_issued",
    "assignments_open",
    "assignments_completed",
    "assignments_dropped",
    "lead_time_weeks",
    *SIZE_CLASSES,
    "cost_person_years",
    "participant_effort_py",
    "knowledge_base",
    "municipal_relation_level",
    "local_coordination_level",
)
METRICS: tuple[str, ...] = CRITERIA + OUTCOMES
INDEX: dict[str, int] = {name: k for k, name in enumerate(METRICS)}
N_LEVEL0 = INDEX["level_0_share"]
N_ISSUED_OUT = INDEX["assignments_issued"]
N_COVERAGE = INDEX["coverage_small"]
N_COST = INDEX["cost_person_years"]


@njit(cache=True)
def measure(w, s, week):
    """Write every metric for the state after ``week`` into ``s.metrics``."""
    out = s.metrics
    out[:] = 0.0
    year = np.zeros(s.ring.shape[0])  # trailing-year totals, summed in a fixed order for both engines
    for r in range(s.ring.shape[0]):
        for t in range(WEEKS_PER_YEAR):
            year[r] += s.ring[r, t]
    knowledge = s.scalars[KNOWLEDGE]
    field, level_of, arena_link, idle = w.pair_field, s.level, s.arena_link, s.idle
    size_class, last_uptake, local_level, m_level = w.mu_size_class, s.last_uptake, s.local_level, s.m_level
    n_field = 0
    organised = 0.0
    n_active = 0
    n_understood = 0
    for q in range(len(field)):
        if not field[q]:
            continue
        n_field += 1
        level = level_of[q]
        out[N_LEVEL0 + level] += 1.0
        if arena_link[q]:
            organised += level
        if idle[q] < WEEKS_PER_YEAR:
            n_active += 1
            if level >= 2:
                n_understood += 1
    for k in range(TOP_STEP + 1):
        out[N_LEVEL0 + k] /= n_field
    out[0] = organised / (TOP_STEP * n_field)
    out[1] = 0.5 * knowledge + 0.5 * (n_understood / n_active if n_active > 0 else 0.0)
    decisions = year[R_DECISIONS]
    out[2] = year[R_DECISION_SCORE] / decisions if decisions > 0 else 0.0
    completed = year[R_COMPLETED]
    closed = completed + year[R_DROPPED]
    out[3] = completed / closed if closed > 0 else 0.0
    n_mun = len(size_class)
    supported = 0.0
    in_class = np.zeros(3)
    covered = np.zeros(3)
    relation = 0.0
    local = 0.0
    for k in range(n_mun):
        recent = week - last_uptake[k] < WEEKS_PER_YEAR
        c = size_class[k]
        in_class[c] += 1.0
        if recent:
            covered[c] += 1.0
            supported += local_level[k]
        relation += m_level[k]
        local += local_level[k]
    out[4] = supported / (TOP_STEP * n_mun)
    effort = year[R_EFFORT]
    out[5] = year[R_EFFORT_EXISTING] / effort if effort > 0 else 1.0
    out[N_ISSUED_OUT] = s.counters[N_ISSUED]
    out[N_ISSUED_OUT + 1] = s.counters[N_ISSUED] - s.counters[N_COMPLETED] - s.counters[N_DROPPED]
    out[N_ISSUED_OUT + 2] = s.counters[N_COMPLETED]
    out[N_ISSUED_OUT + 3] = s.counters[N_DROPPED]
    out[N_ISSUED_OUT + 4] = year[R_LEAD_TIME] / completed if completed > 0 else 0.0
    for c in range(3):
        out[N_COVERAGE + c] = covered[c] / in_class[c] if in_class[c] > 0 else 0.0
    out[N_COST] = effort / WEEKS_PER_YEAR
    out[N_COST + 1] = year[R_PARTICIPANT] / WEEKS_PER_YEAR
    out[N_COST + 2] = knowledge
    out[N_COST + 3] = relation / n_mun
    out[N_COST + 4] = local / n_mun
