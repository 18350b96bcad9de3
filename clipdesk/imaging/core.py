"""Shared pieces of the imaging package: the error type, the result type and size helpers."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_PIXELS: int = 250_000_000
"""Decompression-bomb cap: images whose header claims more pixels are refused unread."""

MAX_DECODE_BYTES: int = 640 * 2**20
"""The most memory one decode may need (footprint.py estimates it from the header); a photo
needing more is refused unread. 640 MB keeps a 150 MP 8-bit RGB PNG or TIFF (4 bytes a
pixel: 600 MB), a 100 MP progressive 4:4:4 JPEG and any baseline JPEG decodable, and the
worst decode that passes well under 1 GB; it refuses a 50 MP WebP (16 bytes a pixel) and
a 250 MP 16-bit RGBA PNG (8 bytes a pixel, 2 GB). ``decode`` reads it when called."""


class ImageError(Exception):
    """A file that cannot be decoded; ``str(err)`` is a one-line human-readable reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(one_line(reason))


@dataclass
class DecodedImage:
    """A decoded photo at reduced size, upright, in RGB."""

    image: Image.Image
    """Mode "RGB", EXIF orientation applied, short side >= min_side when the source allows."""
    width: int
    """Full-resolution width as displayed (after orientation)."""
    height: int
    """Full-resolution height as displayed (after orientation)."""
    orientation: int = 1
    """EXIF orientation tag 1..8 (1 if none)."""
    taken_at: str | None = None
    """EXIF DateTimeOriginal (or DateTime) as ISO 8601 'YYYY-MM-DDTHH:MM:SS'."""


def one_line(text: str, limit: int = 200) -> str:
    """Collapse whitespace so a reason fits one log line or table cell."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(n: int, unit: str) -> str:
    """'400 megapixels' for photo-sized counts, exact pixels for small (test) limits."""
    if n >= 10_000_000:
        return f"{n // 1_000_000} mega{unit}"
    if n >= 100_000:
        return f"{n / 1_000_000:.1f} mega{unit}"
    return f"{n:,} {unit}"


def too_large_reason(pixels: int, max_pixels: int) -> str:
    return (
        f"image too large: {_count(pixels, 'pixels')} exceeds the "
        f"{_count(max_pixels, 'pixel')} limit"
    )


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Refuse an image by its header size before any pixel is decoded."""
    if width <= 0 or height <= 0:
        raise ImageError(f"invalid image size {width}x{height}")
    if width * height > max_pixels:
        raise ImageError(too_large_reason(width * height, max_pixels))


def _size(n: int) -> str:
    """'2,048 MB' for photo-sized amounts, '1.5 MB' or exact bytes for small (test) limits."""
    if n >= 10 * 2**20:
        return f"{n // 2**20:,} MB"
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB"
    return f"{n:,} bytes"


def check_bytes(need: int, max_bytes: int, what: str) -> None:
    """Refuse an image whose decode would need more than ``max_bytes`` of memory, before any
    pixel is decoded; ``what`` names it ("15800x15800 RGBA")."""
    if need > max_bytes:
        raise ImageError(
            f"image too large: decoding {what} needs about {_size(need)} of memory, "
            f"over the {_size(max_bytes)} limit"
        )


def reduce_for_min_side(img: Image.Image, min_side: int) -> Image.Image:
    """Shrink by an integer box filter, keeping the short side >= min_side (never upscales).

    The result's short side is below 2 * min_side, which is "not much larger than needed".
    """
    factor = min(img.size) // min_side
    return img.reduce(factor) if factor >= 2 else img


def reason_for(exc: BaseException, max_pixels: int = MAX_PIXELS) -> str:
    """Map an exception raised while decoding to a one-line reason a photographer understands."""
    if isinstance(exc, ImageError):
        return str(exc)
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        # Pillow's message: "Image size (N pixels) exceeds limit of M pixels, ..."; report
        # our limit, which is the one the user can change.
        match = re.search(r"\((\d+) pixels\)", str(exc))
        if match:
            return too_large_reason(int(match.group(1)), max_pixels)
        return "image too large (possible decompression bomb)"
    if isinstance(exc, MemoryError):
        return "not enough memory to decode the image"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image (unrecognised format)"
    if isinstance(exc, OSError) and exc.errno is not None:
        # A real I/O failure (disk error, file vanished mid-read), not a decoder complaint.
        return f"cannot read file: {exc.strerror or exc}"
    message = str(exc)
    if isinstance(exc, OSError) and ("not available" in message or "not supported" in message):
        return f"unsupported image encoding: {message}"
    if isinstance(exc, OSError | SyntaxError | ValueError | EOFError | IndexError | struct.error):
        # Pillow reports truncation and broken streams as OSError/SyntaxError/ValueError.
        return "truncated or corrupt image data"
    return f"cannot decode image ({type(exc).__name__}: {message})"
