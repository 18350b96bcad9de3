"""Decode the formats Pillow reads natively (JPEG, PNG, WebP, TIFF, BMP, GIF, AVIF...)."""

from __future__ import annotations

from typing import BinaryIO

from PIL import Image, ImageFile

from clipdesk.imaging.core import DecodedImage, check_pixels, reduce_for_min_side
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


def decode_pillow(
    fp: BinaryIO,
    min_side: int,
    max_pixels: int,
    orientation: int | None = None,
) -> DecodedImage:
    """Decode an open file with Pillow at reduced size.

    ``orientation`` overrides the file's EXIF orientation (a RAW's embedded preview is
    oriented by the RAW's own tag). Pillow errors propagate; ``decode`` turns them into
    ImageError.
    """
    img = Image.open(fp, formats=PIL_FORMATS)
    full_w, full_h = img.size  # header size, read before draft() shrinks img.size
    check_pixels(full_w, full_h, max_pixels)
    if img.format in _JPEG_FORMATS:
        # DCT scaling (1/2, 1/4, 1/8) inside libjpeg: decodes a 24 MP file ~10x faster.
        # Pillow picks the largest scale that keeps both sides >= the requested size.
        img.draft("RGB", (min_side, min_side))
    # load() is where truncation is detected (LOAD_TRUNCATED_IMAGES is left False).
    img.load()
    exif = read_exif(img)
    if orientation is None:
        orientation = exif_orientation(exif)
    orientation = valid_orientation(orientation)
    out = to_rgb(img)
    out = reduce_for_min_side(out, min_side)
    out = apply_orientation(out, orientation)
    if isinstance(out, ImageFile.ImageFile):
        # Detach from the file object, which the caller is about to close.
        out = out.copy()
    width, height = display_size(full_w, full_h, orientation)
    return DecodedImage(out, width, height, orientation, exif_taken_at(exif))
