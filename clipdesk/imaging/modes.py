"""Convert any Pillow mode to 8-bit RGB the way a viewer would show it.

Pillow's own ``convert("RGB")`` is wrong for several modes that real files produce: 16-bit
greys clip at 255 (everything above 1/256 of full scale turns white), float images turn
black, LAB comes out as noise, and alpha is dropped revealing whatever colour the hidden
pixels hold (often black). Those cases are handled here.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image, ImageCms

from clipdesk.imaging.core import ImageError

WHITE = (255, 255, 255)

_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Modes whose tRNS-style transparency (info["transparency"]) Pillow can turn into alpha.
_KEYED_MODES = frozenset({"1", "L", "RGB", "P"})

_lab_lock = threading.Lock()
_lab_transform: ImageCms.ImageCmsTransform | None = None


def to_rgb(img: Image.Image) -> Image.Image:
    """Return ``img`` as mode "RGB"; transparent areas become white."""
    mode = img.mode
    if keyed_transparency(img):
        return _over_white(img.convert("RGBA"))
    if mode == "RGB":
        return img
    if mode in _ALPHA_MODES:
        # RGBa/La (premultiplied) and PA are unpremultiplied/expanded by convert first.
        return _over_white(img if mode == "RGBA" else img.convert("RGBA"))
    if mode.startswith("I;16"):
        # 16-bit unsigned (either byte order): keep the top 8 bits, 32768 -> 128.
        return _grey(np.asarray(img).astype(np.uint16) >> 8)
    if mode == "I":
        return _grey(_scale_int(np.asarray(img)))
    if mode == "F":
        return _grey(_scale_float(np.asarray(img)))
    if mode == "LAB":
        return _lab_to_srgb(img)
    try:
        # 1, L, P, CMYK (Adobe-inverted JPEGs are un-inverted by the JPEG plugin), YCbCr, HSV...
        return img.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageError(f"unsupported colour mode {mode}") from exc


def keyed_transparency(img: Image.Image) -> bool:
    """True when ``img`` has no alpha band but some colour or palette entry is transparent."""
    if img.mode in _KEYED_MODES and "transparency" in img.info:
        return True
    return img.mode == "P" and img.palette is not None and img.palette.mode == "RGBA"


def to_rgb_bytes(mode: str, keyed: bool = False) -> int:
    """Bytes a pixel that ``to_rgb`` allocates at its peak, its result included, for an image
    of ``mode`` (``keyed``: with keyed_transparency); beside ``to_rgb`` so the two change
    together. Pillow stores RGB, RGBA, I and F in 4 bytes a pixel, I;16 in 2, L and P in 1."""
    if keyed:
        return 8  # the RGBA copy and the result
    if mode == "RGB":
        return 0
    if mode in _ALPHA_MODES:
        return 4 if mode == "RGBA" else 8
    if mode.startswith("I;16"):
        return 7  # numpy's copy (2), the shifted copy (2), 8 bits (1) and the result (4)
    if mode == "I":
        return 28  # a range stretch in float64: the copy, the float copy and two temporaries
    if mode == "F":
        return 36  # as I, plus the finite values and the copy without NaNs
    return 4  # Pillow's own convert (1, L, P, CMYK, YCbCr, LAB...): the result only


def _over_white(rgba: Image.Image) -> Image.Image:
    """Composite over white: what a viewer or a web page shows behind a transparent photo."""
    out = Image.new("RGB", rgba.size, WHITE)
    out.paste(rgba, mask=rgba)  # an RGBA mask is its alpha band, without copying it out
    return out


def _grey(values: np.ndarray) -> Image.Image:
    """Wrap 0..255 grey levels (any numeric dtype) as an RGB image."""
    return Image.fromarray(np.ascontiguousarray(values, dtype=np.uint8)).convert("RGB")


def _scale_int(arr: np.ndarray) -> np.ndarray:
    """32-bit integer samples to 0..255, judging the bit depth from the values present.

    Mode "I" holds 8-bit data widened by Pillow, 16-bit data (some PNG/TIFF readers), or
    true 32-bit/signed data (scientific TIFFs), which only a range stretch can show.
    """
    lo, hi = int(arr.min()), int(arr.max())
    if lo >= 0 and hi <= 255:
        return arr
    if lo >= 0 and hi <= 65535:
        return arr >> 8
    return _stretch(arr.astype(np.float64), lo, hi)


def _scale_float(arr: np.ndarray) -> np.ndarray:
    """Float samples to 0..255: 0..1 is the usual normalised range, else stretch min..max."""
    arr = arr.astype(np.float64)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return np.zeros(arr.shape, np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    arr = np.nan_to_num(arr, nan=lo, posinf=hi, neginf=lo)
    if lo >= 0 and hi <= 1.0:
        return np.rint(arr * 255.0)
    if lo >= 0 and hi <= 255.0:
        return np.rint(arr)
    return _stretch(arr, lo, hi)


def _stretch(arr: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    return np.rint((arr - lo) * (255.0 / (hi - lo)))


def _lab_to_srgb(img: Image.Image) -> Image.Image:
    """CIELAB -> sRGB through LittleCMS. The transform is built once; the lock also
    serialises its use, which costs nothing for a mode this rare and needs no reasoning
    about LittleCMS's per-transform cache."""
    global _lab_transform
    with _lab_lock:
        if _lab_transform is None:
            _lab_transform = ImageCms.buildTransform(
                ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB"
            )
        return ImageCms.applyTransform(img, _lab_transform)
