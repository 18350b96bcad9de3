"""The face models shipped with ClipDesk (models/faces/, installed as clipdesk.models) and the
ONNX Runtime sessions over them. Where each file comes from, its hash and its licence:
models/faces/SOURCES.md."""

from __future__ import annotations

from importlib import resources

import numpy as np

DETECTOR_FILE = "face_detection_yunet_2023mar.onnx"
EMBEDDER_FILE = "face_recognition_sface_2021dec.onnx"
QUANTISED_FILE = "face_recognition_sface_2021dec_int8_clipdesk.onnx"
"""SFace in int8, made from EMBEDDER_FILE by packaging/quantise_faces.py: what the engine ran
until 2026-12-07 (benchmarks/faces.py compares with it); in the repository, not the wheel."""
DLIB_FILE = "dlib_face_recognition_resnet_model_v1.onnx"
"""dlib's face ResNet converted to ONNX (packaging/dlib_face/): in the repository only."""
DLIB_QUANTISED_FILE = "dlib_face_recognition_resnet_model_v1_int8_clipdesk.onnx"
"""DLIB_FILE in int8, made by packaging/quantise_faces.py: what the engine runs."""
DLIB_MEAN_FILE = "dlib_face_mean_clipdesk.npy"
"""The mean descriptor dlib_resnet takes away (packaging/dlib_face/mean_face.py)."""


def model_bytes(name: str) -> bytes:
    """The bytes of one of the shipped model files, found as package data (a checkout, an
    editable install, a wheel and the PyInstaller bundle alike)."""
    return (resources.files("clipdesk.models") / "faces" / name).read_bytes()


def cpu_session(model: bytes, threads: int):
    """A CPU session over a serialised graph: ``threads`` intra-op threads that sleep, not
    spin, between runs (the face stage runs beside the decode and the image encoder)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3  # the graphs' harmless warnings are not the user's concern
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def run_each(session, crops: np.ndarray) -> np.ndarray:
    """An embedder's raw float32 outputs (n, dim) for aligned crops (n, size, size, 3) uint8
    RGB, one face a run: batches of 6 or 16 faces cost the same CPU a face
    (benchmarks/faces.py), so gathering a photo's faces into one run gains nothing."""
    name = session.get_inputs()[0].name
    x = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)
    out = [session.run(None, {name: x[i : i + 1]})[0] for i in range(len(x))]
    return np.concatenate(out).astype(np.float32)


def unit(vectors: np.ndarray) -> np.ndarray:
    """Each row L2-normalised."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
