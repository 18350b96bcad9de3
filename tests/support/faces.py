"""Face test images: two public-domain portraits (tests/data/faces/, where they come from in
its README.md) and a group photo made from them."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageOps

from tests.support.repo import DATA

FACES = DATA / "faces"
PEOPLE = ("astronaut", "grace_hopper")
FILES = {"astronaut": "astronaut.png", "grace_hopper": "grace_hopper.jpg"}

FACE_BOX = {
    "astronaut": (0.350, 0.123, 0.174, 0.218),
    "grace_hopper": (0.357, 0.201, 0.333, 0.354),
}
"""Where each portrait's face is (x, y, w, h, fractions of the image), as YuNet boxes it."""

BACKGROUND = (90, 110, 100)


def portrait(person: str) -> Image.Image:
    """One of PEOPLE's portraits, RGB."""
    with Image.open(FACES / FILES[person]) as im:
        return im.convert("RGB")


HEAD = {"astronaut": (120, 20, 420, 320), "grace_hopper": (100, 60, 420, 440)}
"""A head-and-shoulders crop of each portrait (left, top, right, bottom px) for the group."""


@dataclass(frozen=True)
class Pasted:
    """One portrait pasted into a group photo, and where its face is (x, y, w, h in pixels
    of the group photo)."""

    person: str
    mirrored: bool
    face: tuple[float, float, float, float]


GROUP_SIZE = (1200, 800)
GROUP_LAYOUT = (
    # person, scale of its HEAD crop, top-left corner, mirrored
    ("astronaut", 1.3, (10, 10), False),
    ("grace_hopper", 0.9, (420, 10), False),
    ("astronaut", 0.9, (730, 10), True),
    ("grace_hopper", 0.55, (1010, 10), True),
    ("astronaut", 1.0, (60, 440), False),
    ("grace_hopper", 0.6, (450, 460), False),
)
"""Six faces of 80 to 191 px, none overlapping: the smallest about 51 px at the detector's
768 px, where YuNet scores these faces 0.92 or more (under about 30 px their scores fall
below 0.9)."""


def group_photo() -> tuple[Image.Image, list[Pasted]]:
    """A 1200x800 'group photo': head-and-shoulders crops of the portraits pasted at several
    sizes on a plain background, some mirrored; returns it and each pasted face."""
    canvas = Image.new("RGB", GROUP_SIZE, BACKGROUND)
    pasted = []
    for person, scale, (left, top), mirrored in GROUP_LAYOUT:
        full = portrait(person)
        x0, y0, x1, y1 = HEAD[person]
        width, height = round((x1 - x0) * scale), round((y1 - y0) * scale)
        im = full.crop(HEAD[person]).resize((width, height), Image.Resampling.BILINEAR)
        if mirrored:
            im = ImageOps.mirror(im)
        canvas.paste(im, (left, top))
        fx, fy, fw, fh = FACE_BOX[person]
        x = (fx * full.width - x0) * scale
        y = (fy * full.height - y0) * scale
        w, h = fw * full.width * scale, fh * full.height * scale
        if mirrored:
            x = width - x - w
        pasted.append(Pasted(person, mirrored, (left + x, top + y, w, h)))
    return canvas, pasted
