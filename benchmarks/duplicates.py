"""Near-duplicate candidates over synthetic vectors: time and memory (no model, no photos).

Compares, in one run on the same vectors:
  (a) ClipDesk's blocked product (``candidate_pairs``: BLOCK_ROWS rows against the rest),
  (b) a naive loop, one photo against every later one (timed on the first rows only,
      extrapolated to the whole triangle: the loop's cost per row grows linearly),
  (c) the burst mode: photos sorted by capture time, each block against the photos taken
      within the window only (how a million photos are grouped).
Peak memory is the tracemalloc peak of the step (numpy reports its buffers to it), on
top of the vectors themselves.

    .venv/bin/python benchmarks/duplicates.py [--n 100000] [--big 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from clipdesk.search.duplicates import THRESHOLD  # noqa: E402
from clipdesk.search.near_pairs import BLOCK_ROWS, candidate_pairs  # noqa: E402

DIM = 512


def vectors(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Photo-like: scenes of about 3 near-identical shots (some further apart), each
    scene's shots taken within a few seconds, scenes spread over a year. Returns the
    vectors and their capture times (seconds), sorted by time."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 3, DIM)).astype(np.float32)
    which = np.sort(rng.integers(0, len(centres), size=n))
    m = centres[which] + rng.normal(scale=0.25, size=(n, DIM)).astype(np.float32)
    scene_time = np.sort(rng.uniform(0, 365 * 86400.0, size=len(centres)))
    times = scene_time[which] + rng.uniform(0, 4.0, size=n)
    order = np.argsort(times, kind="stable")
    m = m[order]
    return m / np.linalg.norm(m, axis=1, keepdims=True), times[order]


def measure(fn):
    tracemalloc.start()
    t = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, seconds, peak / 2**20


def naive(m: np.ndarray, rows: int, threshold: float) -> int:
    found = 0
    for i in range(rows):
        found += int(np.count_nonzero(m[i + 1 :] @ m[i] >= threshold))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--big", type=int, default=1_000_000, help="burst mode only (0: skip)")
    ap.add_argument("--within", type=float, default=10.0, help="burst window, seconds")
    args = ap.parse_args()
    n = args.n
    m, times = vectors(n)
    print(f"{n:,} vectors x {DIM} (float32, {m.nbytes / 2**20:.0f} MiB), threshold {THRESHOLD}")

    pairs, secs, peak = measure(lambda: sum(1 for _ in candidate_pairs(m, THRESHOLD)))
    print(
        f"(a) blocked exact, {BLOCK_ROWS} rows/block: {secs:8.1f} s, peak +{peak:6.0f} MiB, "
        f"{pairs:,} pairs"
    )
    rows = min(n, 500)
    t = time.perf_counter()
    naive(m, rows, THRESHOLD)
    part = time.perf_counter() - t
    # Row i scans n - i - 1 rows: the whole triangle is n(n-1)/2 row products.
    done = rows * n - rows * (rows + 1) / 2
    whole = part * (n * (n - 1) / 2) / done
    print(f"(b) naive row loop (first {rows} rows, extrapolated): {whole:8.1f} s")
    print(f"    blocked / naive speed-up: {whole / secs:.1f}x")

    pairs_b, secs_b, peak_b = measure(
        lambda: sum(1 for _ in candidate_pairs(m, THRESHOLD, times, args.within))
    )
    print(
        f"(c) bursts within {args.within:g} s over a year: {secs_b:8.2f} s, "
        f"peak +{peak_b:6.0f} MiB, {pairs_b:,} pairs ({secs / secs_b:.0f}x faster than (a))"
    )
    if args.big:
        big, times = vectors(args.big, seed=2)
        pairs_c, secs_c, peak_c = measure(
            lambda: sum(1 for _ in candidate_pairs(big, THRESHOLD, times, args.within))
        )
        print(
            f"(c) {args.big:,} vectors, bursts within {args.within:g} s: {secs_c:8.2f} s, "
            f"peak +{peak_c:6.0f} MiB, {pairs_c:,} pairs"
        )


if __name__ == "__main__":
    main()
