"""Text search latency at 100k and 1M stored vectors: the search-ready vector file (float16
and float32) vs loading from SQLite, cold processes vs a bare Python, and a naive scan.

A fresh catalog holds N fake photos with random unit vectors (dim 512), written with
bulk inserts (the catalog's triggers run as they do for real photos). Part 1, N = 100k:
loading the vectors from SQLite (before) vs building and opening the vector file (now);
per query the ViT-B-32 (random weights) ONNX text encoder + VectorIndex.top(limit=50),
the matrix product + top-k alone, float16 vs float32 file; a naive row-by-row SQLite
scan. Part 2, N = 1M: the same catalog at 1M; fresh processes that open the file and run
one top-50 product, and that run the whole search path (catalog, vector file, ONNX text
encoder, look-ups), each against a bare `python -c "import numpy[, onnxruntime, PIL]"`
timed in the same run; warm queries; float16 vs float32 top-50 overlap.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ONNX_DIR, RANDOM_VIT, header, load, median, percentile, row, timer

from clipdesk.catalog import Catalog
from clipdesk.catalog.vectors import DEFAULT_DTYPE, VectorFile, vectors_dir
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
ROOT = Path(__file__).resolve().parent.parent
MS = 1000.0


def build(path: Path, n: int, model_name: str) -> tuple[Catalog, int]:
    """N indexed photos with random unit vectors, inserted in bulk (one transaction)."""
    catalog = Catalog(path)
    folder = catalog.add_folder("/bench/photos")
    model_id = catalog.model_id(model_name, DIM)
    rng = np.random.default_rng(0)
    now = time.time()
    with catalog.transaction() as conn:
        for start in range(0, n, 50_000):
            count = min(50_000, n - start)
            vecs = rng.standard_normal((count, DIM), dtype=np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            ids = range(start + 1, start + count + 1)
            conn.executemany(
                "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, width, height, "
                "orientation, status, keywords_read, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 6000, 4000, 1, 'indexed', 1, ?)",
                (
                    (i, folder, f"/bench/photos/{i:07d}.jpg", 5_000_000 + i, i, f"{i:032x}", now)
                    for i in ids
                ),
            )
            conn.executemany(
                "INSERT INTO embeddings(photo_id, model_id, vector, scored) VALUES (?, ?, ?, 1)",
                ((i, model_id, v.tobytes()) for i, v in zip(ids, vecs, strict=True)),
            )
    return catalog, model_id


def build_photos(path: Path, n: int, model_name: str) -> tuple[Catalog, int]:
    """N indexed photo rows without embedding rows: 1M embeddings through SQLite take
    minutes to insert here; their vectors go straight into the vector file instead."""
    catalog = Catalog(path)
    folder = catalog.add_folder("/bench/photos")
    model_id = catalog.model_id(model_name, DIM)
    now = time.time()
    with catalog.transaction() as conn:
        conn.executemany(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, width, height, "
            "orientation, status, keywords_read, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 6000, 4000, 1, 'indexed', 1, ?)",
            (
                (i, folder, f"/bench/photos/{i:07d}.jpg", 5_000_000 + i, i, f"{i:032x}", now)
                for i in range(1, n + 1)
            ),
        )
    return catalog, model_id


def synthetic_vectors(n: int, chunk: int = 65_536):
    """(photo ids, unit float32 rows) chunks, as the catalog would hand them over."""
    rng = np.random.default_rng(0)
    for start in range(0, n, chunk):
        count = min(chunk, n - start)
        vecs = rng.standard_normal((count, DIM), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        yield np.arange(start + 1, start + count + 1, dtype=np.int64), vecs


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


def forget_queries(emb) -> None:
    """Empty the embedder's recent-query cache: every timed query is a new one."""
    recent = getattr(emb, "_recent", None)
    if recent is not None:
        recent.clear()


