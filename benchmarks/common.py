"""Shared helpers for the benchmarks: test photos, the random-weights model, timing.

Everything generated lives under ``benchmarks/_data/`` (git-ignored) and is
regenerated when missing. Nothing here downloads anything.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import statistics
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
if str(REPO) not in sys.path:  # run as `python benchmarks/NAME.py` from a checkout
    sys.path.insert(0, str(REPO))

from clipdesk.embedding import Embedder, load_embedder  # noqa: E402
from clipdesk.embedding.registry import ModelSpec  # noqa: E402

# Keep the output to the figures: open_clip's "no pretrained weights" notice, the
# quantiser's advice and the exporter's warnings are expected here.
logging.getLogger().setLevel(logging.ERROR)
warnings.filterwarnings("ignore")

DATA = ROOT / "_data"
ONNX_DIR = DATA / "onnx"
WEIGHTS_DIR = DATA / "weights"
PHOTO_DIR = DATA / "photos-24mp"
PHOTO_SIZE = (6000, 4000)
RANDOM_VIT = ModelSpec("ViT-B-32:random", "ViT-B-32")  # no pretrained tag: random init


# -- test photos --------------------------------------------------------------


def _smooth_field(
    rng: np.random.Generator, size: tuple[int, int], cells: tuple[int, int], channels: int = 3
) -> np.ndarray:
    """Random values on a coarse grid, upscaled bicubically: gradients and soft blobs."""
    small = rng.integers(0, 256, (cells[1], cells[0], channels), dtype=np.uint8)
    img = Image.fromarray(small.squeeze(-1) if channels == 1 else small)
    big = np.asarray(img.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    return big if channels == 3 else big[..., None]


def photo_like(rng: np.random.Generator, size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """Smooth gradients + low-frequency colour blobs + luma texture + mild sensor noise.

    At 6000x4000 and JPEG quality 90 this gives files of about 6 MB, like a real photo.
    """
    w, h = size
    base = _smooth_field(rng, size, (4, 3))
    blobs = _smooth_field(rng, size, (max(2, w // 150), max(2, h // 150)))
    texture = _smooth_field(rng, size, (max(2, w // 10), max(2, h // 10)), channels=1)
    out = np.empty((h, w, 3), np.uint8)
    for y in range(0, h, 500):  # in strips, so memory stays small
        s = slice(y, y + 500)
        noise = rng.standard_normal(out[s].shape, dtype=np.float32) * 6.0
        v = base[s] * 0.6 + (blobs[s] - 128) * 0.5 + (texture[s] - 128) * 0.3 + 40 + noise
        out[s] = np.clip(v, 0, 255)
    return Image.fromarray(out, "RGB")


def photos(n: int, size: tuple[int, int] = PHOTO_SIZE, folder: Path = PHOTO_DIR) -> list[Path]:
    """``n`` photo-like JPEGs (quality 90), generated once and cached in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"photo_{i:04d}.jpg"
        if not path.is_file():
            if i == 0 or not paths:
                print(f"generating test photos in {folder} (once)...", flush=True)
            tmp = path.with_suffix(".tmp")
            photo_like(np.random.default_rng(1000 + i), size).save(tmp, "JPEG", quality=90)
            os.replace(tmp, path)
        paths.append(path)
    return paths


def warm_page_cache(paths: list[Path]) -> int:
    """Read every file once so that no contestant pays for the first disk read."""
    return sum(len(p.read_bytes()) for p in paths)


# -- models -------------------------------------------------------------------


def load(
    model: str | ModelSpec = RANDOM_VIT,
    backend: str = "onnx",
    int8: bool = False,
    threads: int | None = None,
    image_lanes: int | None = None,
) -> Embedder:
    """``load_embedder`` with the benchmark caches; seeded, so random weights match across
    backends and runs (the ONNX export of the random model is cached with its first weights)."""
    import torch

    torch.manual_seed(0)
    return load_embedder(
        model,
        backend=backend,
        int8=int8,
        weights_dir=WEIGHTS_DIR,
        onnx_dir=ONNX_DIR,
        threads=threads,
        image_lanes=image_lanes,
    )


# -- timing -------------------------------------------------------------------


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds and ``t[1]`` the
    CPU seconds of this process (all threads) in that time."""
    out: list[float] = []
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        out.extend((time.perf_counter() - start, time.process_time() - cpu))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def median(values: list[float]) -> float:
    return statistics.median(values)


def header(title: str) -> None:
    import onnxruntime
    import torch

    print(f"== {title}")
    print(
        f"   {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), onnxruntime {onnxruntime.__version__}"
    )
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   load average at start: {load1:.2f}  ({time.strftime('%Y-%m-%d %H:%M')})")


def row(label: str, value: float, unit: str, note: str = "") -> None:
    print(f"   {label:<48} {value:>10.2f} {unit:<6} {note}".rstrip())


def place(src: Path, dst: Path) -> None:
    """Put a photo into a benchmark's library folder: a hard link (no copy) where the file
    system allows, else a copy. Not a symbolic link: a scan never follows a link out of its
    folder (pipeline/links.py), as it never followed one before issue 26 either."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
