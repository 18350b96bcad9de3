"""Text search latency at 100k and 1M stored vectors: the exact float32 scan (before) vs the
compact int8 scan + exact re-score (now), the vector file vs loading from SQLite, cold
processes vs a bare Python, and a naive scan.

A fresh catalog holds N fake photos with random unit vectors (dim 512), written with
bulk inserts (the catalog's triggers run as they do for real photos). Part 1, N = 100k:
loading the vectors from SQLite (before the vector file) vs building and opening the
vector file; per query the ViT-B-32 (random weights) ONNX text encoder + top-50, the scan
+ top-k alone; a naive row-by-row SQLite scan. Part 2, N = 1M: the same catalog at 1M;
fresh processes that open the file and run one top-50, and that run the whole search path
(catalog, vector file, ONNX text encoder, look-ups), each against a bare `python -c
"import numpy[, onnxruntime, PIL]"` timed in the same run; warm queries. Every query is
answered both ways in the same run ("exact": ``VectorIndex.top_exact``, every float32
row, as before; "compact": ``VectorIndex.top``, the int8 scan + exact re-score), with the
top-50 overlap between them.
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
from clipdesk.catalog.vectors import VectorFile, vectors_dir
from clipdesk.search import index as search
from clipdesk.search.index import VectorIndex, search_text

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
    """Empty the embedder's recent-query cache, so that every timed query is a new one, and
    pause as between two queries a person types (``PAUSE``)."""
    recent = getattr(emb, "_recent", None)
    if recent is not None:
        recent.clear()
    time.sleep(PAUSE)


PAUSE = 0.15
"""Seconds between timed queries. Without it a query's text encoder shares the CPU with
OpenBLAS's threads, which keep spinning for about 0.1 s after a float32 scan (the exact
contestant's, timed just before): ViT-B-32's encoder took a median 27.3 ms right after a
100k-row float32 product vs 24.2 ms 0.15 s after it (2 cores, 50 queries alternating).
In the app a query follows the last one by at least the time to type it."""


def overlap(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> float:
    return len({i for i, _ in a} & {i for i, _ in b}) / max(len(a), 1)


# -- fresh processes -----------------------------------------------------------------------

_OPEN = """
import time; t0 = time.perf_counter()
import json
import numpy as np
from clipdesk.catalog import Catalog
from clipdesk.search.index import VectorIndex
t1 = time.perf_counter()
cat = Catalog({path!r})
index = VectorIndex.load(cat, {model_id}, {dtype!r})
t2 = time.perf_counter()
q = np.random.default_rng(5).standard_normal({dim}).astype(np.float32)
if {method!r} == "top":
    index.pack(wait=True)  # what a warm index does; a one-off query scans exactly
top = getattr(index, {method!r})(q / np.linalg.norm(q), 50)
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
from clipdesk.search.index import VectorIndex, search_text
if {plain!r}:  # as before: the text graph optimised at every load, nothing saved
    import clipdesk.embedding.onnx_runtime as onnx_runtime
    onnx_runtime.SAVE_OPTIMISED = ()
emb = load_embedder(ModelSpec("ViT-B-32:random", "ViT-B-32"), backend="onnx",
                    weights_dir=Path({weights!r}), onnx_dir=Path({onnx!r}))
t1 = time.perf_counter()
cat = Catalog({path!r})
index = VectorIndex.load(cat, cat.model_id(emb.name, emb.dim))
hits = search_text(cat, emb, "a photo of a dog at sunset", limit=20, index=index)
t2 = time.perf_counter()
print(json.dumps({{"imports_and_model": t1 - t0, "search": t2 - t1, "hits": len(hits),
       "torch": "torch" in sys.modules, "open_clip": "open_clip" in sys.modules}}))
