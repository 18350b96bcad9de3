"""Make the int8 face embedders from their float graphs: models/faces/
dlib_face_recognition_resnet_model_v1_int8_clipdesk.onnx, the one the face engine runs
(clipdesk/faces/dlib_resnet.py), and face_recognition_sface_2021dec_int8_clipdesk.onnx, the
one it ran before (clipdesk/faces/sface.py; benchmarks/faces.py compares them).

Calibration: the aligned faces of the two test portraits (tests/data/faces/: NASA's
astronaut, public domain; Grace Hopper, public domain), ten edited copies of each
(clipdesk/testing/face_edits.py), for dlib's ResNet each also mirrored. The result depends
only on those and on the ONNX Runtime version, which it prints; record each file's size and
SHA-256 in models/faces/SOURCES.md.

    .venv/bin/python packaging/quantise_faces.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image

from clipdesk.faces import FaceEngine, dlib_resnet, sface
from clipdesk.faces.model_files import DLIB_QUANTISED_FILE, QUANTISED_FILE
from clipdesk.testing.face_edits import edited_crops

REPO = Path(__file__).resolve().parent.parent
PORTRAITS = ("astronaut.png", "grace_hopper.jpg")


def calibration(engine: FaceEngine, chip) -> np.ndarray:
    crops = []
    for name in PORTRAITS:
        with Image.open(REPO / "tests" / "data" / "faces" / name) as im:
            crops.append(edited_crops(engine, im.convert("RGB"), chip))
    return np.concatenate(crops)


def main() -> None:
    engine = FaceEngine(threads=1)
    chips = calibration(engine, dlib_resnet.CHIP)
    chips = np.concatenate([chips, chips[:, :, ::-1]])  # and mirrored
    made = [
        (DLIB_QUANTISED_FILE, dlib_resnet.quantised_model(chips), len(chips)),
        (QUANTISED_FILE, sface.quantised_model(calibration(engine, sface.CHIP)), 20),
    ]
    for name, data, faces in made:
        out = REPO / "models" / "faces" / name
        out.write_bytes(data)
        print(
            f"{out.relative_to(REPO)}: {len(data):,} bytes, sha256 "
            f"{hashlib.sha256(data).hexdigest()} (onnxruntime {onnxruntime.__version__}, "
            f"{faces} calibration faces)"
        )


if __name__ == "__main__":
    main()
