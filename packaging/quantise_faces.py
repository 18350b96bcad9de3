"""Make models/faces/face_recognition_sface_2021dec_int8_clipdesk.onnx, the int8 SFace the
face engine runs (clipdesk/faces/sface.py), from the shipped float file.

Calibration: the aligned faces of the two test portraits (tests/data/faces/: NASA's
astronaut, public domain; Grace Hopper, public domain), ten edited copies of each
(clipdesk/testing/face_edits.py). The result depends only on those and on the ONNX Runtime
version, which it prints; record the file's size and SHA-256 in models/faces/SOURCES.md.

    .venv/bin/python packaging/quantise_faces.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image

from clipdesk.faces import FaceEngine, sface
from clipdesk.faces.model_files import QUANTISED_FILE
from clipdesk.testing.face_edits import edited_crops

REPO = Path(__file__).resolve().parent.parent
PORTRAITS = ("astronaut.png", "grace_hopper.jpg")


def main() -> None:
    engine = FaceEngine(threads=1)
    crops = []
    for name in PORTRAITS:
        with Image.open(REPO / "tests" / "data" / "faces" / name) as im:
            crops.append(edited_crops(engine, im.convert("RGB"), sface.CHIP))
    data = sface.quantised_model(np.concatenate(crops))
    out = REPO / "models" / "faces" / QUANTISED_FILE
    out.write_bytes(data)
    print(
        f"{out.relative_to(REPO)}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}"
        f" (onnxruntime {onnxruntime.__version__}, {sum(len(c) for c in crops)} calibration faces)"
    )


if __name__ == "__main__":
    main()
