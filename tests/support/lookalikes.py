"""Two different photos that the sampled hash cannot tell apart (issue 26, item 3): BMPs of
one size whose pixels differ only between the three 64 KiB samples the scan reads."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIDE = 600  # 600x600 RGB BMP: 1,080,054 bytes, rows of 1,800 bytes
BLUE, WHITE = (20, 40, 220), (255, 255, 255)


def lookalike(path: Path, shape: str) -> Path:
    """A blue ``circle`` or ``ellipse`` on white, drawn in rows 70-230 only: a BMP stores its
    rows bottom-up, so the first sample holds rows 564-599, the middle one rows 282-318 and
    the last one rows 0-36; none of them sees the shape."""
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGB", (SIDE, SIDE), WHITE)
    box = (220, 70, 380, 230) if shape == "circle" else (120, 90, 480, 210)
    ImageDraw.Draw(im).ellipse(box, fill=BLUE)
    im.save(path, format="BMP")
    return path
