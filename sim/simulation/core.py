"""The numba engine: one week of the simulation as compiled kernels over the struct of arrays.

The submodels (one module each in :mod:`sim.simulation.kernels`) run in the order documented in
``docs/ODD.md`` (Process overview): arena links -> programme periods that end -> issue
assignments -> mark workers -> commitments to structures (meetings, staff, consultation)
-> allocate effort -> work -> conclude phases -> meetings held -> climb and erode ->
staff turnover -> knowledge -> municipalities -> observation.
:mod:`sim.simulation.agents` states the same rules as the agents' methods;
``tests/test_engines.py`` checks that both agree exactly for every organisation model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
from numba import njit
from numba._dispatcher import compute_fingerprint  # numba's dispatch key (see entry_point)

from .kernels.arenas import hold_meetings, link_arenas
from .kernels.assignments import conclude_phases, issue_assignments, mark_workers
from .kernels.capacity import commit_capacity
from .kernels.effort import allocate_effort, work_on_assignments
from .kernels.knowledge import update_knowledge
from .kernels.municipalities import serve_municipalities
from .kernels.observation import measure
from .kernels.programmes import end_periods
from .kernels.staircase import climb_and_erode, staff_turnover
from .state import WEEKS_PER_YEAR
from .structs import Struct

# error_model="numpy": a float division by zero gives inf or nan instead of raising, so the compiled
# code carries no zero test per division (a few per cent of a run).  Were a set-up ever to divide by
# zero, the python engine would raise and the numba engine give a non-finite metric: a batch records
# either as a failed run.  Every kernel it calls is compiled on its own, built the same way: with the
# world and the state passed as structs (:mod:`sim.simulation.structs`) a call costs two pointers; numba's
# inlining of each submodel into one function took 5 s more to compile, and these kernels run a
# 520-week run in 7.9 ms where the inlined ones on tuples took 9.9 ms (measured).

@njit(cache=True, error_model="numpy")
def advance_week(w, s, p, week, open_in_arena):
    """One week of the whole simulation (numba engine), measured at its end."""
    slot = week % WEEKS_PER_YEAR
    for r in range(s.ring.shape[0]):
        s.ring[r, slot] = 0.0
    link_arenas(w, s, p, week)
    end_periods(w, s, p, week)
    issue_assignments(w, s, p, week)
    mark_workers(w, s, week, open_in_arena)
    commit_capacity(w, s, p, week, open_in_arena)
    allocate_effort(w, s, p, week)
    work_on_assignments(w, s, p, week, open_in_arena)
    conclude_phases(w, s, p, week)
    hold_meetings(w, s, p, week)
    climb_and_erode(w, s, p, week)
    staff_turnover(w, s, p, week)
    update_knowledge(w, s, p, week)
    serve_municipalities(w, s, p, week)
    measure(w, s, week)


@njit(cache=True, nogil=True, error_model="numpy")
def advance_weeks(w, s, p, first_week, n_weeks, open_in_arena, history):
    """``n_weeks`` weeks in one call, each week's metrics stored as a row of ``history``.

    Gives exactly what ``n_weeks`` calls of :func:`advance_week` give, without a
    Python round trip per week; the assignment arrays must already hold every
    assignment these weeks can issue.  It releases the GIL, so replications can
    run side by side in threads (:func:`sim.simulation.replications.run_replications`).
    """
    for k in range(n_weeks):
        advance_week(w, s, p, first_week + k, open_in_arena)
        for m in range(history.shape[1]):  # a slice copy would compile numba's shape-mismatch message (5 s)
            history[k, m] = s.metrics[m]


@njit(cache=True, error_model="numpy")
def weekly(w, s, p, first_week, open_in_arena):
    """The weeks from ``first_week`` on, one per ``next()``: the week-by-week path (``step()``).

    A compiled generator keeps its arguments unboxed between weeks, where each call of a kernel
    from Python types and unboxes the 61 parameters again (520 steps took 1.6x ``run_weeks(520)``
    that way, 1.04x with the generator, measured).  The caller must start a new one whenever the
    state's arrays are replaced (:func:`grow`) or a week is run another way.
    """
    week = first_week
    while True:
        advance_week(w, s, p, week, open_in_arena)
        yield week
        week += 1


STEP_GENERATOR = tuple(int(part) for part in numba.__version__.split(".")[:2]) >= (0, 68)
"""Whether ``step()`` uses :func:`weekly`.  Numba's cache of generators is unreliable (numba#8679):
numba 0.60 compiles it again in every process (7.5 s for a first ``step()``, measured, which made
the lowest-version CI run twice as long); 0.68 loads it and it gives the same weeks (measured).
Below that, each ``step()`` calls :func:`advance_weeks` for one week, as before."""


def entry_point(dispatcher: Any, *args: Any) -> Callable[..., Any]:
    """The compiled function of ``dispatcher`` for these arguments' types, compiled or loaded if needed.

    Calling it skips numba's type resolution of every argument, done in Python for the parameter
    tuple's 61 fields.  The caller must pass arguments of exactly these types.  Found once per
    process for each type key (numba's own fingerprint; a struct's numba type), as typing the
    tuple in Python costs about 3 ms.
    """
    try:
        key = (dispatcher, *(a._type if isinstance(a, Struct) else compute_fingerprint(a) for a in args))
    except (TypeError, ValueError, NotImplementedError):  # a type numba cannot fingerprint: type it the slow way
        key = None
    found = _ENTRY_POINTS.get(key) if key is not None else None
    if found is None:
        signature = tuple(dispatcher.typeof_pyval(a) for a in args)
        if signature not in dispatcher.overloads:
            dispatcher.compile(signature)
        found = dispatcher.overloads[signature].entry_point
        if key is not None:
            _ENTRY_POINTS[key] = found
    return found


_ENTRY_POINTS: dict[tuple, Callable[..., Any]] = {}
