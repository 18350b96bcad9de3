"""Ingest budget: the Indexer on 24 MP JPEGs against this machine's decode+model CPU limit.

In one run, for ONNX fp32 and int8 (ViT-B-32, random weights):

* per-stage CPU cost per image, one thread at a time: reduced-size decode, preprocess,
  thumbnail (from the copy the preprocess scaled; from the decode, as before, beside it),
  and the image encoder (one intra-op thread, so no spinning or parallel
  overhead is counted as work);
* the limit: ``cores / (decode CPU s + model CPU s per image)``, the best rate any pipeline
  on these cores could reach without making either stage cheaper;
* the pipeline (``Indexer.run``: scan, decode pool, thumbnails, preprocess, batches, SQLite)
  under a few thread layouts (ONNX intra-op threads x decode pool size, intra-op spinning,
  batch size); its rate as a fraction of the limit (budget >= 0.9), split into
  CPU efficiency ((decode + model) / pipeline CPU per image) x core use (CPU / wall / cores).

Each round measures the stage costs and then, at once, each layout's pipeline; each
pipeline is set against the limit of its own round (the VM's speed drifts by 10-25% over
minutes), and the median over rounds is printed with the range.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
from common import RANDOM_VIT, header, load, photos, row, timer, warm_page_cache

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder, onnx_runtime
from clipdesk.imaging import ThumbnailCache, decode
from clipdesk.indexer import Indexer

THUMB = 256
CORES = os.cpu_count() or 1
# (label, ONNX intra-op threads (None: ORT's default, one per core), decode pool, spin, batch)
LAYOUTS = [
    ("before: ORT default threads, pool 2, spin, batch 16", None, 2, True, 16),
    ("ORT 2 threads, pool 2, no spin, batch 8 (the app's fp32)", 2, 2, False, 8),
    ("ORT 2 threads, pool 2, no spin, batch 16 (the app's int8)", 2, 2, False, 16),
    ("ORT 2 threads, pool 2, no spin, batch 32", 2, 2, False, 32),
]


def spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    return f"{scale * min(values):.2f}-{scale * max(values):.2f}{' ' + unit if unit else ''}"


def stage_costs(paths: list[Path], emb: Embedder, workdir: Path) -> dict[str, float]:
    """CPU seconds per image of each CPU stage, one image at a time in this thread, in the
    indexer's order: the model's preprocess, then the thumbnail from the copy it scaled
    (``ImageTransform.with_scaled``); and the thumbnail from the decode, as it was made
    before, for comparison (not part of the pipeline)."""
    cache = ThumbnailCache(workdir / "thumbs-stages", THUMB)
    side = max(emb.image_size, THUMB)
    out = {"decode": 0.0, "preprocess": 0.0, "thumbnail": 0.0, "thumbnail from the decode": 0.0}
    for i, p in enumerate(paths):
        t0 = time.thread_time()
        d = decode(p, min_side=side)
        t1 = time.thread_time()
        _, scaled = emb.preprocess_scaled(d.image)
        t2 = time.thread_time()
        cache.save(f"{i:032x}", d.image, scaled)
        t3 = time.thread_time()
        cache.save(f"{i:032x}", d.image)
        t4 = time.thread_time()
        out["decode"] += t1 - t0
        out["preprocess"] += t2 - t1
        out["thumbnail"] += t3 - t2
        out["thumbnail from the decode"] += t4 - t3
    return {k: v / len(paths) for k, v in out.items()}


def model_cpu(emb: Embedder, pixels: np.ndarray, batch: int) -> float:
    """CPU seconds per image of the image encoder on one intra-op thread."""
    emb.encode_images(pixels[:batch])  # opens the session; warm-up
    with timer() as t:
        for i in range(0, len(pixels), batch):
            emb.encode_images(pixels[i : i + batch])
    return t[1] / len(pixels)


def pipeline(paths: list[Path], emb: Embedder, workdir: Path, pool: int, batch: int):
    """(wall, CPU) seconds of one ``Indexer.run`` over ``paths`` in a new library."""
    lib = workdir / "library"
    lib.mkdir(parents=True)
    for p in paths:
        (lib / p.name).symlink_to(p)
    catalog = Catalog(workdir / "catalog.sqlite3")
    catalog.add_folder(lib)
    thumbs = ThumbnailCache(workdir / "thumbs", THUMB)
    indexer = Indexer(catalog, emb, thumbs, batch_size=batch, workers=pool)
    indexer.batch_size = batch  # the layout's, even where the app's plan would batch more
    with timer() as t:
        result = indexer.run()
    catalog.close()
    if result.embedded != len(paths) or result.failed:
        print(f"   WARNING: embedded {result.embedded}, failed {result.failed}")
    return t


def loaded(int8: bool, threads: int | None, spin: bool, pixels: np.ndarray) -> Embedder:
    onnx_runtime.ONNX_SPINNING["image"] = spin
    emb = load(RANDOM_VIT, "onnx", int8=int8, threads=threads)
    emb.encode_images(pixels[:16])  # open the graph now, not inside a timed run
    return emb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 photos, 1 round")
    ap.add_argument("-n", type=int, default=None, help="number of 24 MP photos (64)")
    ap.add_argument("--rounds", type=int, default=None, help="alternating rounds (3)")
    args = ap.parse_args()
    # 64, not 24: with 24 the first batch's decode and the last batch's encode, each with
    # the other stage idle, were ~10% of the run, and a library is indexed in thousands.
    n = args.n or (8 if args.quick else 64)
    rounds = args.rounds or (1 if args.quick else 3)
    header(f"ingest budget: {n} x 24 MP JPEGs, ViT-B-32 random weights, {CORES} cores")
    paths = photos(n)
    warm_page_cache(paths)

    with tempfile.TemporaryDirectory(prefix="clipdesk-ingest-") as tmp:
        work = Path(tmp)
        one = {q: loaded(q, 1, False, np.zeros((16, 3, 224, 224), np.float32)) for q in (0, 1)}
        side = max(one[0].image_size, THUMB)
        pixels = np.stack([one[0].preprocess(decode(p, min_side=side).image) for p in paths])
        stage_costs(paths[:2], one[0], work)  # warm-up
        # Pairs: each round measures the stages, then at once each layout's pipeline, and
        # each pipeline is set against the limit of its own round. The VM's speed drifts by
        # 10-25% over minutes; a ratio of figures from different moments (best pipeline
        # over cheapest stages) moved as much, and once printed a CPU efficiency of 1.01.
        stages: dict[str, list[float]] = {}
        model: dict[int, list[float]] = {0: [], 1: []}
        runs: dict[tuple[int, int], list[tuple[float, float, float]]] = {}
        for r in range(rounds):
            for q in (0, 1):
                for name, sec in stage_costs(paths, one[0], work).items():
                    stages.setdefault(name, []).append(sec)
                model[q].append(model_cpu(one[q], pixels, 16))
                need = stages["decode"][-1] + model[q][-1]  # CPU s per image, this round
                for k, (_, threads, pool, spin, batch) in enumerate(LAYOUTS):
                    emb = loaded(bool(q), threads, spin, pixels)
                    wall, cpu = pipeline(paths, emb, work / f"r{r}q{q}k{k}", pool, batch)
                    runs.setdefault((q, k), []).append((wall, cpu, need))
                    del emb
        del one
        print(f"-- CPU per image, one thread (median of {2 * rounds}; range)")
        for name, secs in stages.items():
            row(name, 1000 * median(secs), "ms", spread(secs, 1000, "ms"))
        for q, secs in model.items():
            label = f"model, {'int8' if q else 'fp32'}, batch 16, 1 intra-op thread"
            row(label, 1000 * median(secs), "ms", spread(secs, 1000, "ms"))
        onnx_runtime.ONNX_SPINNING["image"] = True
    for q in (0, 1):
        name = "int8" if q else "fp32"
        print(
            f"-- pipeline, ONNX {name}: rate / its round's limit (cores / (decode + model)), "
            f"median of {rounds} rounds; range"
        )
        for k, (label, *_rest) in enumerate(LAYOUTS):
            ratio = [n / wall / (CORES / need) for wall, _, need in runs[q, k]]
            eff = [need * n / cpu for _, cpu, need in runs[q, k]]
            use = [cpu / wall / CORES for wall, cpu, _ in runs[q, k]]
            note = (
                f"{spread(ratio)} (CPU eff. {median(eff):.2f} x core use {median(use):.2f}; "
                f"{median([n / w for w, _, _ in runs[q, k]]):.2f} img/s)"
            )
            row(label, median(ratio), "", note)
    if hasattr(os, "getloadavg"):  # core use below ~1 means other processes had the cores
        print(f"   load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
