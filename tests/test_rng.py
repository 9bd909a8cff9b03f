"""The counter-based draws: the Python reference, the compiled twin and the array form give the same numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.simulation import rng

KEYS = st.integers(0, 2**63 - 1)
COUNTS = st.integers(0, 2**31)


@given(KEYS, COUNTS, st.integers(0, 20), st.lists(st.integers(0, 2**40), min_size=1, max_size=20))
def test_every_form_of_the_draw_agrees(key, step, purpose, indices):
    reference = [rng.uniform(key, step, purpose, i) for i in indices]
    assert [rng.uniform_nb(key, step, purpose, i) for i in indices] == reference
    assert rng.uniform_array(key, step, purpose, np.array(indices)).tolist() == reference
    assert all(0.0 <= u < 1.0 for u in reference)


def test_draws_are_spread_evenly():
    u = rng.uniform_array(12345, 7, rng.REACH, np.arange(200_000))
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    assert np.all(np.abs(counts / 20_000 - 1) < 0.03)  # each decile within 3 % (about 4.7 standard errors)
