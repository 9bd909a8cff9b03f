"""Strict value checks shared by every entry point (parameters, model, scenario, loader, CLI).

One rule for what a number is: booleans are never numbers, strings (even numeric
ones) are never numbers, numpy scalars are numbers.  Whole-number fields refuse
non-integral and non-finite values, and every count has an upper bound that fits a
64-bit machine (``MAX_COUNT``).  Messages quote the offending value shortened to a
readable length, so a 100 MB value is never echoed.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

MAX_COUNT = 10**9  # upper bound for every count (weeks, replications, samples, municipalities, seeds' run counts)
MAX_SEED = 2**63 - 1  # seeds: any integer a numpy SeedSequence and a 64-bit result column take
MAX_WEEKS = 5200  # a hundred years of weekly steps: the longest horizon any entry point accepts
SHOWN = 60  # characters of an offending value quoted in a message


def shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`SHOWN` characters with an ellipsis."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN - 3] + "..."


def is_number(value: Any) -> bool:
    """A real number: Python or numpy ints and floats; never a bool or a string."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value).__name__ != "bool_"


def whole_number(value: Any, what: str, low: int, high: int = MAX_COUNT, *, also: str = "") -> int:
    """``value`` as an int in ``[low, high]``, or a ValueError naming ``what`` and what is allowed (``also``: other forms)."""
    allowed = f"a whole number in [{low}, {high}]{also}"
    if not is_number(value):
        raise ValueError(f"{what} must be {allowed}, got {shown(value)}.")
    if not isinstance(value, numbers.Integral) and (not math.isfinite(float(value)) or float(value) != int(value)):
        raise ValueError(f"{what} must be {allowed}, got {shown(value)}.")
    if not low <= int(value) <= high:
        raise ValueError(f"{what} must be {allowed}, got {shown(value)}.")
    return int(value)
