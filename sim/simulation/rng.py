"""Counter-based random numbers shared by both engines.

Every draw is a pure function of ``(key, step, purpose, index)``: a splitmix64
hash chain turned into a float in [0, 1).  Neither engine keeps generator
state, so the numba kernels and the pure-Python agent methods draw exactly the
same numbers whatever order they loop in, and a municipality keyed by its
municipality number draws the same numbers wherever its row sits in the table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

_MASK = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

# Purposes: one per kind of decision, so draws for different decisions never coincide.
ISSUE_ADHOC = 2
PARTICIPANT = 3
CHANNEL = 4
OWN_LEAD = 5
TURNOVER = 6
EROSION = 7
COLLAPSE = 8
REACH = 9
TAKE_UP = 10
PICK_ASSIGNMENT = 11
OUTREACH_INIT = 12
OUTREACH_ADOPT = 13
LOCAL_EROSION = 14
MUNICIPAL_EROSION = 15
ATTEND = 16
BRING = 17
ASSENT = 18
ALIGN = 19


def _mix(z: int) -> int:
    z = (z + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * _MUL1) & _MASK
    z = ((z ^ (z >> 27)) * _MUL2) & _MASK
    return z ^ (z >> 31)


def uniform(key: int, step: int, purpose: int, index: int) -> float:
    """The reference draw in plain Python: a float in [0, 1)."""
    h = _mix(_mix(_mix(key ^ purpose) ^ step) ^ index)
    return (h >> 11) * _TO_UNIT


_G = np.uint64(_GOLDEN)
_M1 = np.uint64(_MUL1)
_M2 = np.uint64(_MUL2)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)


@numba.njit(cache=True)
def _mix_nb(z):
    z = z + _G
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(cache=True)
def uniform_nb(key, step, purpose, index):
    """The same draw as :func:`uniform`, compiled (uint64 arithmetic wraps)."""
    h = _mix_nb(_mix_nb(_mix_nb(np.uint64(key) ^ np.uint64(purpose)) ^ np.uint64(step)) ^ np.uint64(index))
    return np.float64(h >> _S11) * _TO_UNIT


def uniform_array(key: int, step: int, purpose: int, index: np.ndarray) -> np.ndarray:
    """:func:`uniform` for an array of indices at once (numpy's uint64 arithmetic wraps as the hash needs)."""
    with np.errstate(over="ignore"):
        h = np.uint64(key) ^ np.uint64(purpose)
        h = _mix_array(_mix_array(_mix_array(np.asarray([h])) ^ np.uint64(step)) ^ np.asarray(index, np.uint64))
    return (h >> _S11).astype(np.float64) * _TO_UNIT


def _mix_array(z: np.ndarray) -> np.ndarray:
    z = z + _G
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def key_from_seed(seed: int | Sequence[int]) -> int:
    """A 63-bit key from an integer seed or a sequence of them (entropy words), via numpy's SeedSequence."""
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]) >> 1


def world_key(generator: np.random.Generator) -> int:
    """The key of a run's draws, from the model's Mesa generator (``model.rng``): one draw, then :func:`key_from_seed`."""
    return key_from_seed(int(generator.integers(0, 2**63 - 1)))
