"""The one entry point for reading a photo: ``decode``.

Thread-safe: every call uses its own file object and images and changes no global state,
so the embed stage can run it in a ThreadPoolExecutor. The only thing calls share is the
process's decode budget (budget.py): a decode waits there until the memory it needs fits
beside the decodes already running.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import BinaryIO

from clipdesk.imaging import core
from clipdesk.imaging.core import MAX_PIXELS, DecodedImage, ImageError, reason_for
from clipdesk.imaging.heif import decode_heif, is_heif
from clipdesk.imaging.raster import decode_pillow
from clipdesk.imaging.raw import decode_raw

# fmt: off
RAW_EXTENSIONS: frozenset[str] = frozenset({
    ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".raf", ".orf", ".rw2",
    ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".rwl",
})
# fmt: on
HEIF_EXTENSIONS: frozenset[str] = frozenset({".heic", ".heif", ".avif"})
SUPPORTED_EXTENSIONS: frozenset[str] = (
    frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"})
    | HEIF_EXTENSIONS
    | RAW_EXTENSIONS
)

# Enough bytes to see an ISO-BMFF ftyp box with its compatible brands.
_SNIFF_BYTES = 64


def decode(
    path: str | os.PathLike[str],
    min_side: int = 256,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int | None = None,
) -> DecodedImage:
    """Decode at reduced size: the result's short side is >= min_side when the source is that
    large (never upscaled), and under 2 * min_side unless the format cannot shrink further.

    The format is found from the content, not the extension (a PNG named .jpg decodes), except
    that RAW extensions go to LibRaw first. Raises ImageError, with a one-line reason, for
    every file that cannot be decoded, and never any other exception for a bad file.

    A file whose header claims more than ``max_pixels``, or whose decode would need more
    than ``max_bytes`` of memory (None: core.MAX_DECODE_BYTES, read now), is refused unread.
    """
    if min_side < 1:
        raise ValueError(f"min_side must be >= 1, not {min_side}")
    limit = core.MAX_DECODE_BYTES if max_bytes is None else max_bytes
    return _as_image_error(
        lambda: _decode(os.fsdecode(path), min_side, max_pixels, limit), max_pixels
    )


def _as_image_error(run: Callable[[], DecodedImage], max_pixels: int) -> DecodedImage:
    """Run a decode step; any exception other than ImageError becomes one, with a reason."""
    try:
        return run()
    except ImageError:
        raise
    except Exception as exc:  # the contract: a bad file never escapes as anything else
        raise ImageError(reason_for(exc, max_pixels)) from exc


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}") from exc


def _decode(path: str, min_side: int, max_pixels: int, max_bytes: int) -> DecodedImage:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise ImageError("is a directory, not an image file")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or device would block or stream forever.
        raise ImageError("not a regular file")
    if st.st_size == 0:
        raise ImageError("empty file (0 bytes)")
    with _open(path) as f:
        head = f.read(_SNIFF_BYTES)

        def by_content() -> DecodedImage:
            f.seek(0)
            if is_heif(head):
                return decode_heif(f, min_side, max_pixels, max_bytes)
            return decode_pillow(f, min_side, max_pixels, max_bytes)

        if os.path.splitext(path)[1].lower() not in RAW_EXTENSIONS:
            return by_content()
        # A JPEG or HEIC renamed to .cr2 still decodes; a TIFF-based file LibRaw rejects is
        # reported as an unsupported RAW rather than shown as its tiny TIFF thumbnail.
        if head[:4] in (b"II*\0", b"MM\0*"):
            return decode_raw(path, min_side, max_pixels, max_bytes)
        return decode_raw(
            path,
            min_side,
            max_pixels,
            max_bytes,
            fallback=lambda: _as_image_error(by_content, max_pixels),
        )


def read_jpeg(
    path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS
) -> tuple[bytes, DecodedImage] | None:
    """A JPEG file's bytes and what its header says (full size as displayed, orientation,
    capture time; ``image`` is None), for decoding on a GPU; None for any other format.
    Raises ImageError for a file that cannot be read or whose header is refused."""

    def read() -> tuple[bytes, DecodedImage] | None:
        from clipdesk.imaging.raster import read_header

        p = os.fsdecode(path)
        if os.path.splitext(p)[1].lower() in RAW_EXTENSIONS:
            return None
        with _open(p) as f:
            data = f.read()
        if not data.startswith(b"\xff\xd8\xff"):
            return None
        return data, read_header(data, max_pixels)

    try:
        return read()
    except ImageError:
        raise
    except Exception as exc:
        raise ImageError(reason_for(exc, max_pixels)) from exc
