"""Photos with words on them (issue 30), rendered here: fonts that ship in packages (Pillow's
own TrueType, ``ImageFont.load_default(size)``, and OpenCV's Hershey faces, which come with
the OCR engine), DejaVu Sans where the system has it; several sizes, colours and small
rotations, on photo-like backgrounds (a two-way gradient, grain, the scene of
tests/support/scenes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests.support.scenes import scene_photo

SIZE = (640, 480)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@dataclass(frozen=True)
class Sign:
    """One photo's words: what is written (one line per line), how, and on what."""

    lines: tuple[str, ...]
    font: str  # "pillow", "hershey-simplex", "hershey-duplex", "hershey-triplex", "dejavu"
    height: int  # px, the capitals' height on the 640x480 photo
    ink: tuple[int, int, int]
    background: str  # "gradient", "grain", "scene"
    angle: float  # degrees, counter-clockwise


# Every sign's words differ from the others', so that a search finds exactly its photo.
SIGNS = (
    Sign(("OPEN 24 HOURS",), "pillow", 44, (250, 250, 250), "gradient", 0.0),
    Sign(("Fresh croissants", "every morning"), "hershey-duplex", 30, (20, 20, 20), "grain", 3.0),
    Sign(("MENU du jour",), "hershey-triplex", 36, (250, 230, 40), "scene", -4.0),
    Sign(("Platform 9",), "hershey-simplex", 40, (30, 30, 160), "grain", 5.0),
    Sign(("Lemonade 2 EUR",), "pillow", 34, (20, 70, 20), "scene", -2.0),
)


def _background(kind: str, rng: np.random.Generator) -> Image.Image:
    w, h = SIZE
    if kind == "scene":
        return scene_photo().resize(SIZE)
    x = np.linspace(0, 1, w)[None, :, None]
    y = np.linspace(0, 1, h)[:, None, None]
    base = 70 + 110 * x * np.array([0.3, 0.7, 0.9]) + 50 * y * np.array([0.8, 0.3, 0.4])
    if kind == "grain":  # a sensor's noise on a light wall
        base = 90 + base * 0.8 + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(np.broadcast_to(base, (h, w, 3)), 0, 255).astype(np.uint8))


def _draw_pillow(im: Image.Image, sign: Sign, font: ImageFont.FreeTypeFont) -> None:
    draw = ImageDraw.Draw(im)
    y = SIZE[1] // 2 - len(sign.lines) * sign.height
    for line in sign.lines:
        draw.text((40, y), line, font=font, fill=sign.ink)
        y += int(sign.height * 1.8)


def _draw_hershey(im: Image.Image, sign: Sign) -> Image.Image:
    import cv2  # OpenCV comes with the OCR engine (rapidocr)

    face = {
        "hershey-simplex": cv2.FONT_HERSHEY_SIMPLEX,
        "hershey-duplex": cv2.FONT_HERSHEY_DUPLEX,
        "hershey-triplex": cv2.FONT_HERSHEY_TRIPLEX,
    }[sign.font]
    scale = sign.height / 22  # a Hershey capital is about 22 px at scale 1
    pixels = np.array(im)
    y = SIZE[1] // 2 - (len(sign.lines) - 1) * sign.height
    for line in sign.lines:
        cv2.putText(pixels, line, (40, y), face, scale, sign.ink, max(2, round(scale * 1.6)))
        y += int(sign.height * 1.8)
    return Image.fromarray(pixels)


def render(sign: Sign, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    im = _background(sign.background, rng)
    if sign.font.startswith("hershey"):
        im = _draw_hershey(im, sign)
    else:
        size = round(sign.height / 0.72)  # a capital is about 0.72 of the font's size
        if sign.font == "dejavu":
            font = ImageFont.truetype(str(DEJAVU), size)
        else:
            font = ImageFont.load_default(size=size)
        _draw_pillow(im, sign, font)
    if sign.angle:
        fill = im.getpixel((0, 0))
        im = im.rotate(sign.angle, resample=Image.Resampling.BICUBIC, fillcolor=fill)
    return im


def signs() -> tuple[Sign, ...]:
    """The signs, with one in DejaVu Sans where the system has that font."""
    if not DEJAVU.exists():
        return SIGNS
    return (*SIGNS, Sign(("Bakery closed",), "dejavu", 38, (240, 240, 240), "grain", -6.0))


def write_signs(folder: Path) -> dict[str, Sign]:
    """Each sign as a JPEG in ``folder``; {file name: sign}."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, sign in enumerate(signs()):
        name = f"sign_{i}.jpg"
        render(sign, seed=i).save(folder / name, quality=88)
        out[name] = sign
    return out
