"""CLIP embedding: model registry, backends (torch CUDA/MPS/CPU, ONNX Runtime CPU), export.

Every backend returns L2-normalised float32 vectors. No Qt here.
"""

from clipdesk.embedding.backends import accelerators, choose_backend, load_embedder
from clipdesk.embedding.embedder import Embedder
from clipdesk.embedding.registry import ModelSpec, ModelUnavailable, parse_model

__all__ = [
    "Embedder",
    "ModelSpec",
    "ModelUnavailable",
    "accelerators",
    "choose_backend",
    "load_embedder",
    "parse_model",
]
