"""Ingest budget: the Indexer on 24 MP JPEGs against this machine's decode+model CPU limit.

In one run, for ONNX fp32 and int8 (ViT-B-32, random weights):

* per-stage CPU cost per image, one thread at a time: reduced-size decode, preprocess,
  thumbnail (from the copy the preprocess scaled; from the decode, as before, beside it),
  and the image encoder (one intra-op thread, so no spinning or parallel
  overhead is counted as work);
* the limit: ``cores / (decode CPU s + model CPU s per image)``, the best rate any pipeline
  on these cores could reach without making either stage cheaper;
* the pipeline (``Indexer.run``: scan, decode, thumbnails, preprocess, batches, SQLite)
  under a few thread layouts: lanes (lanes.py: one thread per core decodes and encodes its
  own batches, on one intra-op thread; the app's), or one encoder on ONNX's intra-op
  threads fed by a decode pool (last stop's; spinning or not), and the batch size; its
  rate as a fraction of the limit (budget >= 0.9), split into CPU efficiency ((decode +
  model) / pipeline CPU per image) x core use (CPU / wall / cores).

The stage costs are measured on a sample of the photos just before and just after each
pipeline, which is set against the mean of the two (the VM's speed drifts by 10-25% over
minutes); the median over rounds is printed with the range.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
from common import RANDOM_VIT, header, load, photos, place, row, timer, warm_page_cache
from faces import as_before as faces_as_before
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder, onnx_runtime
from clipdesk.faces import FaceEngine
from clipdesk.imaging import ThumbnailCache, decode
from clipdesk.pipeline.indexer import Indexer
from clipdesk.text import looks_like_text

THUMB = 256
FACES = FaceEngine(threads=1)
SAMPLE = 16  # photos whose stage costs are measured around each pipeline
CORES = os.cpu_count() or 1
# (label, ONNX intra-op threads (None: ORT's default, one per core), decode pool, spin, batch,
# image lanes (lanes.py; None: one per core, the pool unused; 1: a decode pool feeds one
# encoder on every thread))
LAYOUTS = [
    ("before: 1 encoder on ORT's threads, pool 2, spin, batch 16", None, 2, True, 16, 1),
    ("1 encoder on 2 threads, pool 2, no spin, batch 8 (last stop's fp32)", 2, 2, False, 8, 1),
    ("1 encoder on 2 threads, pool 2, no spin, batch 16 (last stop's int8)", 2, 2, False, 16, 1),
    ("2 lanes of 1 thread, batch 8 (the app's)", None, 0, False, 8, None),
    ("2 lanes of 1 thread, batch 16", None, 0, False, 16, None),
]
DEFAULT_LAYOUTS = [1, 2, 3]  # the others on request (--layouts): measured in earlier runs


def spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    return f"{scale * min(values):.2f}-{scale * max(values):.2f}{' ' + unit if unit else ''}"


def stage_costs(paths: list[Path], emb: Embedder, workdir: Path) -> dict[str, float]:
    """CPU seconds per image of each CPU stage, one image at a time in this thread, in the
    indexer's order: the model's preprocess, then the thumbnail from the copy it scaled
    (``ImageTransform.with_scaled``); and the thumbnail from the decode, as it was made
    before, for comparison (not part of the pipeline); and the face step on the same decode
    (issue 27: after the tags, from the kept reduced image; these photos hold no face, so
    it is the detector's cost: benchmarks/faces.py has photos with 1-6 faces)."""
    cache = ThumbnailCache(workdir / "thumbs-stages", THUMB)
    side = max(emb.image_size, THUMB)
    out = {"decode": 0.0, "preprocess": 0.0, "thumbnail": 0.0, "thumbnail from the decode": 0.0}
    out["faces (on the same decode)"] = 0.0
    out["text: judge (letters in the thumbnail)"] = 0.0
    out["faces, engine before (SFace)"] = 0.0
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
        FACES.find(d.image)
        t5 = time.thread_time()
        out["faces (on the same decode)"] += t5 - t4
        with faces_as_before(FACES):  # SFace in int8, the embedder before, side by side
            FACES.find(d.image)
        out["faces, engine before (SFace)"] += time.thread_time() - t5
        out["decode"] += t1 - t0
        out["preprocess"] += t2 - t1
        out["thumbnail"] += t3 - t2
        out["thumbnail from the decode"] += t4 - t3
        t6 = time.thread_time()  # issue 30: every photo is judged (benchmarks/text.py: reads)
        with Image.open(cache.path_for(f"{i:032x}")) as thumb:
            looks_like_text(np.asarray(thumb.convert("L")))
        out["text: judge (letters in the thumbnail)"] += time.thread_time() - t6
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
        place(p, lib / p.name)
    catalog = Catalog(workdir / "catalog.sqlite3")
    catalog.add_folder(lib)
    thumbs = ThumbnailCache(workdir / "thumbs", THUMB)
    indexer = Indexer(catalog, emb, thumbs, batch_size=batch, workers=pool or None)
    indexer.batch_size = batch  # the layout's, even where the app's plan would batch more
    with timer() as t:
        result = indexer.run()
    catalog.close()
    if result.embedded != len(paths) or result.failed:
        print(f"   WARNING: embedded {result.embedded}, failed {result.failed}")
    return t


def loaded(
    int8: bool, threads: int | None, spin: bool, pixels: np.ndarray, lanes: int | None = 1
) -> Embedder:
    onnx_runtime.ONNX_SPINNING["image"] = spin
    emb = load(RANDOM_VIT, "onnx", int8=int8, threads=threads, image_lanes=lanes)
    emb.encode_images(pixels[:16])  # open the graph now, not inside a timed run
    return emb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 photos, 1 round")
    ap.add_argument("-n", type=int, default=None, help="number of 24 MP photos (64)")
    ap.add_argument("--rounds", type=int, default=None, help="alternating rounds (3)")
    ap.add_argument(
        "--layouts", default=None, help="which layouts, by number from 0: for example 0,1,3"
    )
    args = ap.parse_args()
    # 64, not 24: with 24 the first batch's decode and the last batch's encode, each with
    # the other stage idle, were ~10% of the run, and a library is indexed in thousands.
    n = args.n or (8 if args.quick else 64)
    rounds = args.rounds or (1 if args.quick else 3)
    chosen = [int(k) for k in args.layouts.split(",")] if args.layouts else DEFAULT_LAYOUTS
    layouts = {k: LAYOUTS[k] for k in chosen}
    header(f"ingest budget: {n} x 24 MP JPEGs, ViT-B-32 random weights, {CORES} cores")
    paths = photos(n)
    warm_page_cache(paths)

    with tempfile.TemporaryDirectory(prefix="clipdesk-ingest-") as tmp:
        work = Path(tmp)
        one = {q: loaded(q, 1, False, np.zeros((16, 3, 224, 224), np.float32)) for q in (0, 1)}
        side = max(one[0].image_size, THUMB)
        pixels = np.stack([one[0].preprocess(decode(p, min_side=side).image) for p in paths])
        sample = paths[:: max(1, n // SAMPLE)][:SAMPLE]
        stage_costs(sample[:2], one[0], work)  # warm-up
        # Brackets: the stages are measured (on SAMPLE of the photos) just before and just
        # after each pipeline, which is set against the mean of the two limits. The VM's
        # speed drifts by 10-25% over minutes: a ratio of figures from different moments
        # moved as much (one printed a CPU efficiency of 1.01), and stages measured once a
        # round, before 2-4 pipelines, still gave single ratios of 0.78-1.06.
        stages: dict[str, list[float]] = {}
        model: dict[int, list[float]] = {0: [], 1: []}
        runs: dict[tuple[int, int], list[tuple[float, float, float]]] = {}

        def limit(q: int) -> float:
            """CPU s per image of decode + model, now."""
            for name, sec in stage_costs(sample, one[0], work).items():
                stages.setdefault(name, []).append(sec)
            model[q].append(model_cpu(one[q], pixels[: len(sample)], 16))
            return stages["decode"][-1] + model[q][-1]

        for r in range(rounds):
            for q in (0, 1):
                before = limit(q)
                for k, (_, threads, pool, spin, batch, lanes) in layouts.items():
                    emb = loaded(bool(q), threads, spin, pixels, lanes)
                    wall, cpu = pipeline(paths, emb, work / f"r{r}q{q}k{k}", pool, batch)
                    del emb
                    after = limit(q)
                    runs.setdefault((q, k), []).append((wall, cpu, (before + after) / 2))
                    before = after
        times = len(stages["decode"])
        print(f"-- CPU per image, one thread, {len(sample)} photos (median of {times}; range)")
        for name, secs in stages.items():
            row(name, 1000 * median(secs), "ms", spread(secs, 1000, "ms"))
        for q, secs in model.items():
            label = f"model, {'int8' if q else 'fp32'}, batch 16, 1 intra-op thread"
            row(label, 1000 * median(secs), "ms", spread(secs, 1000, "ms"))
        onnx_runtime.ONNX_SPINNING["image"] = True
    for q in (0, 1):
        name = "int8" if q else "fp32"
        print(
            f"-- pipeline, ONNX {name}: rate / the limit measured around it (cores / (decode "
            f"+ model)), median of {rounds} rounds; range"
        )
        for k, (label, *_rest) in layouts.items():
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
