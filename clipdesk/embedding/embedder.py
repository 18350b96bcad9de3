"""``Embedder``: a loaded model on one backend, as the rest of the app uses it (preprocess
an image, encode images or texts to L2-normalised float32 vectors, recent queries kept)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

QUERY_CACHE_SIZE = 256  # recent single-text queries kept as vectors


@dataclass
class Embedder:
    """A loaded model on one backend. ``preprocess`` is the model's own open_clip transform
    (on ONNX Runtime its numpy/PIL equal, ``preprocess.ImageTransform``)."""

    name: str
    backend: str  # e.g. "onnx-cpu", "onnx-cpu-int8", "cuda-fp16", "mps", "torch-cpu"
    dim: int
    image_size: int
    _preprocess: Callable[[Image.Image], np.ndarray]
    _tokenize: Callable[[list[str]], np.ndarray]
    _encode_images: Callable[[np.ndarray], np.ndarray]
    _encode_tokens: Callable[[np.ndarray], np.ndarray]
    info: dict = field(default_factory=dict)
    logit_scale: float = 100.0  # the model's learned temperature, for calibrated scores
    device_images: object | None = None  # a gpu.DeviceImages where JPEGs decode on the device
    _encode_device: Callable | None = None  # a device batch (torch) -> vectors
    # How many image batches to encode at once, each on one core (lanes.py): ONNX Runtime
    # on the CPU opened for lanes; 1 where one call uses every core (or a GPU) itself.
    image_lanes: int = 1
    _recent: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)
    _recent_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """An RGB PIL image -> the model's input as a float32 CHW array."""
        return np.asarray(self._preprocess(image), dtype=np.float32)

    def preprocess_scaled(self, image: Image.Image) -> tuple[np.ndarray, Image.Image | None]:
        """``preprocess``, and the whole picture as the transform scaled it on the way where
        the transform says (``ImageTransform.with_scaled``; open_clip's does not: None)."""
        with_scaled = getattr(self._preprocess, "with_scaled", None)
        if with_scaled is None:
            return self.preprocess(image), None
        pixels, scaled = with_scaled(image)
        return np.asarray(pixels, dtype=np.float32), scaled

    def encode_images(self, pixels: np.ndarray) -> np.ndarray:
        """A float32 NCHW batch -> (N, dim) L2-normalised float32 vectors."""
        return _normalise(self._encode_images(np.ascontiguousarray(pixels, dtype=np.float32)))

    def encode_device_batch(self, batch) -> np.ndarray:
        """A batch already on the device (``device_images.batch``) -> normalised vectors."""
        return _normalise(self._encode_device(batch))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (N, dim) L2-normalised float32 vectors. A single text (a search query)
        is remembered: the last QUERY_CACHE_SIZE queries cost no model call."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        single = texts[0] if len(texts) == 1 else None
        if single is not None:
            with self._recent_lock:
                hit = self._recent.get(single)
                if hit is not None:
                    self._recent.move_to_end(single)
                    return hit[None].copy()
        tokens = np.asarray(self._tokenize(texts), dtype=np.int64)
        vectors = _normalise(self._encode_tokens(tokens))
        if single is not None:
            with self._recent_lock:
                self._recent[single] = vectors[0].copy()
                while len(self._recent) > QUERY_CACHE_SIZE:
                    self._recent.popitem(last=False)
        return vectors


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
