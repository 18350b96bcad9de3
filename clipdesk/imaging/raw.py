"""Camera RAW files: decode the embedded preview via rawpy/LibRaw, never a full demosaic.

A RAW's preview is typically a full-size or 1-2 MP JPEG the camera rendered itself; it
decodes in milliseconds, where demosaicing the sensor data would take a second or more.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import rawpy
from PIL import Image

from clipdesk.imaging import budget
from clipdesk.imaging.core import (
    DecodedImage,
    ImageError,
    check_bytes,
    check_pixels,
    reduce_for_min_side,
)
from clipdesk.imaging.footprint import bitmap_bytes
from clipdesk.imaging.metadata import (
    apply_orientation,
    display_size,
    exif_from_bytes,
    exif_taken_at,
)
from clipdesk.imaging.modes import to_rgb
from clipdesk.imaging.raster import decode_pillow

# LibRaw's "flip" code -> EXIF orientation. LibRaw maps the TIFF tag with "50132467"[tag & 7].
_FLIP_TO_EXIF = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}

# Enough of a TIFF-based RAW to reach its Exif IFD and capture date (for the fallback).
_EXIF_HEAD_BYTES = 512 * 1024
_NO_PREVIEW = "RAW file has no embedded preview"


def decode_raw(
    path: str,
    min_side: int,
    max_pixels: int,
    max_bytes: int,
    fallback: Callable[[], DecodedImage] | None = None,
) -> DecodedImage:
    """Decode the embedded preview of the RAW file at ``path``; the preview is refused when
    over ``max_pixels`` or ``max_bytes``, and holds its bytes of the decode budget.

    ``fallback`` is tried when LibRaw does not recognise the file at all: a JPEG saved with a
    RAW extension should still show up. It must raise only ImageError.
    """
    try:
        with _open_raw(path) as raw:
            sizes = raw.sizes
            thumb = raw.extract_thumb()
            if thumb.format == rawpy.ThumbFormat.JPEG:
                preview: bytes | np.ndarray = bytes(thumb.data)
            else:
                # The array views LibRaw's buffer, which closing the file frees: copy it.
                preview = np.array(thumb.data, copy=True)
    except rawpy.LibRawFileUnsupportedError as exc:
        if fallback is not None:
            try:
                return fallback()
            except ImageError:
                pass  # not a photo in another format either: report the RAW failure
        raise ImageError("unsupported or corrupt RAW file") from exc
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError) as exc:
        raise ImageError(_NO_PREVIEW) from exc
    except NotImplementedError as exc:  # rawpy: a thumbnail type it cannot return
        raise ImageError(_NO_PREVIEW) from exc
    except rawpy.LibRawIOError as exc:
        raise ImageError("truncated or unreadable RAW file") from exc
    except rawpy.LibRawTooBigError as exc:
        raise ImageError("RAW file too large") from exc
    except (rawpy.LibRawUnsufficientMemoryError, rawpy.LibRawMemPoolOverflowError) as exc:
        raise ImageError("not enough memory to read the RAW file") from exc
    except rawpy.LibRawDataError as exc:
        raise ImageError("corrupt RAW file data") from exc
    except rawpy.LibRawError as exc:
        raise ImageError(f"cannot read RAW file: {_libraw_message(exc)}") from exc

    # The RAW's orientation tag rules; a preview's own EXIF orientation is only trusted when
    # the RAW has none, so the two are never applied on top of each other.
    raw_orientation = _FLIP_TO_EXIF.get(sizes.flip, 1)
    if isinstance(preview, bytes):
        result = decode_pillow(
            io.BytesIO(preview),
            min_side,
            max_pixels,
            max_bytes,
            orientation=raw_orientation if raw_orientation != 1 else None,
        )
        orientation, taken_at = result.orientation, result.taken_at
        img = result.image
        preview_w, preview_h = display_size(result.width, result.height, orientation)
    else:
        orientation, taken_at = raw_orientation, None
        img, preview_w, preview_h = _bitmap_to_image(
            preview, min_side, max_pixels, max_bytes, orientation
        )

    # Report the sensor's size (what the photo "is"), falling back to the preview's.
    if sizes.width > 0 and sizes.height > 0:
        stored = (sizes.width, sizes.height)
    else:
        stored = (preview_w, preview_h)
    width, height = display_size(*stored, orientation)
    if taken_at is None:
        taken_at = _tiff_taken_at(path)
    return DecodedImage(img, width, height, orientation, taken_at)


def _libraw_message(exc: Exception) -> str:
    """rawpy errors carry LibRaw's message as bytes."""
    message = exc.args[0] if exc.args else type(exc).__name__
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message)


def _open_raw(path: str) -> rawpy.RawPy:
    """Open with LibRaw by path, so that only the header and the preview are read."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        # rawpy passes str paths to LibRaw as UTF-8; a Linux file name holding other bytes
        # (os.fsdecode's surrogates) can only be handed over as an in-memory buffer.
        with open(path, "rb") as f:
            return rawpy.imread(f)
    return rawpy.imread(path)


def _bitmap_to_image(
    arr: np.ndarray, min_side: int, max_pixels: int, max_bytes: int, orientation: int
) -> tuple[Image.Image, int, int]:
    """An (h, w[, c]) bitmap preview as a reduced, upright RGB image, and its stored size."""
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageError(_NO_PREVIEW)
    height, width = arr.shape[:2]
    check_pixels(width, height, max_pixels)
    bands = arr.shape[2] if arr.ndim == 3 else 1
    need = bitmap_bytes(width, height, bands, arr.itemsize, min_side)
    check_bytes(need, max_bytes, f"{width}x{height} RAW preview")
    with budget.reserve(need):
        if arr.dtype == np.uint16:
            arr = arr >> 8  # 16-bit previews: keep the top byte, as for 16-bit greys
        img = to_rgb(Image.fromarray(np.ascontiguousarray(arr, dtype=np.uint8)))
        img = apply_orientation(reduce_for_min_side(img, min_side), orientation)
    return img, width, height


def _tiff_taken_at(path: str) -> str | None:
    """Capture time from a TIFF-based RAW (CR2, NEF, ARW, DNG, PEF...) when the preview had
    none. Best effort: any failure just means "unknown"."""
    try:
        with open(path, "rb") as f:
            head = f.read(_EXIF_HEAD_BYTES)
    except OSError:
        return None
    if head[:4] not in (b"II*\0", b"MM\0*"):
        return None
    return exif_taken_at(exif_from_bytes(head))
