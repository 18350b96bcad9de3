"""Offline face detection and recognition: YuNet (opencv_zoo) finds faces with five
landmarks, dlib's face ResNet gives each a 128-d identity vector (both on ONNX Runtime's CPU
path, shipped in models/faces/). Pure: images in, faces and vectors out; no catalog, no Qt."""

from clipdesk.faces.engine import (
    DIM,
    ENGINE_NAME,
    MIN_FACE_PX,
    SAME_PERSON,
    SCORE_THRESHOLD,
    FaceEngine,
    FoundFace,
    similarity,
)

__all__ = [
    "DIM",
    "ENGINE_NAME",
    "MIN_FACE_PX",
    "SAME_PERSON",
    "SCORE_THRESHOLD",
    "FaceEngine",
    "FoundFace",
    "similarity",
]
