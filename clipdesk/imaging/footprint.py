"""How much memory a decode needs, from the header alone, before any pixel is read.

Each estimate is the peak of the decode's phases: loading (the image in Pillow's storage
and the decoder's own buffers), converting to RGB (the loaded image, ``to_rgb``'s copies
and its result), then shrinking (the RGB image, its reduced copy and that copy turned
upright; the loaded image is closed by then). Pillow stores RGB, RGBA, CMYK, LAB, I and F
in 4 bytes a pixel, I;16 in 2, and 1, L and P in 1. The figures were checked against the
peak RSS of decodes (benchmarks/decode_memory.py). Pages of the file that a decoder maps
(libtiff maps a compressed TIFF) are not counted: the kernel drops them when short.
"""

from __future__ import annotations

from PIL import Image

from clipdesk.imaging.modes import keyed_transparency, to_rgb_bytes

# Decoder buffers beside the loaded image, in bytes a pixel of the decoded size. Pillow's
# WebP reader keeps libwebp's two RGBA canvases and a copy of the frame as bytes; AVIF's
# keeps the YUV planes and the frame; OpenJPEG holds each band as int32 (per band, below).
_DECODER_BYTES = {"WEBP": 12, "AVIF": 6}


def pixel_bytes(mode: str) -> int:
    """Bytes a pixel in Pillow's storage for ``mode``."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def finish_bytes(width: int, height: int, min_side: int) -> int:
    """The RGB image, its copy reduced for ``min_side`` (reduce_for_min_side) and that copy
    turned upright; without a reduction, one full copy (turned, or detached from the file)."""
    factor = min(width, height) // min_side
    if factor >= 2:
        reduced = -(-width // factor) * -(-height // factor)
        return 4 * (width * height + 2 * reduced)
    return 4 * 2 * width * height


def pillow_bytes(img: Image.Image, min_side: int, stored: tuple[int, int]) -> int:
    """Peak bytes decode_pillow needs for ``img``: opened, drafted where it is a JPEG, not
    loaded. ``stored`` is the size before the draft, which a progressive JPEG's coefficients
    are kept at."""
    width, height = img.size
    pixels = width * height
    loaded = pixels * pixel_bytes(img.mode)
    load = loaded + _decoder_bytes(img, stored)
    convert = loaded + pixels * to_rgb_bytes(img.mode, keyed_transparency(img))
    return max(load, convert, finish_bytes(width, height, min_side))


def _decoder_bytes(img: Image.Image, stored: tuple[int, int]) -> int:
    width, height = img.size
    pixels = width * height
    if img.format in ("JPEG", "MPO"):
        if not (img.info.get("progressive") or img.info.get("progression")):
            return 0  # baseline: libjpeg decodes a few rows of blocks at a time
        # A progressive JPEG's DCT coefficients, 2 bytes each, for the whole stored image
        # (DCT scaling shrinks only the output), per band at its sampling.
        layers = getattr(img, "layer", None) or [("", 1, 1, 0)] * 3
        h_max = max(h for _, h, _, _ in layers)
        v_max = max(v for _, _, v, _ in layers)
        share = sum(h * v for _, h, v, _ in layers) / (h_max * v_max)
        return int(2 * share * stored[0] * stored[1])
    if img.format == "JPEG2000":
        return 4 * (len(img.getbands()) + 1) * pixels
    if img.tile and img.tile[0][0] == "bmp_rle":
        return 2 * pixels  # Pillow's RLE decoder builds the image in Python bytes first
    return _DECODER_BYTES.get(img.format or "", 0) * pixels


def heif_bytes(mode: str, width: int, height: int, min_side: int) -> int:
    """Peak bytes decode_heif needs for a HEIF image (primary or thumbnail) of pillow-heif's
    ``mode`` ("RGB", "RGBA", "L"): libheif's decoded planes (up to 2 bytes a pixel) and its
    interleaved copy (kept by pillow-heif), Pillow's image, and ``to_rgb``."""
    pixels = width * height
    base = mode.split(";")[0]
    interleaved = len(base) * (2 if mode.endswith(";16") else 1) * pixels
    working = pixels * (4 + max(2, to_rgb_bytes(base)))
    return interleaved + max(working, finish_bytes(width, height, min_side))


def bitmap_bytes(width: int, height: int, bands: int, itemsize: int, min_side: int) -> int:
    """Peak bytes for a RAW's bitmap preview (already extracted, ``itemsize`` bytes a
    sample): the array, its top bytes, 8-bit samples, Pillow's image and ``to_rgb``."""
    pixels = width * height
    convert = bands * itemsize * 2 + bands + 4 + (4 if bands == 4 else 0)
    return max(pixels * convert, bands * itemsize * pixels + finish_bytes(width, height, min_side))
