"""Where a week's time goes: each submodel kernel of :func:`sim.simulation.core.advance_week`, timed inside numba.

:func:`profiled_weeks` is :func:`sim.simulation.core.advance_weeks` with the C library's ``clock()`` read between
submodels (numba calls it without leaving compiled code; its resolution is 1 microsecond, its cost
well under that).  :func:`profile` checks that the profiled run gives exactly the metrics of an
ordinary ``run_weeks``, so this copy of the week cannot drift from the real one unnoticed.
"""

from __future__ import annotations

import ctypes
import time

import numpy as np
from numba import njit

from sim import CoordinationModel
from sim.simulation.kernels.arenas import hold_meetings, link_arenas
from sim.simulation.kernels.assignments import conclude_phases, issue_assignments, mark_workers
from sim.simulation.kernels.capacity import commit_capacity
from sim.simulation.kernels.effort import allocate_effort, work_on_assignments
from sim.simulation.kernels.knowledge import update_knowledge
from sim.simulation.kernels.municipalities import serve_municipalities
from sim.simulation.kernels.observation import measure
from sim.simulation.kernels.programmes import end_periods
from sim.simulation.kernels.staircase import climb_and_erode, staff_turnover
from sim.simulation.metrics import METRICS
from sim.simulation.state import WEEKS_PER_YEAR, grow, max_new_assignments
from sim.simulation.structs import as_struct

SUBMODELS = ("link_arenas", "end_periods", "issue_assignments", "mark_workers", "commit_capacity", "allocate_effort",
             "work_on_assignments", "conclude_phases", "hold_meetings", "climb_and_erode", "staff_turnover",
             "update_knowledge", "serve_municipalities", "measure")
_libc = ctypes.CDLL(None)
_clock = _libc.clock
_clock.restype = ctypes.c_long
_clock.argtypes = []
CLOCKS_PER_SECOND = 1_000_000  # POSIX fixes CLOCKS_PER_SEC at one million


@njit(inline="always")
def _lap(ticks, submodel, since):
    now = _clock()
    ticks[submodel] += now - since
    return now


@njit
def profiled_weeks(w, s, p, first_week, n_weeks, open_in_arena, history, ticks):
    """``advance_weeks`` with each submodel's processor time added to ``ticks`` (one slot per submodel)."""
    for k in range(n_weeks):
        week = first_week + k
        slot = week % WEEKS_PER_YEAR
        for r in range(s.ring.shape[0]):
            s.ring[r, slot] = 0.0
        t = _clock()
        link_arenas(w, s, p, week)
        t = _lap(ticks, 0, t)
        end_periods(w, s, p, week)
        t = _lap(ticks, 1, t)
        issue_assignments(w, s, p, week)
        t = _lap(ticks, 2, t)
        mark_workers(w, s, week, open_in_arena)
        t = _lap(ticks, 3, t)
        commit_capacity(w, s, p, week, open_in_arena)
        t = _lap(ticks, 4, t)
        allocate_effort(w, s, p, week)
        t = _lap(ticks, 5, t)
        work_on_assignments(w, s, p, week, open_in_arena)
        t = _lap(ticks, 6, t)
        conclude_phases(w, s, p, week)
        t = _lap(ticks, 7, t)
        hold_meetings(w, s, p, week)
        t = _lap(ticks, 8, t)
        climb_and_erode(w, s, p, week)
        t = _lap(ticks, 9, t)
        staff_turnover(w, s, p, week)
        t = _lap(ticks, 10, t)
        update_knowledge(w, s, p, week)
        t = _lap(ticks, 11, t)
        serve_municipalities(w, s, p, week)
        t = _lap(ticks, 12, t)
        measure(w, s, week)
        t = _lap(ticks, 13, t)
        history[k, :] = s.metrics


def profile(structure: str, weeks: int = 520, repeat: int = 5, seed: int = 42) -> dict[str, float]:
    """Seconds per run of ``weeks`` weeks spent in each submodel: the total over ``repeat`` runs, divided."""
    ticks = np.zeros(len(SUBMODELS), np.int64)
    built = 0.0
    for k in range(repeat + 1):  # the first round compiles and warms up: not counted
        if k == 1:
            ticks[:], built = 0, 0.0
        started = time.perf_counter()
        model = CoordinationModel(structure=structure, rng=seed)
        built += time.perf_counter() - started
        bound = int(model.state.counters[0]) + max_new_assignments(model.world, 0, weeks)
        model.state = grow(model.state, bound)
        history = np.empty((weeks, len(METRICS)))
        profiled_weeks(as_struct(model.world), as_struct(model.state), model.params, 0, weeks, model._open_in_arena,
                       history, ticks)
        plain = CoordinationModel(structure=structure, rng=seed)
        plain.run_weeks(weeks)
        expected = plain.datacollector.get_model_vars_dataframe()[list(METRICS)].to_numpy()[-weeks:]
        if not np.array_equal(history, expected):
            raise AssertionError(f"{structure}: the profiled week differs from sim.simulation.core.advance_week")
    spent = {name: float(t) / CLOCKS_PER_SECOND / repeat for name, t in zip(SUBMODELS, ticks, strict=True)}
    return {"construction (Python: world and state; Mesa agents and DataCollector on demand)": built / repeat, **spent}
