"""Synthetic captioned images: one coloured shape on a varied background.

The project's own test model is trained on these (``models/train_test_model.py``),
and tests and benchmarks generate fresh ones to check that search and tagging
rank the right photos first. Nothing here is used by the app at run time.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 170, 40),
    "blue": (30, 60, 220),
    "yellow": (240, 220, 30),
    "white": (245, 245, 245),
    "black": (12, 12, 12),
}
SHAPES = ("circle", "square", "triangle")
BACKGROUNDS = ("plain", "gradient", "noise", "texture")
CLASSES = [(c, s) for c in COLOURS for s in SHAPES]


@dataclass(frozen=True)
class Sample:
    image: Image.Image
    colour: str
    shape: str
    background: str

    @property
    def label(self) -> str:
        return f"{self.colour} {self.shape}"


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator, amount: int) -> tuple[int, ...]:
    return tuple(int(np.clip(v + rng.integers(-amount, amount + 1), 0, 255)) for v in rgb)


def _background_colour(rng: np.random.Generator, avoid: tuple[int, int, int]) -> np.ndarray:
    # Backgrounds are muted and never close to the shape colour, so the shape stays visible.
    while True:
        c = rng.integers(0, 256, 3)
        c = (c * rng.uniform(0.3, 0.8) + rng.uniform(30, 110)).clip(0, 255)
        if np.abs(c - np.array(avoid)).sum() > 160:
            return c


def _background(kind: str, w: int, h: int, rng: np.random.Generator, avoid) -> np.ndarray:
    a = _background_colour(rng, avoid)
    if kind == "plain":
        return np.broadcast_to(a, (h, w, 3)).astype(np.float32)
    if kind == "gradient":
        b = _background_colour(rng, avoid)
        angle = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xx / max(w, 1)) * math.cos(angle) + (yy / max(h, 1)) * math.sin(angle)
        t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
        return a * (1 - t[..., None]) + b * t[..., None]
    if kind == "noise":
        noise = rng.normal(0, rng.uniform(10, 35), (h, w, 3))
        return (a + noise).clip(0, 255).astype(np.float32)
    # texture: stripes or a checkerboard in two muted colours
    b = _background_colour(rng, avoid)
    period = int(rng.integers(4, 24))
    yy, xx = np.mgrid[0:h, 0:w]
    if rng.random() < 0.5:
        mask = ((xx + yy * rng.integers(0, 2)) // period) % 2
    else:
        mask = ((xx // period) + (yy // period)) % 2
    return np.where(mask[..., None] == 1, a, b).astype(np.float32)


def render(
    colour: str,
    shape: str,
    size: tuple[int, int],
    rng: np.random.Generator,
    background: str | None = None,
    jpeg_quality: int | None = None,
) -> Sample:
    """Draw one ``colour`` ``shape`` on a background, 10-60% of the short side, anywhere."""
    w, h = size
    background = background or BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    fill = _jitter(COLOURS[colour], rng, 12)
    bg = _background(background, w, h, rng, COLOURS[colour])
    img = Image.fromarray(bg.clip(0, 255).astype(np.uint8), "RGB")
    side = max(2, int(min(w, h) * rng.uniform(0.10, 0.60)))
    x0 = int(rng.integers(0, max(1, w - side + 1)))
    y0 = int(rng.integers(0, max(1, h - side + 1)))
    draw = ImageDraw.Draw(img)
    if shape == "circle":
        draw.ellipse([x0, y0, x0 + side - 1, y0 + side - 1], fill=fill)
    elif shape == "square":
        draw.rectangle([x0, y0, x0 + side - 1, y0 + side - 1], fill=fill)
    else:
        draw.polygon(
            [(x0 + side / 2, y0), (x0, y0 + side - 1), (x0 + side - 1, y0 + side - 1)], fill=fill
        )
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    if jpeg_quality is None:
        jpeg_quality = int(rng.integers(35, 96))
    if jpeg_quality:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=jpeg_quality)
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return Sample(img, colour, shape, background)


def random_size(rng: np.random.Generator, lo: int = 48, hi: int = 640) -> tuple[int, int]:
    """Any size and aspect ratio from about 1:2.2 to 2.2:1."""
    short = int(rng.integers(lo, hi))
    ratio = math.exp(rng.uniform(-0.8, 0.8))
    return (short, int(short * ratio)) if rng.random() < 0.5 else (int(short * ratio), short)


def random_sample(rng: np.random.Generator, lo: int = 48, hi: int = 640, **kwargs) -> Sample:
    colour, shape = CLASSES[int(rng.integers(len(CLASSES)))]
    return render(colour, shape, random_size(rng, lo, hi), rng, **kwargs)


def write_folder(
    folder, n: int, seed: int = 0, size: tuple[int, int] | None = None
) -> list[Sample]:
    """Write ``n`` shape photos as JPEGs named ``{i:04d}_{colour}_{shape}.jpg``; returns them."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        colour, shape = CLASSES[i % len(CLASSES)]
        s = render(colour, shape, size or random_size(rng, 96, 400), rng, jpeg_quality=0)
        s.image.save(folder / f"{i:04d}_{colour}_{shape}.jpg", quality=90)
        out.append(s)
    return out


def random_clip_folder(folder, arch: str = "ViT-B-32", seed: int = 0, **overrides) -> str:
    """An open_clip model folder (config and safetensors) with random weights: a model that
    knows nothing, built offline. ``overrides`` change the architecture's config (a tiny
    one for tests). Returns the folder, as ``--model`` takes it."""
    import json
    from pathlib import Path

    import open_clip
    import torch
    from safetensors.torch import save_file

    folder = Path(folder)
    if not (folder / "open_clip_model.safetensors").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        cfg = open_clip.get_model_config(arch)
        for key, value in overrides.items():
            if isinstance(value, dict):
                cfg[key] = {**cfg[key], **value}
            else:
                cfg[key] = value
        torch.manual_seed(seed)
        model = open_clip.CLIP(**cfg)
        (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": cfg}))
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(folder / "open_clip_model.safetensors"))
    return str(folder)
