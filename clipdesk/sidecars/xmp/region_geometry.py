"""The geometry between a face region's frame and the photo as displayed: EXIF orientations
turning boxes between the stored image and the displayed photo, MWG's centre-based areas and
ClipDesk's top-left boxes, and the check that a region's box lies on the photo. Why each
frame is what it is: :mod:`clipdesk.sidecars.xmp.regions`."""

from __future__ import annotations

import math
from collections.abc import Callable

Box = tuple[float, float, float, float]  # x, y, w, h: top-left and size, 0-1

#: An area reaching this far past the photo's edge is a mistake, not rounding: refused.
EDGE = 0.01

# EXIF orientation -> where a point (u, v) of the stored image is shown, both 0-1 (the same
# turns as clipdesk.imaging's transposes, on points).
_SHOWN: dict[int, Callable[[float, float], tuple[float, float]]] = {
    1: lambda u, v: (u, v),
    2: lambda u, v: (1 - u, v),
    3: lambda u, v: (1 - u, 1 - v),
    4: lambda u, v: (u, 1 - v),
    5: lambda u, v: (v, u),
    6: lambda u, v: (1 - v, u),
    7: lambda u, v: (1 - v, 1 - u),
    8: lambda u, v: (v, 1 - u),
}
_UNDONE_BY = {6: 8, 8: 6}  # every other orientation undoes itself


def _turn(box: Box, orientation: int) -> Box:
    x, y, w, h = box
    f = _SHOWN.get(orientation, _SHOWN[1])
    (x1, y1), (x2, y2) = f(x, y), f(x + w, y + h)
    return (min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))


def shown_box(box: Box, orientation: int) -> Box:
    """A box on the stored image, on the photo as displayed with this EXIF orientation."""
    return _turn(box, orientation)


def stored_box(box: Box, orientation: int) -> Box:
    """A box on the photo as displayed, on the stored image (undoing the orientation)."""
    return _turn(box, _UNDONE_BY.get(orientation, orientation))


def swaps_axes(orientation: int) -> bool:
    """A quarter turn (orientations 5-8): width and height trade places."""
    return orientation in (5, 6, 7, 8)


def stored_size(orientation: int, width: int | None, height: int | None):
    """The stored image's (width, height) for the displayed size, None when unknown."""
    if not width or not height:
        return None
    return (height, width) if swaps_axes(orientation) else (width, height)


def in_shown_frame(dims: tuple[float, float] | None, orientation: int, width, height) -> bool:
    """Whether regions applied to an image of ``dims`` are relative to the photo as displayed
    (else to the stored image, as MWG says). Only a quarter turn of a photo that is not square
    can tell: the dimensions then have the displayed proportions and not the stored ones."""
    if orientation == 1:
        return True  # the same frame
    if not swaps_axes(orientation) or dims is None or not width or not height:
        return False
    if width == height or not dims[0] or not dims[1]:
        return False
    ratio = dims[0] / dims[1]
    return math.isclose(ratio, width / height, rel_tol=0.02) and not math.isclose(
        ratio, height / width, rel_tol=0.02
    )


def centre_area(box: Box) -> Box:
    """A top-left box as an MWG area: (centre x, centre y, w, h)."""
    x, y, w, h = box
    return (x + w / 2, y + h / 2, w, h)


def corner_box(area: Box) -> Box:
    """An MWG area (centre x, centre y, w, h) as a top-left box."""
    cx, cy, w, h = area
    return (cx - w / 2, cy - h / 2, w, h)


def checked(box: Box) -> Box:
    """The box clipped to the photo; ValueError (the reason) for one that is no box on it."""
    x, y, w, h = box
    if not all(math.isfinite(v) for v in box):
        raise ValueError("its area is not four numbers")
    if w <= 0 or h <= 0:
        raise ValueError("its area has no size")
    if x < -EDGE or y < -EDGE or x + w > 1 + EDGE or y + h > 1 + EDGE:
        raise ValueError("its area lies outside the photo (not 0-1 of it)")
    if x >= 0 and y >= 0 and x + w <= 1 and y + h <= 1:
        return box
    x0, y0 = max(0.0, x), max(0.0, y)
    return (x0, y0, min(1.0, x + w) - x0, min(1.0, y + h) - y0)
