"""GPU ingest: images/s on CUDA (fp16) or MPS, split into decode and model. GPU-ONLY.

On a machine with a CUDA or Apple GPU, with 24 MP JPEGs and ViT-B-32 (random weights):

(a) model only: the image encoder on batches already on the device;
(b) decode only: nvJPEG batch decode + orientation + thumbnail + model input on the device
    (CUDA), against the CPU's reduced-size decode in a thread pool of all cores;
(c) the pipeline: ``Indexer.run`` end to end with the backend's plan (nvJPEG decode on
    CUDA), and with the device decode switched off (CPU decode feeding the GPU).

Without a GPU it says so and exits 0. ``--quick`` (24 photos, one round) stays well under
3 minutes once the photos exist; ``--device cpu`` runs the same code on torch's CPU as a
smoke test (slow, not a measurement).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from common import RANDOM_VIT, header, load, photos, place, row, warm_page_cache

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder, accelerators
from clipdesk.embedding.gpu import DeviceImages, plan_ingest
from clipdesk.imaging import ThumbnailCache, decode, read_jpeg
from clipdesk.pipeline.indexer import DEVICE_DECODE_CHUNK, Indexer

THUMB = 256


def pick_device(asked: str) -> str | None:
    if asked != "auto":
        return asked
    cuda, mps = accelerators()
    return "cuda" if cuda else "mps" if mps else None


def sync(device: str) -> None:
    import torch

    if device == "cuda":  # GPU-ONLY
        torch.cuda.synchronize()
    elif device == "mps":  # GPU-ONLY
        torch.mps.synchronize()


def model_only(emb: Embedder, device: str, batch: int, n: int) -> float:
    """Images/s of the encoder on a device batch (random pixels; speed does not care)."""
    import torch

    x = torch.randn(batch, 3, emb.image_size, emb.image_size, device=device)
    emb.encode_device_batch(x)  # warm-up
    sync(device)
    start = time.perf_counter()
    done = 0
    while done < n:
        emb.encode_device_batch(x)
        done += batch
    sync(device)
    return done / (time.perf_counter() - start)


def device_decode(images: DeviceImages, blobs: list[bytes], batch: int) -> float:
    """Images/s of device decode + orientation + thumbnail + model input, in batches
    (decoded DEVICE_DECODE_CHUNK at a time, as the indexer does)."""
    images.prepare(images.decode(blobs[:1])[0], 1)  # warm-up
    sync(str(images.device.type))
    start = time.perf_counter()
    for i in range(0, len(blobs), batch):
        pixels = []
        for j in range(i, min(i + batch, len(blobs)), DEVICE_DECODE_CHUNK):
            decoded = images.decode(blobs[j : min(j + DEVICE_DECODE_CHUNK, i + batch)])
            pixels += [images.prepare(im, 1)[0] for im in decoded]
        images.batch(pixels)
    sync(str(images.device.type))
    return len(blobs) / (time.perf_counter() - start)


def cpu_decode(paths: list[Path], emb: Embedder) -> float:
    """Images/s of the CPU path (reduced-size decode + preprocess) on all cores."""
    side = max(emb.image_size, THUMB)

    def one(p: Path) -> np.ndarray:
        return emb.preprocess(decode(p, min_side=side).image)

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        start = time.perf_counter()
        list(pool.map(one, paths))
        return len(paths) / (time.perf_counter() - start)


def pipeline(paths: list[Path], emb: Embedder, workdir: Path) -> tuple[float, str]:
    lib = workdir / "library"
    lib.mkdir(parents=True)
    for p in paths:
        place(p, lib / p.name)
    catalog = Catalog(workdir / "catalog.sqlite3")
    catalog.add_folder(lib)
    indexer = Indexer(catalog, emb, ThumbnailCache(workdir / "thumbs", THUMB), batch_size=16)
    start = time.perf_counter()
    result = indexer.run()
    wall = time.perf_counter() - start
    catalog.close()
    if result.embedded != len(paths) or result.failed:
        print(f"   WARNING: embedded {result.embedded}, failed {result.failed[:3]}")
    return len(paths) / wall, f"{indexer.plan.decode} decode, batch {indexer.batch_size}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="24 photos, one round")
    ap.add_argument("-n", type=int, default=None, help="number of 24 MP photos (64)")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    args = ap.parse_args()
    device = pick_device(args.device)
    if device is None:
        print("benchmarks/gpu.py: no CUDA or Apple GPU here (torch sees none); nothing to")
        print("measure. Run it on a GPU machine; `--device cpu` smoke-tests the code path.")
        return 0
    n = args.n or (24 if args.quick else 64)
    rounds = args.rounds or (1 if args.quick else 2)
    header(f"GPU ingest on {device}: {n} x 24 MP JPEGs, ViT-B-32 random weights")
    if device == "cuda":  # GPU-ONLY
        import torch

        print(f"   {torch.cuda.get_device_name(0)}")
    paths = photos(n)
    warm_page_cache(paths)
    start = time.perf_counter()
    emb = load(RANDOM_VIT, "cpu" if device == "cpu" else device)
    row("model load (excluded)", time.perf_counter() - start, "s")
    cfg = emb.info["preprocess_cfg"]
    if device == "cuda" and emb.device_images is None:
        print("   nvJPEG decode is not available here: the pipeline decodes on the CPU")
    images = emb.device_images or DeviceImages(
        device,
        emb.image_size,
        cfg["mean"],
        cfg["std"],
        resize_mode=cfg.get("resize_mode") or "shortest",
    )
    plan = plan_ingest(emb.backend, 16, lambda: emb.device_images is not None)
    print(f"   backend {emb.backend}; plan: {plan}")
    blobs = [read_jpeg(p)[0] for p in paths]
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="clipdesk-gpu-") as tmp:
        for r in range(rounds):
            rates = {
                "model": model_only(emb, device, plan.batch_size, max(n, 4 * plan.batch_size)),
                "device decode": device_decode(images, blobs, plan.batch_size),
                "cpu decode": cpu_decode(paths, emb),
            }
            with_device = dataclasses.replace(emb, device_images=images)
            rates["pipeline"], how = pipeline(paths, with_device, Path(tmp) / f"a{r}")
            cpu_fed = dataclasses.replace(emb, device_images=None)
            rates["pipeline, cpu decode"], how_cpu = pipeline(paths, cpu_fed, Path(tmp) / f"b{r}")
            for k, v in rates.items():
                best[k] = max(best.get(k, 0.0), v)
    print(f"-- images/s (best of {rounds})")
    row(f"(a) model only, batch {plan.batch_size}", best["model"], "img/s")
    row("(b) decode on the device (+ thumbnail, input)", best["device decode"], "img/s")
    row(f"(b) CPU reduced-size decode, {os.cpu_count()} threads", best["cpu decode"], "img/s")
    row(f"(c) pipeline ({how})", best["pipeline"], "img/s")
    row(f"(c) pipeline ({how_cpu})", best["pipeline, cpu decode"], "img/s")
    print("-- split, ms per image")
    for key in ("model", "device decode", "cpu decode"):
        row(key, 1000 / best[key], "ms")
    row("pipeline / model only", best["pipeline"] / best["model"], "x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
