"""Scan robustness (issues 13 and 26.3): identical contents, another writer during a scan,
and what the whole-content hash costs against the decode and in a scan of moves.

(a) scan N zero-byte (identical) files vs N distinct tiny files, same process, side by side;
(b) while a scan of N identical files runs in another process, how long a one-row write
    transaction here waits for the lock (max over the scan);
(c) per 24 MP JPEG: the sampled content hash (what the scanner reads), the whole-content
    XXH3-128 (identity.full_hash, taken before each decode), a full-file BLAKE2b for
    comparison, and the reduced-size decode the indexer does anyway;
(d) a scan that finds N moved photos (a renamed folder of decoded photos: each move is
    confirmed by reading the whole file) vs a scan of the same N files as new photos
    (sampled hash only), side by side.

    .venv/bin/python benchmarks/scan_robustness.py [--n 4000] [--jpegs 4] [--moves 500]

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
from clipdesk.pipeline.identity import content_hash, full_hash
from clipdesk.pipeline.scanner import scan


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
    xxh = timed(full_hash)
    blake = timed(full)
    dec = timed(lambda p: decode(p, min_side=256))
    print(
        f"(c) per 24 MP JPEG ({mb:.1f} MB): sampled hash {sampled:.2f} ms, whole-content "
        f"XXH3-128 {xxh:.1f} ms ({mb / xxh:.1f} GB/s), BLAKE2b {blake:.1f} ms, reduced-size "
        f"decode {dec:.0f} ms; XXH3-128 = {xxh / dec:.1%} of the decode"
    )


def part_d(tmp: Path, n: int) -> None:
    rng = np.random.default_rng(1)
    src = tmp / "moves" / "a"
    src.mkdir(parents=True)
    for i in range(n):  # 2 MB each, a phone JPEG's size; distinct contents
        (src / f"{i:05d}.jpg").write_bytes(rng.bytes(2_000_000))
    with Catalog(tmp / "moves.sqlite3") as cat:
        cat.add_folder(tmp / "moves")
        scan(cat)
        with cat.transaction():  # as their decode records them
            for path, row in cat.photos_in_folder(1).items():
                cat.set_decoded(row.id, 1, 1, 1, None, full_hash(path))
        os.rename(src, tmp / "moves" / "b")
        t = time.perf_counter()
        moved = scan(cat)
        moves = time.perf_counter() - t
    assert moved.moved == n, moved
    with Catalog(tmp / "fresh.sqlite3") as cat:
        cat.add_folder(tmp / "moves")
        t = time.perf_counter()
        added = scan(cat)
        fresh = time.perf_counter() - t
    assert added.added == n, added
    print(
        f"(d) scan of {n} moved 2 MB photos (each confirmed by its whole content): "
        f"{moves:.2f} s ({moves / n * 1000:.2f} ms each); the same {n} as new photos: "
        f"{fresh:.2f} s ({fresh / n * 1000:.2f} ms each); ratio {moves / fresh:.1f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--jpegs", type=int, default=4)
    ap.add_argument("--moves", type=int, default=500)
    args = ap.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        part_a(tmp, args.n)
        part_b(tmp, args.n)
        if args.jpegs:
            part_c(tmp, args.jpegs)
        if args.moves:
            part_d(tmp, args.moves)


if __name__ == "__main__":
    main()
