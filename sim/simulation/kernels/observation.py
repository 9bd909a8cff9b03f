"""Observation: every metric from what the actors did, never from a declared structural field.

The criteria read the realised staircase of relations that had contact, the work
done and by whom, the decisions the sectors acted on, and the municipalities served
(seed 000 table 3; ``docs/ODD.md``, Observation, says why each is what the report's
criterion means).  From the world they read only actor data: sectors, which pairs
are cross-sector, municipal size classes.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..metrics import (
    N_BALANCE,
    N_COST,
    N_COVERAGE,
    N_ISSUED_OUT,
    N_LEVEL0,
    N_LOCAL_SUPPORT_CLASS,
    N_SECTOR_COMPLETED,
    N_SECTOR_EFFORT,
)
from ..state import (
    N_COMPLETED,
    N_DROPPED,
    N_ISSUED,
    R_COMPLETED,
    R_DROPPED,
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


@njit(cache=True, error_model="numpy")
def measure(w, s, week):
    """Write every metric for the state after ``week`` into ``s.metrics``."""
    out = s.metrics
    out[:] = 0.0
    year = np.zeros(s.ring.shape[0])  # trailing-year totals, summed in a fixed order for both engines
    for r in range(s.ring.shape[0]):
        for t in range(WEEKS_PER_YEAR):
            year[r] += s.ring[r, t]
    # the pair and municipal tallies sum integers (steps, counts): exact in any order, so they are
    # kept as integers and divided once at the end
    field, cross, level_of, contact = w.pair_field, w.pair_cross, s.level, s.last_contact
    size_class, last_uptake, local_level, m_level = w.mu_size_class, s.last_uptake, s.local_level, s.m_level
    at_step = np.zeros(TOP_STEP + 1, np.int64)
    n_field = 0
    n_cross = 0
    organised = 0
    n_active = 0
    n_understood = 0
    for q in range(len(field)):
        if not field[q]:
            continue
        n_field += 1
        level = level_of[q]
        at_step[level] += 1
        if not cross[q]:
            continue
        n_cross += 1
        if week - contact[q] < WEEKS_PER_YEAR:  # the pair met or worked together in the trailing year
            organised += level
            n_active += 1
            if level >= 2:
                n_understood += 1
    for k in range(TOP_STEP + 1):
        out[N_LEVEL0 + k] = at_step[k] / n_field
    work = year[R_WORK]
    knowledge_in_use = year[R_WORK_KNOWLEDGE] / work if work > 0 else 0.0
    out[0] = organised / (TOP_STEP * n_cross)
    out[1] = 0.5 * knowledge_in_use + 0.5 * (n_understood / n_active if n_active > 0 else 0.0)
    acted = year[R_STRATEGIC_N]
    out[2] = year[R_STRATEGIC] / acted if acted > 0 else 0.0
    completed = year[R_COMPLETED]
    closed = completed + year[R_DROPPED]
    out[3] = completed / closed if closed > 0 else 0.0
    n_mun = len(size_class)
    supported = 0
    relation = 0
    local = 0
    # per size class (0 small, 1 medium, 2 large): municipalities, those reached in the last year and
    # their local steps, as scalars with no branch, so the loop vectorises (6x faster than indexing)
    in0 = in1 = in2 = covered0 = covered1 = covered2 = held0 = held1 = held2 = 0
    for k in range(n_mun):
        c = size_class[k]
        recent = np.int64(week - last_uptake[k] < WEEKS_PER_YEAR)
        held = recent * local_level[k]
        relation += m_level[k]
        local += local_level[k]
        supported += held
        small, medium, large = np.int64(c == 0), np.int64(c == 1), np.int64(c == 2)
        in0 += small
        in1 += medium
        in2 += large
        covered0 += small * recent
        covered1 += medium * recent
        covered2 += large * recent
        held0 += small * held
        held1 += medium * held
        held2 += large * held
    out[4] = supported / (TOP_STEP * n_mun)
    use = year[R_USE]
    out[5] = year[R_USE_EXISTING] / use if use > 0 else 1.0
    out[N_ISSUED_OUT] = s.counters[N_ISSUED]
    out[N_ISSUED_OUT + 1] = s.counters[N_ISSUED] - s.counters[N_COMPLETED] - s.counters[N_DROPPED]
    out[N_ISSUED_OUT + 2] = s.counters[N_COMPLETED]
    out[N_ISSUED_OUT + 3] = s.counters[N_DROPPED]
    out[N_ISSUED_OUT + 4] = year[R_LEAD_TIME] / completed if completed > 0 else 0.0
    for c, (n_in, covered, held) in enumerate(((in0, covered0, held0), (in1, covered1, held1), (in2, covered2, held2))):
        out[N_COVERAGE + c] = covered / n_in if n_in > 0 else 0.0
        out[N_LOCAL_SUPPORT_CLASS + c] = held / (TOP_STEP * n_in) if n_in > 0 else 0.0
    out[N_COST] = year[R_EFFORT] / WEEKS_PER_YEAR
    out[N_COST + 1] = year[R_PARTICIPANT] / WEEKS_PER_YEAR
    out[N_COST + 2] = work / WEEKS_PER_YEAR
    out[N_COST + 3] = year[R_LOAD] / WEEKS_PER_YEAR
    out[N_COST + 4] = knowledge_in_use
    out[N_COST + 5] = relation / n_mun
    out[N_COST + 6] = local / n_mun
    n_sectors = w.n_ministries
    sector_effort = 0.0
    sector_done = 0.0
    for m in range(n_sectors):
        sector_effort += year[R_SECTOR + m]
        sector_done += year[R_SECTOR + n_sectors + m]
    entropy = 0.0
    for m in range(n_sectors):
        share = year[R_SECTOR + m] / sector_effort if sector_effort > 0 else 0.0
        out[N_SECTOR_EFFORT + m] = share
        out[N_SECTOR_COMPLETED + m] = year[R_SECTOR + n_sectors + m] / sector_done if sector_done > 0 else 0.0
        if share > 0 and w.sector_in_field[m]:
            entropy -= share * math.log(share)
    out[N_BALANCE] = entropy / math.log(w.n_field_sectors) if w.n_field_sectors > 1 else 1.0
