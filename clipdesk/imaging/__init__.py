"""Fast photo decoding, orientation, colour-mode handling and thumbnails. No Qt, no torch.

``decode`` reads any supported photo at reduced size (JPEG DCT scaling, the HEIC thumbnail,
the RAW embedded preview), upright and in RGB, and raises ImageError with a one-line reason
for anything it cannot read, including a photo whose decode would need more memory than
MAX_DECODE_BYTES. The decodes running at once share a budget of memory (budget.py).
"""

from clipdesk.imaging.core import MAX_DECODE_BYTES, MAX_PIXELS, DecodedImage, ImageError
from clipdesk.imaging.decode import (
    HEIF_EXTENSIONS,
    RAW_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    decode,
    read_jpeg,
)
from clipdesk.imaging.modes import to_rgb
from clipdesk.imaging.thumbnails import ThumbnailCache, make_thumbnail

__all__ = [
    "HEIF_EXTENSIONS",
    "MAX_DECODE_BYTES",
    "MAX_PIXELS",
    "RAW_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "DecodedImage",
    "ImageError",
    "ThumbnailCache",
    "decode",
    "make_thumbnail",
    "read_jpeg",
    "to_rgb",
]
