"""Indexing 24 MP JPEGs: ClipDesk's pipeline vs a naive loop vs the model alone.

(a) pipeline: ``Indexer`` end to end (scan, reduced-size decode, thumbnail, preprocess,
    ONNX CPU in batches of 16, SQLite) over a fresh catalog;
(b) naive: full PIL decode, open_clip's preprocess, one torch CPU forward per image
    (with torch's default thread count and with 1 thread; the faster one is the baseline,
    because torch's threads collapse when another process holds a core);
(c) model only: the ONNX backend on already-preprocessed tensors, batches of 16.
Same architecture (ViT-B-32), random weights, same files. Prints images/s and ratios.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from common import (
    RANDOM_VIT,
    header,
    load,
    photos,
    place,
    row,
    timer,
    warm_page_cache,
)
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.imaging import ThumbnailCache, decode
from clipdesk.pipeline.indexer import Indexer

BATCH = 16
THUMB = 256


def run_pipeline(paths: list[Path], emb: Embedder, workdir: Path) -> list[float]:
    """(wall, CPU) seconds of one ``Indexer.run`` over ``paths``, linked into a new library."""
    lib = workdir / "library"
    lib.mkdir(parents=True)
    for p in paths:
        place(p, lib / p.name)
    catalog = Catalog(workdir / "catalog.sqlite3")
    catalog.add_folder(lib)
    indexer = Indexer(catalog, emb, ThumbnailCache(workdir / "thumbs", THUMB), batch_size=BATCH)
    with timer() as t:
        result = indexer.run()
    catalog.close()
    if result.embedded != len(paths) or result.failed:
        print(f"   WARNING: pipeline embedded {result.embedded}, failed {result.failed}")
    return t


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    was = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(was)


class Naive:
    """Full decode, open_clip's own preprocess, one torch CPU forward per image."""

    def __init__(self) -> None:
        import open_clip

        torch.manual_seed(0)
        model, _, self.preprocess = open_clip.create_model_and_transforms(RANDOM_VIT.open_clip_name)
        self.model = model.eval()

    def forward_seconds(self, path: Path, threads: int, repeat: int = 3) -> float:
        """Seconds per single-image forward (after a warm-up), for the breakdown."""
        x = self.preprocess(Image.open(path).convert("RGB")).unsqueeze(0)
        with torch.inference_mode(), torch_threads(threads):
            self.model.encode_image(x)
            with timer() as t:
                for _ in range(repeat):
                    self.model.encode_image(x)
        return t[0] / repeat

    def run(self, paths: list[Path], threads: int) -> list[float]:
        with timer() as t, torch.inference_mode(), torch_threads(threads):
            for p in paths:
                image = Image.open(p).convert("RGB")
                self.model.encode_image(self.preprocess(image).unsqueeze(0))
        return t


def model_only(emb: Embedder, pixels: np.ndarray) -> list[float]:
    """(wall, CPU) seconds for ``encode_images`` over ``pixels`` in batches of BATCH."""
    with timer() as t:
        for i in range(0, len(pixels), BATCH):
            emb.encode_images(pixels[i : i + BATCH])
    return t


def breakdown(
    paths: list[Path], emb: Embedder, clip_pre: Callable, workdir: Path
) -> dict[str, float]:
    """Per-image milliseconds of each stage, one image at a time."""
    cache = ThumbnailCache(workdir / "thumbs-breakdown", THUMB)
    side = max(emb.image_size, THUMB)
    stages: dict[str, float] = defaultdict(float)
    for i, p in enumerate(paths):
        with timer() as t:
            d = decode(p, min_side=side)
        stages["draft decode"] += t[0]
        with timer() as t:
            cache.save(f"{i:032x}", d.image)
        stages["thumbnail save"] += t[0]
        with timer() as t:
            emb.preprocess(d.image)
        stages["clipdesk preprocess"] += t[0]
        with timer() as t:
            full = Image.open(p).convert("RGB")
        stages["full decode"] += t[0]
        with timer() as t:
            clip_pre(full)
        stages["open_clip preprocess of full image"] += t[0]
    return {k: 1000 * v / len(paths) for k, v in stages.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 photos instead of 24")
    ap.add_argument("-n", type=int, default=None, help="number of 24 MP photos")
    ap.add_argument("--rounds", type=int, default=None, help="alternating rounds (best kept)")
    args = ap.parse_args()
    n = args.n or (8 if args.quick else 24)
    rounds = args.rounds or (1 if args.quick else 2)
    header(f"indexing {n} x 24 MP JPEGs, ViT-B-32 random weights, batch {BATCH}")

    paths = photos(n)
    mb = warm_page_cache(paths) / n / 1e6
    print(f"   {n} files, {mb:.1f} MB each on average (page cache warmed)")
    with timer() as t:
        emb = load(RANDOM_VIT, "onnx")  # exports to ONNX on the first run only
    row("load + ONNX export if not cached (excluded)", t[0], "s")

    side = max(emb.image_size, THUMB)
    pixels = np.stack([emb.preprocess(decode(p, min_side=side).image) for p in paths])
    emb.encode_images(pixels[:BATCH])  # warm-up
    decode(paths[0], min_side=side)

    naive, default_threads = Naive(), torch.get_num_threads()
    t_fwd = {k: naive.forward_seconds(paths[0], k) for k in (default_threads, 1)}  # + warm-up
    times: dict[str, list[list[float]]] = {"model": [], "pipe": [], "naive": [], "naive1": []}
    with tempfile.TemporaryDirectory(prefix="clipdesk-bench-") as tmp:
        for r in range(rounds):  # alternate, so a burst of load elsewhere hits all of them
            times["model"].append(model_only(emb, pixels))
            times["pipe"].append(run_pipeline(paths, emb, Path(tmp) / f"round{r}"))
            times["naive"].append(naive.run(paths, default_threads))
            times["naive1"].append(naive.run(paths, 1))
        stages = breakdown(paths[: min(4, n)], emb, naive.preprocess, Path(tmp))
    best = {k: min(v) for k, v in times.items()}  # (wall, CPU) of the fastest round
    rate = {k: n / wall for k, (wall, _) in best.items()}
    r_naive = max(rate["naive"], rate["naive1"])

    print(f"-- throughput (best of {rounds} alternating rounds; CPU = all threads, per image)")
    for key, label in (
        ("pipe", "(a) pipeline: Indexer end to end"),
        ("naive", f"(b) naive, torch {default_threads} threads"),
        ("naive1", "(b) naive, torch 1 thread"),
        ("model", "(c) model only: ONNX on tensors, batch 16"),
    ):
        wall, cpu = best[key]
        row(label, rate[key], "img/s", f"{1000 * wall / n:.0f} ms/img, CPU {1000 * cpu / n:.0f} ms")
    print("-- ratios")
    row("pipeline / faster naive (budget >= 4x)", rate["pipe"] / r_naive, "x")
    row("pipeline / model only (1.0 = no overhead)", rate["pipe"] / rate["model"], "x")
    row("pipeline time on top of the model", 1000 / rate["pipe"] - 1000 / rate["model"], "ms/img")
    print(f"-- per-image stages, one image at a time (mean of {min(4, n)} photos)")
    for name, ms in stages.items():
        row(name, ms, "ms")
    for threads, sec in t_fwd.items():
        row(f"torch forward, batch of 1, {threads} thread(s)", 1000 * sec, "ms")
    row("ONNX forward, per image in a batch of 16", 1000 / rate["model"], "ms")


if __name__ == "__main__":
    main()
