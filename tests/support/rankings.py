"""Comparing two rankings of (id, score) pairs, as the vector search tests do."""

from __future__ import annotations

import numpy as np


def overlap(a, b, k):
    return len({i for i, _ in a[:k]} & {i for i, _ in b[:k]}) / k


def same_top(fast, exact) -> float:
    """Every rank's score is the exact one (so the ranking is exact up to ties that
    float rounding may order either way); returns the overlap of the ids."""
    assert len(fast) == len(exact)
    np.testing.assert_allclose([s for _, s in fast], [s for _, s in exact], atol=1e-5)
    tied = {i for i, s in exact if abs(s - exact[-1][1]) < 1e-5}
    assert {i for i, _ in fast} - tied == {i for i, _ in exact} - tied
    return overlap(fast, exact, len(exact))
