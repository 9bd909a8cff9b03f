"""The structs the kernels take (sim.simulation.structs): the tuple's own arrays, held while needed and let go after."""

from __future__ import annotations

import gc
import weakref

from numba import njit

from sim import CoordinationModel
from sim.simulation.structs import as_struct


@njit
def raise_level(state, q):
    state.level[q] += 1
    return state.level[q]


def test_a_struct_holds_the_tuples_arrays_themselves_and_lets_them_go():
    # a State, not a tuple type of the tests: numba's cache index of as_struct names every type it was
    # compiled for, and a process that cannot import that type could not load the index
    state = CoordinationModel("baseline", rng=1).state
    struct = as_struct(state)
    state.level[3] = 2  # a change made in place is what the kernel sees ...
    assert raise_level(struct, 3) == 3
    assert state.level[3] == 3  # ... and what the kernel writes is in the tuple's array
    gone = weakref.ref(state.level)
    del state
    gc.collect()
    assert gone() is not None  # the struct keeps the array alive on its own
    del struct
    gc.collect()
    assert gone() is None  # and lets it go with itself (no leak over a batch's runs)
