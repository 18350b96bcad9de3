"""Ten edited copies of a portrait that are still the same person (issue 27): the crops the
int8 SFace is calibrated on (packaging/quantise_faces.py) and the benchmark's test faces
(benchmarks/faces.py). tests/unit/test_face_engine.py names six of them one by one."""

from __future__ import annotations

import io

from PIL import Image, ImageEnhance, ImageOps


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    """``image`` saved as a JPEG at ``quality`` and read back."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as im:
        return im.convert("RGB")


EDITS = (
    lambda im: im,
    lambda im: im.crop((im.width // 7, im.height // 30, im.width * 6 // 7, im.height * 3 // 4)),
    lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    lambda im: im.resize((im.width // 3, im.height // 3), Image.Resampling.LANCZOS),
    ImageOps.mirror,
    lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    lambda im: ImageEnhance.Brightness(im).enhance(0.7),
    lambda im: jpeg(im, 40),
    lambda im: im.rotate(8, resample=Image.Resampling.BILINEAR),
    lambda im: im.rotate(-8, resample=Image.Resampling.BILINEAR),
)
"""As is, cropped, half and a third the size, mirrored, 30% brighter and darker, JPEG
quality 40, turned 8 degrees either way."""


def edited_crops(engine, image: Image.Image, chip):
    """The aligned crops (n, size, size, 3 uint8) of the largest face of each of ``image``'s
    EDITS, as ``engine`` (a FaceEngine) finds it, aligned to ``chip`` (an align.Chip)."""
    import numpy as np

    crops = []
    for edit in EDITS:
        edited = edit(image)
        boxes, _, points = engine._detect(edited)
        largest = int(np.argmax(boxes[:, 2] - boxes[:, 0]))
        crops.append(chip.crop(edited, chip.landmark_transform(points[largest])))
    return np.stack(crops)
