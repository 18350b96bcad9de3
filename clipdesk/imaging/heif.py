"""HEIC/HEIF via pillow-heif, preferring the embedded thumbnail when it is large enough.

pillow-heif is used standalone (``open_heif``), not registered as a Pillow opener, so that
importing ClipDesk changes no global Pillow state. AVIF goes through Pillow's own AVIF
plugin instead: pillow-heif 1.x ships no AV1 decoder.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import pillow_heif
from PIL import Image

from clipdesk.imaging import budget
from clipdesk.imaging.core import (
    DecodedImage,
    ImageError,
    check_bytes,
    check_pixels,
    reduce_for_min_side,
)
from clipdesk.imaging.footprint import heif_bytes
from clipdesk.imaging.metadata import exif_from_bytes, exif_orientation, exif_taken_at
from clipdesk.imaging.modes import to_rgb

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_ERRORS = (ValueError, EOFError, SyntaxError, RuntimeError, OSError)


def ftyp_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO-BMFF 'ftyp' box at the start of ``head``."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return set()
    size = struct.unpack(">I", head[:4])[0]
    end = min(max(size, 12), len(head))
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def is_heif(head: bytes) -> bool:
    """True for HEIF/HEIC content that pillow-heif should decode (AVIF is left to Pillow)."""
    brands = ftyp_brands(head)
    return bool(brands & _HEIF_BRANDS) and not brands & _AVIF_BRANDS


def decode_heif(fp: BinaryIO, min_side: int, max_pixels: int, max_bytes: int) -> DecodedImage:
    """Decode the primary image of a HEIF file, or its thumbnail when that is big enough.

    libheif applies the file's rotation/mirror/crop boxes while decoding, so the result is
    already upright and its size is the displayed size; the EXIF orientation is only
    reported, never applied again (the HEIF spec says it must be ignored for display).
    The primary image is refused unread when over ``max_pixels`` or ``max_bytes``; each
    image decoded holds its bytes of the process's decode budget.
    """
    with _as_image_error():
        heif = pillow_heif.open_heif(fp, convert_hdr_to_8bit=True)
        primary = heif[heif.primary_index]
        width, height = primary.size
        check_pixels(width, height, max_pixels)
        thumbnails = _thumbnails(primary, min_side)
    img = None
    for thumb in thumbnails:
        img = _decode_reduced(thumb, heif_bytes(thumb.mode, *thumb.size, min_side), min_side)
        if img is not None:
            break
    if img is None:
        need = heif_bytes(primary.mode, width, height, min_side)
        check_bytes(need, max_bytes, f"{width}x{height} {primary.mode}")
        img = _decode_reduced(primary, need, min_side, required=True)
    assert img is not None
    exif = exif_from_bytes(primary.info.get("exif"))
    return DecodedImage(img, width, height, exif_orientation(exif), exif_taken_at(exif))


def _decode_reduced(
    source: pillow_heif.HeifImage, need: int, min_side: int, required: bool = False
) -> Image.Image | None:
    """Decode ``source`` holding ``need`` bytes of the decode budget, reduced and in RGB;
    None for a broken image unless ``required`` (then ImageError)."""
    with budget.reserve(need):
        try:
            with _as_image_error():
                img = source.to_pillow()
        except ImageError:
            if required:
                raise
            return None  # a broken thumbnail: try the next, then the primary image
        return reduce_for_min_side(to_rgb(img), min_side)


@contextmanager
def _as_image_error() -> Iterator[None]:
    """libheif's errors as ImageError with a one-line reason."""
    try:
        yield
    except ImageError:
        raise
    except _HEIF_ERRORS as exc:
        detail = " ".join(str(exc).split())
        if "nsupported" in detail:
            raise ImageError(f"unsupported HEIF image: {detail}") from exc
        raise ImageError(f"truncated or corrupt image data ({detail})") from exc


def _thumbnails(primary: pillow_heif.HeifImage, min_side: int) -> list[pillow_heif.HeifImage]:
    """Embedded thumbnails whose short side is >= min_side, smallest first, not decoded.

    Only thumbnails that are a scaled copy of the primary image qualify: same mode and the
    same aspect ratio (a thumbnail without the primary's rotation or crop fails that test).
    """
    width, height = primary.size
    candidates = []
    for index in range(len(primary.info.get("thumbnails", []))):
        try:
            thumb = primary.get_thumbnail(index)
        except (*_HEIF_ERRORS, IndexError):
            continue
        t_width, t_height = thumb.size
        if thumb.mode != primary.mode or min(t_width, t_height) < min_side:
            continue
        if t_width >= width and t_height >= height:
            continue  # no smaller than the image itself: nothing gained
        if abs(t_width * height - t_height * width) > 2 * max(width, height):
            continue  # aspect ratio differs beyond rounding
        candidates.append(thumb)
    return sorted(candidates, key=lambda t: t.size[0] * t.size[1])
