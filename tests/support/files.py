"""Files a test makes or checks: small photos (at any path, bytes included), RAW+JPEG pairs,
digests."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from PIL import Image

NOT_UTF8 = b"bad\xff\xfe.jpg"  # a file name that is not valid UTF-8


def photo_file(path, colour=(200, 10, 10), size=(64, 48)):
    """A small one-colour JPEG at ``path`` (str, bytes or Path), its folders made."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new("RGB", size, colour).save(os.fsdecode(path), format="JPEG")
    return path


def raw_jpeg_pair(shapes: Path) -> tuple[Path, Path]:
    """The first photo of ``shapes`` and a RAW of the same name (the second photo as .cr2)."""
    jpeg = sorted(shapes.glob("*.jpg"))[0]
    raw = jpeg.with_suffix(".cr2")
    shutil.copy(sorted(shapes.glob("*.jpg"))[1], raw)  # a JPEG named .cr2 decodes by content
    return jpeg, raw


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
