"""Make models/faces/dlib_face_mean_clipdesk.npy: the mean of dlib's face descriptors over many
people, which clipdesk/faces/dlib_resnet.py subtracts before it normalises a vector.

dlib's descriptors share a large common part (any two of 75 faces of many people have a cosine
of 0.72 or more), and dlib compares them by Euclidean distance. ClipDesk compares faces by
cosine (its clusters are means of unit vectors); taking the population's mean away first leaves
the part that tells people apart: on dlib's examples/johns (5 people, 11 photos each; not in
this mean), the same person's lowest cosine 0.65-0.68 and two people's highest 0.48-0.50, d'
6.7, against 4.98 for cosines of the raw descriptors (docs/faces.md).

The faces: every face the engine finds (YuNet, SCORE_THRESHOLD) in the photos given, each
embedded by the float graph, as the engine crops it. Used here (not shipped, their
licences are not stated): the photos of examples/faces in dlib's GitHub repository
(davisking/dlib, not its PyPI sdist: PASCAL VOC group photos and others) but dogs.jpg, and
face_recognition 1.3.0's tests/test_images (its sdist on PyPI):

    .venv/bin/python packaging/dlib_face/mean_face.py DIR [DIR ...]
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from clipdesk.faces import FaceEngine, dlib_resnet
from clipdesk.faces.model_files import DLIB_MEAN_FILE

REPO = Path(__file__).resolve().parents[2]
SKIP = {"dogs.jpg"}


def main(folders: list[str]) -> None:
    engine = FaceEngine(threads=1)
    session = dlib_resnet.float_session(1)
    name = session.get_inputs()[0].name
    chip = dlib_resnet.CHIP
    raw = []
    for folder in folders:
        for path in sorted(Path(folder).iterdir()):
            if path.suffix.lower() not in {".jpg", ".jpeg", ".png"} or path.name in SKIP:
                continue
            with Image.open(path) as im:
                image = im.convert("RGB")
            boxes, scores, points = engine._detect(image)
            for p in points[scores >= 0.9]:
                crop = chip.crop(image, chip.landmark_transform(p))
                x = np.ascontiguousarray(crop[None].transpose(0, 3, 1, 2), np.float32)
                raw.append(session.run(None, {name: x})[0][0])
    mean = np.mean(raw, axis=0).astype(np.float32)
    out = REPO / "models" / "faces" / DLIB_MEAN_FILE
    np.save(out, mean)
    data = out.read_bytes()
    print(
        f"{out.relative_to(REPO)}: the mean of {len(raw)} faces, sha256 "
        f"{hashlib.sha256(data).hexdigest()}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