"""


def one_file_export(root: Path) -> Path:
    """A copy of the ViT-B-32 export as exports were written before: each graph one
    protobuf holding its weights (now they sit in a file beside it, which ONNX Runtime
    maps); the metadata as it is."""
    import onnx

    folder = next(p for p in ONNX_DIR.iterdir() if (p / "clipdesk.json").is_file())
    dest = root / folder.name
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "clipdesk.json").write_bytes((folder / "clipdesk.json").read_bytes())
    if (ONNX_DIR / "exports.json").is_file():
        (root / "exports.json").write_bytes((ONNX_DIR / "exports.json").read_bytes())
    for part in ("image", "text"):
        onnx.save_model(onnx.load(str(folder / f"{part}.onnx")), str(dest / f"{part}.onnx"))
    return root


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


METHODS = {"exact": "top_exact", "compact": "top"}
LABELS = {"exact": "exact float32 scan (before)", "compact": "compact scan + re-score (now)"}


def warm_index(index: VectorIndex, emb) -> float:
    """Pack the compact scan (as a second query starts it, in the background) and wait for
    it; seconds it took. Below ``COMPACT_MIN_ROWS`` the app scans exactly; here both ways
    are measured at every size."""
    search.COMPACT_MIN_ROWS = 0
    index.top(emb.encode_texts(["warm-up"])[0], LIMIT)
    with timer() as t:
        assert index.pack(wait=True), "the compact scan did not pack"
    return t[0]


def compare_queries(index: VectorIndex, emb, queries: list[str]) -> dict[str, list[float]]:
    """Each query answered exactly and through the compact scan, alternating."""
    figures: dict[str, list[float]] = {}
    for q in queries:
        ranked = {}
        for name, method in METHODS.items():
            top = getattr(index, method)
            forget_queries(emb)
            with timer() as t_all:
                vec = emb.encode_texts([q])[0]
                ranked[name] = top(vec, LIMIT)
            with timer() as t_top:
                top(vec, LIMIT)
            figures.setdefault(f"{LABELS[name]}: text encode + top-50", []).append(t_all[0])
            figures.setdefault(f"{LABELS[name]}: scan + top-k alone", []).append(t_top[0])
        figures.setdefault("top-50 overlap compact vs exact", []).append(
            overlap(ranked["compact"], ranked["exact"])
        )
        figures.setdefault("rows re-scored exactly per query", []).append(index.rescored)
        forget_queries(emb)
        with timer() as t_enc:
            emb.encode_texts([q])
        figures.setdefault("text encode alone (new query)", []).append(t_enc[0])
    return figures


def print_figures(figures: dict[str, list[float]]) -> None:
    for label, values in figures.items():
        if label.startswith(("top-50", "rows")):
            row(label + " (mean / min)", float(np.mean(values)), "", f"min {min(values):g}")
        else:
            row(label, MS * median(values), "ms", f"p95 {MS * percentile(values, 95):.2f} ms")
    a = median(figures[f"{LABELS['exact']}: text encode + top-50"])
    b = median(figures[f"{LABELS['compact']}: text encode + top-50"])
    row("warm query, exact / compact", a / b, "x")


def part_small(args, emb, tmp: Path) -> None:
    n = args.n
    queries = queries_for(args)
    print(f"-- part 1: {n:,} vectors, {len(queries)} queries")
    with timer() as t:
        catalog, model_id = build(tmp / "small" / "data" / "catalog.sqlite3", n, emb.name)
    row("building the catalog (bulk inserts, not a budget)", t[0], "s")
    with timer() as t:
        ids, mat = catalog.embedding_matrix(model_id)
    row("(a) vectors from SQLite into memory (before the vector file)", MS * t[0], "ms")
    with timer() as t:
        first = VectorIndex.load(catalog, model_id, "float32")
    assert first.source == "rebuilt", first.source
    row("    float32 + compact file: first build from the catalog", MS * t[0], "ms")
    opens = []
    for _ in range(3):
        with timer() as t2:
            index = VectorIndex.load(catalog, model_id, "float32")
        opens.append(t2[0])
    assert index.source == "file" and index.compact is not None
    row("    open (fresh, checked; median 3)", MS * median(opens), "ms")
    row(
        "    packing the compact scan (background, once per index)",
        MS * warm_index(index, emb),
        "ms",
    )
    emb.encode_texts(["warm-up"])
    index.top_exact(emb.encode_texts(["warm-up"])[0], LIMIT)
    print("-- warm queries (median / p95 over the queries)")
    print_figures(compare_queries(index, emb, queries))
    with timer() as t_full:
        search_text(catalog, emb, queries[0] + " again", limit=LIMIT, index=index)
    row("search_text, compact (+ 50 photo look-ups)", MS * t_full[0], "ms")

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
    dtype = "float32"
    vf = VectorFile(vectors_dir(catalog), model_id, dtype)
    with timer() as t:
        vf.write(catalog.vector_state(), DIM, synthetic_vectors(n))
    row(f"float32 file ({n * DIM * 4 / 1e6:.0f} MB) + compact ({n * DIM / 1e6:.0f} MB)", t[0], "s")
    catalog.close()

    print("-- fresh processes (best of 3 wall times; the files are in the page cache)")
    bare, _ = run_fresh("import numpy")
    row('bare python -c "import numpy"', MS * bare, "ms")
    for name, method in METHODS.items():
        code = _OPEN.format(path=str(path), model_id=model_id, dtype=dtype, dim=DIM, method=method)
        wall, out = run_fresh(code)
        assert out and out["source"] == "file" and out["n"] == n, out
        what = "open + pack + one top-50" if name == "compact" else "open + one top-50"
        row(f"{LABELS[name]}: {what}", MS * wall, "ms")
        row("    of which: open (catalog, check, header, map)", MS * out["open"], "ms")
        row("    of which: (pack +) the first top-50 (pages in)", MS * out["top50"], "ms")

    bare_rt, _ = run_fresh("import numpy, onnxruntime, PIL.Image")
    row('bare python -c "import numpy, onnxruntime, PIL.Image"', MS * bare_rt, "ms")
    weights = str(tmp / "weights")
    run_fresh(_SEARCH.format(path=str(path), weights=weights, onnx=str(ONNX_DIR), plain=False), 1)
    one_file = one_file_export(tmp / "onnx-one-file")
    variants = [  # (label, export folder, optimised at every load)
        ("one-file export, optimised at load (before)", one_file, True),
        ("weights beside the graph, optimised at load", ONNX_DIR, True),
        ("weights beside the graph + saved optimised copy (now)", ONNX_DIR, False),
    ]
    for label, onnx_dir, plain in variants:
        code = _SEARCH.format(path=str(path), weights=weights, onnx=str(onnx_dir), plain=plain)
        wall, out = run_fresh(code)
        row(f"search in a fresh process (one query: exact scan), {label}", MS * wall, "ms")
        row("    of which: imports + ONNX text encoder load", MS * out["imports_and_model"], "ms")
        row("    of which: catalog + vectors + encode + top + look-ups", MS * out["search"], "ms")
        row("    / bare numpy+onnxruntime+PIL", wall / bare_rt, "x", f"torch: {out['torch']}")

    if args.cold_only:
        return
    print(f"-- warm queries at {n:,} (median / p95)")
    catalog = Catalog(path)
    index = VectorIndex.load(catalog, model_id, dtype)
    row("packing the compact scan (background, once per index)", MS * warm_index(index, emb), "ms")
    index.top_exact(emb.encode_texts(["warm-up"])[0], LIMIT)
    print_figures(compare_queries(index, emb, queries_for(args)[: 10 if args.quick else 20]))
    catalog.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k and 100k vectors, fewer queries")
    ap.add_argument("-n", type=int, default=None, help="vectors in part 1 (default 100k)")
    ap.add_argument("--big", type=int, default=None, help="vectors in part 2 (default 1M)")
    ap.add_argument("--no-big", action="store_true", help="skip part 2")
    ap.add_argument("--cold-only", action="store_true", help="part 2's fresh processes only")
    args = ap.parse_args()
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
