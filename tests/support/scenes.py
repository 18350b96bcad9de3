"""A photo-like scene for the duplicates tests: a red circle on a two-way gradient, which a
test re-saves (an exact copy, the same picture) or moves and recolours (a similar shot)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def scene_photo(dx: int = 0, fill: tuple[int, int, int] = (220, 40, 40)) -> Image.Image:
    """The circle ``dx`` pixels right of its place, in ``fill``."""
    w, h = 480, 360
    x = np.linspace(0, 1, w)[None, :, None]
    y = np.linspace(0, 1, h)[:, None, None]
    bg = 60 + 90 * x * np.array([0.3, 0.8, 0.5]) + 60 * y * np.array([0.6, 0.2, 0.7])
    im = Image.fromarray(np.broadcast_to(bg, (h, w, 3)).astype(np.uint8), "RGB")
    r, cx, cy = h // 4, w * 2 // 5 + dx, h // 2
    ImageDraw.Draw(im).ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    return im
