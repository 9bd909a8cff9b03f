"""The structs the kernels take (sim.structs): the tuple's own arrays, held while needed and let go after."""

from __future__ import annotations

import gc
import weakref
from typing import NamedTuple

import numpy as np
from numba import njit

from sim.structs import as_struct


class Pair(NamedTuple):
    values: np.ndarray
    offset: int


@njit
def bump(pair, i):
    pair.values[i] += pair.offset
    return pair.values[i]


def test_a_struct_holds_the_tuples_arrays_themselves_and_lets_them_go():
    values = np.zeros(3)
    pair = Pair(values, 2)
    struct = as_struct(pair)
    values[1] = 5.0  # a change made in place is what the kernel sees ...
    assert bump(struct, 1) == 7.0
    assert values[1] == 7.0  # ... and what the kernel writes is in the tuple's array
    gone = weakref.ref(values)
    del values, pair
    gc.collect()
    assert gone() is not None  # the struct keeps the array alive on its own
    del struct
    gc.collect()
    assert gone() is None  # and lets it go with itself (no leak over a batch's runs)
