"""Text search latency over 100k stored vectors, vs a naive row-by-row scan of SQLite.

A fresh catalog holds N fake photos with random unit vectors (dim 512). Times
VectorIndex.load, then per query the ViT-B-32 (random weights) ONNX text encoder +
VectorIndex.top(limit=50), and the matrix product + top-k alone.
"""

from __future__ import annotations

import argparse
import heapq
import tempfile
from pathlib import Path

import numpy as np
from common import RANDOM_VIT, header, load, median, percentile, row, timer

from clipdesk.catalog import Catalog
from clipdesk.search import VectorIndex, search_text

DIM = 512
LIMIT = 50
NAIVE_ROWS = 5000
SUBJECTS = (
    "dog",
    "cat",
    "beach",
    "mountain",
    "birthday cake",
    "red car",
    "city at night",
    "forest",
    "wedding",
    "snow",
)
SETTINGS = ("in the rain", "at sunset", "close up", "from above", "with people")


def build(path: Path, n: int, model_name: str) -> tuple[Catalog, int]:
    catalog = Catalog(path)
    folder = catalog.add_folder("/bench/photos")
    model_id = catalog.model_id(model_name, DIM)
    rng = np.random.default_rng(0)
    with catalog.transaction():
        for start in range(0, n, 10_000):
            vecs = rng.standard_normal((min(10_000, n - start), DIM), dtype=np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            for i, v in enumerate(vecs, start):
                pid = catalog.insert_photo(
                    folder, f"/bench/photos/{i:06d}.jpg", 5_000_000 + i, i, f"{i:032x}"
                )
                catalog.set_decoded(pid, 6000, 4000, 1, None)
                catalog.put_embedding(pid, model_id, v)
    return catalog, model_id


def naive_scan(catalog: Catalog, model_id: int, query: np.ndarray) -> list[tuple[float, int]]:
    """Read NAIVE_ROWS vectors from SQLite and score them one row at a time."""
    scores = []
    rows = catalog.conn.execute(
        "SELECT photo_id, vector FROM embeddings WHERE model_id = ? LIMIT ?",
        (model_id, NAIVE_ROWS),
    )
    for photo_id, blob in rows:
        scores.append((float(np.dot(np.frombuffer(blob, np.float32), query)), photo_id))
    return heapq.nlargest(LIMIT, scores)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k photos, 20 queries")
    ap.add_argument("-n", type=int, default=None, help="number of stored vectors")
    args = ap.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    queries = [f"a photo of a {s} {w}" for s in SUBJECTS for w in SETTINGS][
        : 20 if args.quick else 50
    ]
    header(f"text search over {n:,} vectors (dim {DIM}), top {LIMIT}, {len(queries)} queries")
    emb = load(RANDOM_VIT, "onnx")
    emb8 = load(RANDOM_VIT, "onnx", int8=True)  # for comparison: the int8 text encoder

    with tempfile.TemporaryDirectory(prefix="clipdesk-bench-") as tmp:
        with timer() as t:
            catalog, model_id = build(Path(tmp) / "catalog.sqlite3", n, emb.name)
        row("building the catalog (not a budget)", t[0], "s")
        loads = []
        for _ in range(3):
            with timer() as t:
                index = VectorIndex.load(catalog, model_id)
            loads.append(t[0])
        print(
            f"   index: {len(index):,} x {index.matrix.shape[1]}, "
            f"{index.matrix.nbytes / 1e6:.0f} MB"
        )

        index.top(emb.encode_texts(["warm-up"])[0], LIMIT)  # warm-up
        emb8.encode_texts(["warm-up"])
        total, encode, encode8, topk, full = [], [], [], [], []
        for q in queries:
            with timer() as t_all:
                with timer() as t_enc:
                    vec = emb.encode_texts([q])[0]
                index.top(vec, LIMIT)
            with timer() as t_top:
                index.top(vec, LIMIT)
            with timer() as t_enc8:
                emb8.encode_texts([q])
            with timer() as t_full:
                search_text(catalog, emb, q, limit=LIMIT, index=index)
            total.append(t_all[0])
            encode.append(t_enc[0])
            encode8.append(t_enc8[0])
            topk.append(t_top[0])
            full.append(t_full[0])

        naive = []
        for q in queries[:3]:
            vec = emb.encode_texts([q])[0]
            with timer() as t:
                naive_scan(catalog, model_id, vec)
            naive.append(t[0])
        catalog.close()

    ms = 1000.0
    print("-- latency (median / p95 over the queries)")
    row("(a) VectorIndex.load from SQLite (median of 3)", ms * median(loads), "ms")
    for label, times in (
        ("(b) text encode + top-50", total),
        ("    text encode alone", encode),
        ("    text encode alone, int8 text encoder", encode8),
        ("(c) matmul + top-k alone", topk),
        ("    search_text (+ 50 photo row look-ups)", full),
    ):
        row(label, ms * median(times), "ms", f"p95 {ms * percentile(times, 95):.2f} ms")
    scale = n / NAIVE_ROWS
    naive_ms = ms * median(naive) * scale
    print(f"-- naive: Python loop over SQLite rows, np.dot per row, heapq top-{LIMIT};")
    print(f"   scan timed over {NAIVE_ROWS:,} rows (median of 3), extrapolated x{scale:.0f}")
    row(f"naive scan of {n:,} rows (extrapolated)", naive_ms, "ms")
    row("naive scan + text encode", naive_ms + ms * median(encode), "ms")
    row(
        "naive / (b), both with the text encoder",
        (naive_ms + ms * median(encode)) / (ms * median(total)),
        "x",
    )
    row("naive scan / (c) matmul + top-k alone", naive_ms / (ms * median(topk)), "x")

    tags = np.random.default_rng(1).standard_normal((500, DIM), dtype=np.float32)
    with timer() as t:
        scores = index.matrix @ tags.T
    print(f"-- tag scoring {scores.shape[0]:,} photos x {scores.shape[1]} tags (matmul only)")
    row("matrix @ tags.T", ms * t[0], "ms")


if __name__ == "__main__":
    main()
