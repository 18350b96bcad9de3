"""Scale-out: what a local Ray costs against the desktop, and how fast an import is.

Part 1, the same photos (default 200 generated shapes, 640x480 JPEGs), test model:
(a) ``clipdesk add`` into a fresh library (scan, decode, embed, store, tag) vs
(b) ``cluster-embed`` on a local Ray with ``num_cpus`` = this machine's cores, the Ray
start-up timed apart. Both share one ONNX export made before timing. Prints photos/s and
the overhead ratio (a) / (b).

Part 2, import rate: 100k synthetic shard rows (512-d float32 vectors, random content
hashes), written with pyarrow (no Ray needed): (c) ``import_embeddings`` into a catalog
that has none of the photos yet (everything staged as pending vectors), then (d) the
adoption that a later ``clipdesk add`` does, after 100k matching photo rows are put into
the catalog. Prints rows/s of each and the Parquet size.

    .venv/bin/python benchmarks/cluster.py [--photos 200] [--rows 100000] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from clipdesk.cli import main as clipdesk  # noqa: E402


def _quiet(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = clipdesk(argv)
    if code != 0:
        raise SystemExit(f"clipdesk {' '.join(argv)} failed: {out.getvalue()}")
    return out.getvalue()


def part1(work: Path, n: int, blocks: list[int]) -> None:
    import ray

    from clipdesk.testing.synthetic import write_folder

    photos = work / "photos"
    write_folder(photos, n, seed=5, size=(640, 480))
    onnx = work / "onnx"
    onnx.mkdir()
    homes = []
    for name in ("desk", "ray"):
        h = work / name
        (h / "cache").mkdir(parents=True)
        os.symlink(onnx, h / "cache" / "onnx")
        homes.append(h)
    from clipdesk.embedding import load_embedder

    load_embedder("test", backend="onnx", weights_dir=work / "w", onnx_dir=onnx)  # the export

    t = time.perf_counter()
    _quiet(["--home", str(homes[0]), "--model", "test", "add", str(photos)])
    desk = time.perf_counter() - t

    from clipdesk.cluster import stages

    t = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    start = time.perf_counter() - t
    runs = []
    try:
        for i, block in enumerate(blocks):
            stages.LIST_BLOCK = block  # files per decode task
            t = time.perf_counter()
            text = _quiet(["--home", str(homes[1]), "--model", "test", "cluster-embed",
                           str(photos), "--output", str(work / f"out-{i}")])  # fmt: skip
            runs.append((block, time.perf_counter() - t, text))
    finally:
        ray.shutdown()
    print(f"part 1: {n} photos 640x480, test model, {os.cpu_count()} cores")
    print(f"  (a) clipdesk add:          {desk:6.1f} s  {n / desk:6.1f} photos/s")
    for block, run, text in runs:
        print(f"  (b) cluster-embed, {block:3d}/task: {run:6.1f} s  {n / run:6.1f} photos/s,"
              f" (b) / (a) {run / desk:.2f}x")  # fmt: skip
        print("      " + text.splitlines()[0])
    print(f"  Ray's start: {start:.1f} s")


def _shards(where: Path, rows: int, dim: int, ident) -> tuple[list[str], list[int]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clipdesk.cluster.shards import shard_schema

    rng = np.random.default_rng(0)
    hashes = [f"{i:032x}" for i in rng.permutation(rows * 4)[:rows]]
    sizes = rng.integers(100_000, 8_000_000, rows).tolist()
    folder = where / "shards" / "bench"
    folder.mkdir(parents=True)
    step = 20_000
    for lo in range(0, rows, step):
        hi = min(rows, lo + step)
        v = rng.standard_normal((hi - lo, dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        k = hi - lo
        table = pa.table(
            {
                "hash": hashes[lo:hi],
                "size": sizes[lo:hi],
                "root": ["/archive"] * k,
                "path": [f"{i:07d}.jpg" for i in range(lo, hi)],
                "width": [4000] * k,
                "height": [3000] * k,
                "orientation": [1] * k,
                "taken_at": [None] * k,
                "model": [ident.name] * k,
                "weights_sha256": [ident.weights_sha256] * k,
                "vector": pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1)), dim),
                "error": pa.nulls(k, pa.string()),
            },
            schema=shard_schema(dim),
        )
        pq.write_table(table, folder / f"{lo:08d}.parquet")
    return hashes, sizes


def part2(work: Path, rows: int, dim: int = 512) -> None:
    from clipdesk.cluster.identity import model_identity
    from clipdesk.cluster.importer import import_embeddings
    from clipdesk.pipeline.library import Library

    home = work / "import-home"
    lib = Library(home, "test")
    ident = model_identity("test", lib.paths.model_weights)
    out = work / "import-out"
    hashes, sizes = _shards(out, rows, dim, ident)
    mb = sum(f.stat().st_size for f in out.rglob("*.parquet")) / 1e6
    t = time.perf_counter()
    report = import_embeddings(lib, str(out))
    staged = time.perf_counter() - t
    assert report.pending == rows, report
    cat = lib.catalog
    folder = cat.add_folder(work)
    with cat.transaction():
        for i, (h, s) in enumerate(zip(hashes, sizes, strict=True)):
            cat.insert_photo(folder, str(work / f"{i:07d}.jpg"), s, 1, h)
    t = time.perf_counter()
    adopted = lib.adopt_imported()
    adopt = time.perf_counter() - t
    assert len(adopted) == rows
    lib.close()
    print(
        f"part 2: {rows} rows, {dim}-d float32, Parquet {mb:.0f} MB ({mb * 1e6 / rows:.0f} B/row)"
    )
    print(
        f"  (c) import-embeddings (staged as pending): {staged:6.1f} s  {rows / staged:8.0f} rows/s"
    )
    print(
        f"  (d) adoption by a later add:               {adopt:6.1f} s  {rows / adopt:8.0f} rows/s"
    )
    print(f"  import + adoption:                         {rows / (staged + adopt):8.0f} rows/s")


def run() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=int, default=200)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--quick", action="store_true", help="50 photos, 10k rows")
    p.add_argument("--skip-ray", action="store_true", help="part 2 only")
    p.add_argument("--skip-import", action="store_true", help="part 1 only")
    p.add_argument(
        "--blocks", type=int, nargs="+", default=[64], help="files per decode task, each a run"
    )
    args = p.parse_args()
    if args.quick:
        args.photos, args.rows = 50, 10_000
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="clipdesk-cluster-bench-"))
    try:
        print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
        if not args.skip_ray:
            part1(work, args.photos, args.blocks)
        if not args.skip_import:
            part2(work, args.rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run()
