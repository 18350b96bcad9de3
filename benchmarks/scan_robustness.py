"""Scan robustness (issue 13): identical contents, another writer during a scan, and what a
full-file hash would cost against the decode.

(a) scan N zero-byte (identical) files vs N distinct tiny files, same process, side by side;
(b) while a scan of N identical files runs in another process, how long a one-row write
    transaction here waits for the lock (max over the scan);
(c) per 24 MP JPEG: the sampled content hash (what the scanner reads), a full-file
    BLAKE2b, and the reduced-size decode the indexer does anyway.

    .venv/bin/python benchmarks/scan_robustness.py [--n 4000] [--jpegs 4]

(a) and (b) run against whichever clipdesk is on the path, so an older checkout can be
measured the same way (``PYTHONPATH=old-checkout ... --jpegs 0``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.imaging import decode
from clipdesk.pipeline.scanner import content_hash, scan


def _scan_seconds(root: Path, n: int, identical: bool) -> float:
    root.mkdir()
    for i in range(n):
        (root / f"{i:05d}.jpg").write_bytes(b"" if identical else i.to_bytes(4, "little"))
    with Catalog(root.parent / f"{root.name}.sqlite3") as cat:
        cat.add_folder(root)
        t = time.perf_counter()
        result = scan(cat)
        elapsed = time.perf_counter() - t
    assert result.added == n, result
    return elapsed


def part_a(tmp: Path, n: int) -> None:
    same = _scan_seconds(tmp / "same", n, True)
    distinct = _scan_seconds(tmp / "distinct", n, False)
    print(
        f"(a) scan {n} identical files: {same:.2f} s; {n} distinct: {distinct:.2f} s; "
        f"ratio {same / distinct:.1f}x"
    )


SCANNER = """
import sys
from clipdesk.catalog import Catalog
from clipdesk.pipeline.scanner import scan
with Catalog(sys.argv[1]) as cat:
    print("start", flush=True)
    scan(cat)
"""


def part_b(tmp: Path, n: int) -> None:
    root = tmp / "big"
    root.mkdir()
    for i in range(n):
        (root / f"{i:05d}.jpg").touch()
    db = tmp / "b.sqlite3"
    with Catalog(db) as cat:
        cat.add_folder(root)
    proc = subprocess.Popen([sys.executable, "-c", SCANNER, str(db)], stdout=subprocess.PIPE)
    proc.stdout.readline()
    conn = sqlite3.connect(db, isolation_level=None, timeout=600)
    waits = []
    while proc.poll() is None:
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('bench', 'x')")
        conn.execute("COMMIT")
        waits.append(time.perf_counter() - t)
        time.sleep(0.05)
    conn.close()
    print(
        f"(b) writes during a scan of {n} identical files: {len(waits)}, longest wait "
        f"{max(waits) * 1000:.0f} ms, median {sorted(waits)[len(waits) // 2] * 1000:.1f} ms"
    )


def part_c(tmp: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        small = rng.integers(0, 255, (400, 600, 3), dtype=np.uint8)
        big = Image.fromarray(small).resize((6000, 4000), Image.BILINEAR)
        noise = rng.integers(0, 24, (4000, 6000, 3), dtype=np.uint8)
        arr = np.asarray(big, dtype=np.uint8) + noise
        p = tmp / f"{i}.jpg"
        Image.fromarray(arr).save(p, quality=92)
        paths.append(p)
    mb = sum(p.stat().st_size for p in paths) / count / 1e6

    def timed(fn) -> float:
        for p in paths:  # warm the page cache: compare the work, not the disk
            fn(p)
        t = time.perf_counter()
        for p in paths:
            fn(p)
        return (time.perf_counter() - t) / count * 1000

    def full(p):
        h = hashlib.blake2b(digest_size=16)
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    sampled = timed(content_hash)
    whole = timed(full)
    dec = timed(lambda p: decode(p, min_side=256))
    print(
        f"(c) per 24 MP JPEG ({mb:.1f} MB): sampled hash {sampled:.2f} ms, full-file "
        f"BLAKE2b {whole:.1f} ms, reduced-size decode {dec:.0f} ms; full hash = "
        f"{whole / dec:.0%} of the decode, {whole / sampled:.0f}x the sampled hash"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--jpegs", type=int, default=4)
    args = ap.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        part_a(tmp, args.n)
        part_b(tmp, args.n)
        if args.jpegs:
            part_c(tmp, args.jpegs)


if __name__ == "__main__":
    main()
