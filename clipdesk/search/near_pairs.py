"""Which rows of a matrix of unit vectors are near each other: every pair at a cosine of at
least a threshold, by a blocked matrix product (exact, memory bounded by the block), or only
pairs taken within a time window of each other (bursts: near-linear in the rows); and the
union-find that joins such pairs into groups. No catalog, no Qt (search/duplicates.py uses
it)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BLOCK_ROWS = 1024


def candidate_pairs(
    matrix: np.ndarray,
    threshold: float,
    times: np.ndarray | None = None,
    within: float | None = None,
    block: int = BLOCK_ROWS,
) -> Iterator[tuple[int, int, float]]:
    """(row i, row j, cosine) for i < j with cosine >= ``threshold``; rows L2-normalised.

    With ``times`` (seconds, rows sorted by them) and ``within``, only rows whose times are
    at most ``within`` apart are compared: row i against row i + d for d = 1, 2, ... while
    any such pair is still within the window. The work is the number of pairs taken within
    the window (times the vector length), not the square of the library."""
    if times is None or within is None:
        yield from _blocked(matrix, threshold, block)
    else:
        yield from _banded(matrix, threshold, times, within)


def _blocked(matrix, threshold, block):
    """Every pair: each block of rows against itself and every row after it."""
    n = len(matrix)
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = np.asarray(matrix[start:stop], dtype=np.float32)
        other = np.asarray(matrix[start:], dtype=np.float32)
        sims = rows @ other.T  # (block, n - start): the upper triangle from `start` on
        ii, jj = np.nonzero(sims >= threshold)
        keep = jj > ii  # the pair once, never a photo with itself
        for i, j in zip(ii[keep].tolist(), jj[keep].tolist(), strict=True):
            yield start + i, start + j, float(sims[i, j])


def _banded(matrix, threshold, times, within, chunk: int = 65536):
    """Pairs taken at most ``within`` apart, rows sorted by time: once row i + d is too
    late for row i, so is every later row, so row i leaves the active set."""
    n = len(matrix)
    active = np.arange(n - 1)
    d = 1
    while active.size:
        active = active[active + d < n]
        active = active[times[active + d] - times[active] <= within]
        for part in range(0, active.size, chunk):
            i = active[part : part + chunk]
            a = np.asarray(matrix[i], dtype=np.float32)
            b = np.asarray(matrix[i + d], dtype=np.float32)
            sims = np.einsum("ij,ij->i", a, b)
            hit = np.flatnonzero(sims >= threshold)
            for k in hit.tolist():
                yield int(i[k]), int(i[k]) + d, float(sims[k])
        d += 1


class Union:
    """Union-find over row numbers: pairs joined into groups (connected components)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return [sorted(g) for g in out.values() if len(g) > 1]
