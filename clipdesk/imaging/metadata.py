"""EXIF orientation and capture time."""

from __future__ import annotations

import re
import struct
from datetime import datetime

from PIL import Image

ORIENTATION = 0x0112
DATETIME = 0x0132
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003

# EXIF orientation -> the transpose that makes the stored pixels upright.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# What Pillow's EXIF parser raises on corrupt data (bad offsets, counts, types, encodings).
_EXIF_ERRORS = (
    OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError,
    OverflowError, struct.error,
)  # fmt: skip
_DATE_RE = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def valid_orientation(value: object) -> int:
    """The orientation as an int 1..8; anything else (missing, 0, garbage) counts as 1."""
    try:
        value = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


def swaps_axes(orientation: int) -> bool:
    """Orientations 5..8 turn the image a quarter, so width and height trade places."""
    return orientation in (5, 6, 7, 8)


def display_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if swaps_axes(orientation) else (width, height)


def apply_orientation(img: Image.Image, orientation: int) -> Image.Image:
    """Return ``img`` turned upright for the given EXIF orientation."""
    method = _TRANSPOSE.get(orientation)
    return img.transpose(method) if method is not None else img


def read_exif(img: Image.Image) -> Image.Exif:
    """The image's EXIF, or an empty one when it is absent or too broken to parse.

    A corrupt EXIF block must not cost the user the photo itself.
    """
    try:
        return img.getexif()
    except _EXIF_ERRORS:
        return Image.Exif()


def exif_from_bytes(data: bytes | None) -> Image.Exif:
    """Parse raw EXIF/TIFF bytes (with or without the 'Exif\\0\\0' prefix), tolerating junk."""
    exif = Image.Exif()
    if data:
        try:
            exif.load(data)
        except _EXIF_ERRORS:
            return Image.Exif()
    return exif


def parse_exif_datetime(value: object) -> str | None:
    """'2021:07:14 09:30:05' -> '2021-07-14T09:30:05'; None for placeholders and junk."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    match = _DATE_RE.match(value.strip(" \0"))
    if not match:
        return None
    try:
        # Cameras with an unset clock write "0000:00:00 00:00:00": datetime rejects it.
        return datetime(*map(int, match.groups())).isoformat(timespec="seconds")
    except ValueError:
        return None


def exif_orientation(exif: Image.Exif) -> int:
    return valid_orientation(exif.get(ORIENTATION, 1))


def exif_taken_at(exif: Image.Exif) -> str | None:
    """DateTimeOriginal from the Exif IFD, else IFD0's DateTime (last modified in camera)."""
    try:
        original = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
        modified = exif.get(DATETIME)
    except _EXIF_ERRORS:  # a broken Exif IFD pointer
        return None
    return parse_exif_datetime(original) or parse_exif_datetime(modified)
