"""Decode the formats Pillow reads natively (JPEG, PNG, WebP, TIFF, BMP, GIF, AVIF...)."""

from __future__ import annotations

from typing import BinaryIO

from PIL import Image, ImageFile

from clipdesk.imaging import budget
from clipdesk.imaging.core import DecodedImage, check_bytes, check_pixels, reduce_for_min_side
from clipdesk.imaging.footprint import pillow_bytes
from clipdesk.imaging.metadata import (
    apply_orientation,
    display_size,
    exif_orientation,
    exif_taken_at,
    read_exif,
    valid_orientation,
)
from clipdesk.imaging.modes import to_rgb


def _configure_pillow() -> list[str]:
    """One-time Pillow set-up at import, never per call (decode runs in a thread pool).

    * Register every plugin now, so worker threads never race through Pillow's lazy init.
    * Pillow's own bomb limit (~89 MP warns, ~179 MP fails) is below ours: stitched
      panoramas and 100+ MP medium-format files are legitimate photos. Raise it to our cap
      so that ``max_pixels`` decides; we check the header size ourselves before decoding.
      It is only ever raised, and not at all if someone disabled it (None).
    """
    from clipdesk.imaging.core import MAX_PIXELS

    Image.init()
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    # Only formats with a real signature that photos come in. Notably no EPS: loading it
    # runs Ghostscript on the file, which we must never do to a photo folder.
    wanted = ("JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP", "GIF", "AVIF", "JPEG2000", "PPM")
    return [name for name in wanted if name in Image.OPEN]


PIL_FORMATS = _configure_pillow()
_JPEG_FORMATS = ("JPEG", "MPO")

USE_EMBEDDED_PREVIEW = True
"""Decode a JPEG's MPF Large Thumbnail instead of the main image when it is large enough
(benchmarks/jpeg_preview.py switches it off to compare)."""
_LARGE_THUMBNAILS = ("Large Thumbnail (VGA Equivalent)", "Large Thumbnail (Full HD Equivalent)")
_ASPECT_TOLERANCE = 0.01  # a letterboxed (16:9 of a 3:2 photo) preview is not the photo


def _seek_preview(img: Image.Image, min_side: int) -> bool:
    """Switch ``img`` (an MPO, as Pillow opens a camera JPEG with MPF previews) to its
    Large Thumbnail when that has the main image's aspect ratio and a short side of at
    least ``min_side``; the camera's own downscale of the photo, read as a RAW preview
    is. False (``img`` left on the main image) otherwise, or when the preview is broken."""
    if not USE_EMBEDDED_PREVIEW or img.format != "MPO" or getattr(img, "n_frames", 1) < 2:
        return False
    full_w, full_h = img.size
    entries = (getattr(img, "mpinfo", None) or {}).get(0xB002) or []
    for frame, entry in enumerate(entries[1:], start=1):
        if entry.get("Attribute", {}).get("MPType") not in _LARGE_THUMBNAILS:
            continue
        try:
            img.seek(frame)
            w, h = img.size
            aspect_ok = abs(w * full_h - h * full_w) <= _ASPECT_TOLERANCE * w * full_h
            if min(w, h) >= min_side and w < full_w and aspect_ok:
                return True
        except Exception:  # a broken preview: the main image is still there
            pass
        img.seek(0)
    return False


def decode_pillow(
    fp: BinaryIO,
    min_side: int,
    max_pixels: int,
    max_bytes: int,
    orientation: int | None = None,
) -> DecodedImage:
    """Decode an open file with Pillow at reduced size.

    ``orientation`` overrides the file's EXIF orientation (a RAW's embedded preview is
    oriented by the RAW's own tag). Refused unread when the header's size is over
    ``max_pixels`` or the decode would need more than ``max_bytes``; the decode holds its
    bytes of the process's decode budget. Pillow errors propagate; ``decode`` turns them
    into ImageError.
    """
    img = Image.open(fp, formats=PIL_FORMATS)
    full_w, full_h = img.size  # header size, read before draft() shrinks img.size
    check_pixels(full_w, full_h, max_pixels)
    exif = None
    stored = img.size
    if img.format in _JPEG_FORMATS:
        exif = read_exif(img)  # the main image's (read at open): a preview has its own
        _seek_preview(img, min_side)
        stored = img.size
        # DCT scaling (1/2, 1/4, 1/8) inside libjpeg: decodes a 24 MP file ~10x faster.
        # Pillow picks the largest scale that keeps both sides >= the requested size.
        img.draft("RGB", (min_side, min_side))
    need = pillow_bytes(img, min_side, stored)
    check_bytes(need, max_bytes, f"{full_w}x{full_h} {img.mode}")
    with budget.reserve(need):
        try:
            # load() is where truncation is detected (LOAD_TRUNCATED_IMAGES is left False).
            img.load()
            if exif is None:
                exif = read_exif(img)
            if orientation is None:
                orientation = exif_orientation(exif)
            orientation = valid_orientation(orientation)
            out = to_rgb(img)
            if out is not img:
                img.close()  # the loaded pixels are not needed beside the reduced copy
            out = reduce_for_min_side(out, min_side)
            out = apply_orientation(out, orientation)
            if isinstance(out, ImageFile.ImageFile):
                # Detach from the file object, which the caller is about to close.
                out = out.copy()
        finally:
            img.close()  # freed while the bytes are still reserved
    width, height = display_size(full_w, full_h, orientation)
    return DecodedImage(out, width, height, orientation, exif_taken_at(exif))


def read_header(data: bytes, max_pixels: int) -> DecodedImage:
    """A JPEG's size as displayed, orientation and capture time, from its header only."""
    import io

    img = Image.open(io.BytesIO(data), formats=_JPEG_FORMATS)
    check_pixels(*img.size, max_pixels)
    exif = read_exif(img)
    orientation = valid_orientation(exif_orientation(exif))
    width, height = display_size(*img.size, orientation)
    return DecodedImage(None, width, height, orientation, exif_taken_at(exif))