def overlap(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> float:
    return len({i for i, _ in a} & {i for i, _ in b}) / max(len(a), 1)


# -- fresh processes -----------------------------------------------------------------------

_OPEN = """
import time; t0 = time.perf_counter()
import json
import numpy as np
from clipdesk.catalog import Catalog
from clipdesk.search import VectorIndex
t1 = time.perf_counter()
cat = Catalog({path!r})
index = VectorIndex.load(cat, {model_id}, {dtype!r})
t2 = time.perf_counter()
q = np.random.default_rng(5).standard_normal({dim}).astype(np.float32)
top = index.top(q / np.linalg.norm(q), 50)
t3 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "open": t2 - t1, "top50": t3 - t2,
       "source": index.source, "n": len(index)}}))
"""

_SEARCH = """
import time; t0 = time.perf_counter()
import json, sys
from pathlib import Path
from clipdesk.catalog import Catalog
from clipdesk.embedding import ModelSpec, load_embedder
from clipdesk.search import VectorIndex, search_text
emb = load_embedder(ModelSpec("ViT-B-32:random", "ViT-B-32"), backend="onnx",
                    weights_dir=Path({weights!r}), onnx_dir=Path({onnx!r}))
t1 = time.perf_counter()
cat = Catalog({path!r})
hits = search_text(cat, emb, "a photo of a dog at sunset", limit=20)
t2 = time.perf_counter()
print(json.dumps({{"imports_and_model": t1 - t0, "search": t2 - t1, "hits": len(hits),
       "torch": "torch" in sys.modules, "open_clip": "open_clip" in sys.modules}}))
"""


def run_fresh(code: str, repeats: int = 3) -> tuple[float, dict | None]:
    """Best wall seconds of ``repeats`` fresh processes, and the last one's printed dict."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        best = min(best, time.perf_counter() - start)
        lines = done.stdout.strip().splitlines()
        out = json.loads(lines[-1]) if lines else None
    return best, out


def drop_file_cache(paths: list[Path]) -> None:
    """Best effort: ask the kernel to forget the pages of ``paths`` (POSIX only)."""
    for p in paths:
        try:
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        except (AttributeError, OSError):
            pass


# -- the two parts ----------------------------------------------------------------------------


def queries_for(args) -> list[str]:
    return [f"a photo of a {s} {w}" for s in SUBJECTS for w in SETTINGS][: 20 if args.quick else 50]


def part_small(args, emb, tmp: Path) -> None:
    n = args.n
    queries = queries_for(args)
    print(f"-- part 1: {n:,} vectors, {len(queries)} queries")
    with timer() as t:
        catalog, model_id = build(tmp / "small" / "data" / "catalog.sqlite3", n, emb.name)
    row("building the catalog (bulk inserts, not a budget)", t[0], "s")
    loads = []
    for _ in range(3):
        with timer() as t:
            ids, mat = catalog.embedding_matrix(model_id)
        loads.append(t[0])
    row("(a) vectors from SQLite into memory (before; median 3)", MS * median(loads), "ms")
    indexes = {}
    for dtype in ("float16", "float32"):
        with timer() as t:
            first = VectorIndex.load(catalog, model_id, dtype)
        assert first.source == "rebuilt", first.source
        opens = []
        for _ in range(3):
            with timer() as t2:
                indexes[dtype] = VectorIndex.load(catalog, model_id, dtype)
            opens.append(t2[0])
        assert indexes[dtype].source == "file"
        row(f"    {dtype} file: first build from the catalog", MS * t[0], "ms")
        row(f"    {dtype} file: open (fresh, checked; median 3)", MS * median(opens), "ms")

    emb.encode_texts(["warm-up"])
    for index in indexes.values():
        index.top(emb.encode_texts(["warm-up"])[0], LIMIT)
    figures: dict[str, list[float]] = {}
    overlaps = []
    for q in queries:
        for dtype, index in indexes.items():
            forget_queries(emb)
            with timer() as t_all:
                vec = emb.encode_texts([q])[0]
                index.top(vec, LIMIT)
            with timer() as t_top:
                index.top(vec, LIMIT)
            forget_queries(emb)
            with timer() as t_enc:
                emb.encode_texts([q])
            figures.setdefault(f"(b) {dtype}: text encode + top-50", []).append(t_all[0])
            figures.setdefault("    text encode alone (new query)", []).append(t_enc[0])
            figures.setdefault(f"(c) {dtype}: matmul + top-k alone", []).append(t_top[0])
        with timer() as t_full:
            search_text(catalog, emb, q, limit=LIMIT, index=indexes["float16"])
        figures.setdefault("    search_text, float16 (+ 50 photo look-ups)", []).append(t_full[0])
        vec = emb.encode_texts([q])[0]
        overlaps.append(overlap(indexes["float16"].top(vec, 50), indexes["float32"].top(vec, 50)))
    print("-- latency (median / p95 over the queries)")
    for label, times in sorted(figures.items()):
        row(label, MS * median(times), "ms", f"p95 {MS * percentile(times, 95):.2f} ms")
    row("top-50 overlap float16 vs float32 (mean)", float(np.mean(overlaps)), "")
    row("top-50 overlap float16 vs float32 (min)", float(np.min(overlaps)), "")

    naive = []
    for q in queries[:3]:
        vec = emb.encode_texts([q])[0]
        with timer() as t:
            naive_scan(catalog, model_id, vec)
        naive.append(t[0])
    scale = n / NAIVE_ROWS
    naive_ms = MS * median(naive) * scale
    print(f"-- naive: Python loop over SQLite rows, np.dot per row, heapq top-{LIMIT};")
    print(f"   scan timed over {NAIVE_ROWS:,} rows (median of 3), extrapolated x{scale:.0f}")
    row(f"naive scan of {n:,} rows (extrapolated)", naive_ms, "ms")
    top32 = MS * median(figures["(c) float32: matmul + top-k alone"])
    row("naive scan / (c) float32 matmul + top-k", naive_ms / top32, "x")
    tags = np.random.default_rng(1).standard_normal((500, DIM), dtype=np.float32)
    with timer() as t:
        mat @ tags.T
    row(f"tag scoring {n:,} x 500 tags (float32 matmul only)", MS * t[0], "ms")
    catalog.close()


def part_big(args, emb, tmp: Path) -> None:
    n = args.big
    print(f"-- part 2: {n:,} vectors")
    path = tmp / "big" / "data" / "catalog.sqlite3"
    with timer() as t:
        catalog, model_id = build_photos(path, n, emb.name)
    row("catalog of photo rows (bulk inserts, not a budget)", t[0], "s")
    for dtype in args.dtypes:
        vf = VectorFile(vectors_dir(catalog), model_id, dtype)
        with timer() as t:
            vf.write(catalog.vector_state(), DIM, synthetic_vectors(n))
        row(
            f"    {dtype} file written ({n * DIM * np.dtype(dtype).itemsize / 1e6:.0f} MB)",
            t[0],
            "s",
        )
    catalog.close()

    print("-- fresh processes (best of 3 wall times; the files are in the page cache)")
    bare, _ = run_fresh("import numpy")
    row('bare python -c "import numpy"', MS * bare, "ms")
    for dtype in args.dtypes:
        code = _OPEN.format(path=str(path), model_id=model_id, dtype=dtype, dim=DIM)
        wall, out = run_fresh(code)
        assert out and out["source"] == "file" and out["n"] == n, out
        row(f"{dtype}: open catalog + {n:,} vectors + one top-50", MS * wall, "ms")
        row("    of which: imports (numpy, clipdesk.search)", MS * out["imports"], "ms")
        row("    of which: open (catalog, check, header, map)", MS * out["open"], "ms")
        row("    of which: the first top-50 product (pages in)", MS * out["top50"], "ms")
        row("    process minus bare numpy", MS * (wall - bare), "ms")
    dtype = args.dtypes[-1]
    drop_file_cache(list((path.parent / "vectors").glob(f"*-f{dtype[5:]}-*.vec")))
    code = _OPEN.format(path=str(path), model_id=model_id, dtype=dtype, dim=DIM)
    wall, out = run_fresh(code, repeats=1)
    row(
        f"{dtype}, file pages dropped first (disk read)",
        MS * wall,
        "ms",
        f"top-50 {MS * out['top50']:.0f} ms",
    )

    bare_rt, _ = run_fresh("import numpy, onnxruntime, PIL.Image")
    row('bare python -c "import numpy, onnxruntime, PIL.Image"', MS * bare_rt, "ms")
    weights = str(tmp / "weights")
    code = _SEARCH.format(path=str(path), weights=weights, onnx=str(ONNX_DIR))
    wall, out = run_fresh(code)
    row(f"search path in a fresh process ({DEFAULT_DTYPE} file)", MS * wall, "ms")
    row("    of which: imports + ONNX text encoder load", MS * out["imports_and_model"], "ms")
    row("    of which: catalog + vectors + encode + top + look-ups", MS * out["search"], "ms")
    row("    / bare numpy+onnxruntime+PIL", wall / bare_rt, "x", f"torch loaded: {out['torch']}")

    if args.cold_only:
        return
    print(f"-- warm queries at {n:,} (median / p95)")
    catalog = Catalog(path)
    queries = queries_for(args)[: 10 if args.quick else 20]
    results = {}
    for dtype in args.dtypes:
        index = VectorIndex.load(catalog, model_id, dtype)
        index.top(emb.encode_texts(["warm-up"])[0], LIMIT)
        total, topk, ranked = [], [], []
        for q in queries:
            forget_queries(emb)
            with timer() as t_all:
                vec = emb.encode_texts([q])[0]
                ranked.append(index.top(vec, LIMIT))
            with timer() as t_top:
                index.top(vec, LIMIT)
            total.append(t_all[0])
            topk.append(t_top[0])
        results[dtype] = ranked
        row(
            f"{dtype}: text encode + top-50",
            MS * median(total),
            "ms",
            f"p95 {MS * percentile(total, 95):.1f} ms",
        )
        row(
            f"{dtype}: matmul + top-k alone",
            MS * median(topk),
            "ms",
            f"p95 {MS * percentile(topk, 95):.1f} ms",
        )
        del index
    if len(results) == 2:
        ov = [overlap(a, b) for a, b in zip(results["float16"], results["float32"], strict=True)]
        row("top-50 overlap float16 vs float32 (mean)", float(np.mean(ov)), "")
        row("top-50 overlap float16 vs float32 (min)", float(np.min(ov)), "")
    catalog.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k and 100k vectors, fewer queries")
    ap.add_argument("-n", type=int, default=None, help="vectors in part 1 (default 100k)")
    ap.add_argument("--big", type=int, default=None, help="vectors in part 2 (default 1M)")
    ap.add_argument("--no-big", action="store_true", help="skip part 2")
    ap.add_argument("--cold-only", action="store_true", help="part 2's fresh processes only")
    ap.add_argument(
        "--dtype", choices=("float16", "float32"), help="part 2 with one file type only"
    )
    args = ap.parse_args()
    args.dtypes = (args.dtype,) if args.dtype else ("float16", "float32")
    args.n = args.n or (10_000 if args.quick else 100_000)
    args.big = args.big or (100_000 if args.quick else 1_000_000)
    header(f"text search, dim {DIM}, top {LIMIT}: {args.n:,} and {args.big:,} vectors")
    emb = load(RANDOM_VIT, "onnx")
    with tempfile.TemporaryDirectory(prefix="clipdesk-bench-") as tmp:
        if not args.cold_only:
            part_small(args, emb, Path(tmp))
        if not args.no_big:
            part_big(args, emb, Path(tmp))


if __name__ == "__main__":
    main()
