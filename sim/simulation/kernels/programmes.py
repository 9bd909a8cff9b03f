"""What a programme carries ends with it: the jerk back down the staircase, and the joint work that stops.

Seed 004 §4.1: in the passage from a temporary programme to what follows, "kan mye gå
tilbake til det gamle ... Det kan føre til et rykk tilbake til start på samordningstrappa".
When an arena's mandate period ends -- for good, or until a renewed programme's next
period -- each relation it links that no other carrier has sustained with joint work in
the last ``erosion_delay`` weeks falls back to ``collapse_level`` with chance
``collapse_prob``: a mandate held through another arena protects only the joint work that
arena actually carries, and meeting in it does not.  A programme that is not renewed
ends the assignments it carries (they are dropped); between periods they wait
(:func:`sim.kernels.assignments.mark_workers`), and the arena's secretariat, meetings and
knowledge function stop while it is not active.
"""

from __future__ import annotations

from numba import njit

from .. import rng
from ..rng import uniform_nb as U
from ..state import FIRST_OPEN, N_ISSUED, OPEN
from .arenas import period_ends
from .assignments import drop_assignment


@njit(cache=True, error_model="numpy")
def sustained_elsewhere(pair_work, q, column, since):
    """Relation ``q`` had joint work after week ``since`` carried by something other than carrier ``column``."""
    for c in range(pair_work.shape[1]):
        if c != column and pair_work[q, c] > since:
            return True
    return False


@njit(cache=True, error_model="numpy")
def release_arena(w, s, p, week, a):
    """Arena ``a``'s period ends this week: relations it alone sustained may collapse; unrenewed, its work ends."""
    n_pairs = len(w.pair_floor)
    since = week - p.erosion_delay
    for k in range(w.ar_pair_ptr[a], w.ar_pair_ptr[a + 1]):
        q = w.ar_pairs[k]
        if s.level[q] > p.collapse_level and not sustained_elsewhere(s.pair_work, q, a + 1, since):
            if U(w.key, week, rng.COLLAPSE, a * n_pairs + q) < p.collapse_prob:
                s.level[q] = max(w.pair_floor[q], p.collapse_level)
                s.progress[q] = 0.0
    if w.ar_cycle[a] < 0:  # not renewed: the programme is over
        for x in range(s.counters[FIRST_OPEN], s.counters[N_ISSUED]):
            if s.a_status[x] == OPEN and s.a_arena[x] == a:
                drop_assignment(x, week, s.a_status, s.a_closed, s.a_phase, s.counters, s.ring)


@njit(cache=True, error_model="numpy")
def end_periods(w, s, p, week):
    """Release every arena whose mandate period ends this week."""
    for a in range(len(w.ar_start)):
        if period_ends(w.ar_start[a], w.ar_period[a], w.ar_cycle[a], week):
            release_arena(w, s, p, week, a)
