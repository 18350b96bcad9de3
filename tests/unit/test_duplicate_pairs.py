"""Near-duplicate search: the blocked pairs are exactly the brute-force pairs."""

from __future__ import annotations

import itertools

import numpy as np

from clipdesk.search.near_pairs import candidate_pairs


def test_blocked_pairs_are_exactly_the_brute_force_pairs():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 32))
    m = np.repeat(centres, 25, axis=0) + rng.normal(scale=0.15, size=(1000, 32))
    m = (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)
    times = np.sort(rng.uniform(0, 5000, size=1000))
    full = m @ m.T
    for within in (None, 30.0):
        want = {
            (i, j)
            for i, j in itertools.combinations(range(1000), 2)
            if full[i, j] >= 0.9 and (within is None or times[j] - times[i] <= within)
        }
        got = {(i, j) for i, j, _ in candidate_pairs(m, 0.9, times, within, block=96)}
        assert got == want and want
