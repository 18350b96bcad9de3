"""One interface over every backend: torch on CUDA (fp16), MPS or CPU, and ONNX Runtime.

``load_embedder`` picks the backend (CUDA -> MPS -> ONNX Runtime CPU unless one is
forced), loads the model through open_clip, and for ONNX exports the encoders
once into the cache. Every backend returns L2-normalised float32 vectors.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from clipdesk.embedding.registry import (
    ModelSpec,
    ModelUnavailable,
    download_hint,
    parse_model,
    sha256_file,
)

log = logging.getLogger(__name__)

BACKENDS = ("auto", "cuda", "mps", "cpu", "onnx")


def choose_backend(preference: str, cuda_available: bool, mps_available: bool) -> str:
    """The backend to use: a forced one if it can run here, else CUDA -> MPS -> ONNX CPU."""
    if preference not in BACKENDS:
        raise ModelUnavailable(
            f"unknown backend {preference!r}; choose one of {', '.join(BACKENDS)}"
        )
    if preference == "cuda" and not cuda_available:
        raise ModelUnavailable("the CUDA backend was asked for, but torch sees no CUDA GPU here")
    if preference == "mps" and not mps_available:
        raise ModelUnavailable("the MPS backend was asked for, but this is not an Apple GPU")
    if preference != "auto":
        return preference
    if cuda_available:
        return "cuda"
    if mps_available:
        return "mps"
    return "onnx"


def accelerators() -> tuple[bool, bool]:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return torch.cuda.is_available(), bool(mps and mps.is_available())


@dataclass
class Embedder:
    """A loaded model on one backend. ``preprocess`` is the model's own open_clip transform."""

    name: str
    backend: str  # e.g. "onnx-cpu", "onnx-cpu-int8", "cuda-fp16", "mps", "torch-cpu"
    dim: int
    image_size: int
    _preprocess: Callable
    _tokenize: Callable
    _encode_images: Callable[[np.ndarray], np.ndarray]
    _encode_tokens: Callable[[np.ndarray], np.ndarray]
    info: dict = field(default_factory=dict)
    logit_scale: float = 100.0  # the model's learned temperature, for calibrated scores

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """An RGB PIL image -> the model's input as a float32 CHW array."""
        return self._preprocess(image).numpy()

    def encode_images(self, pixels: np.ndarray) -> np.ndarray:
        """A float32 NCHW batch -> (N, dim) L2-normalised float32 vectors."""
        return _normalise(self._encode_images(np.ascontiguousarray(pixels, dtype=np.float32)))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        tokens = self._tokenize(list(texts)).numpy().astype(np.int64)
        return _normalise(self._encode_tokens(tokens))


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _weights_file(spec: ModelSpec, cache_dir: Path) -> Path | None:
    """The local weights file, downloading a pretrained tag's weights if needed."""
    import open_clip

    if spec.open_clip_name.startswith("local-dir:"):
        from open_clip.factory import _find_checkpoint_in_dir

        found = _find_checkpoint_in_dir(Path(spec.open_clip_name.split(":", 1)[1]))
        return Path(found) if found else None
    if spec.pretrained and os.path.isfile(spec.pretrained):
        return Path(spec.pretrained)
    if spec.pretrained:
        cfg = open_clip.get_pretrained_cfg(spec.open_clip_name, spec.pretrained)
        try:
            return Path(open_clip.download_pretrained(cfg, cache_dir=str(cache_dir)))
        except Exception as exc:  # huggingface_hub raises many types when offline
            raise _offline(spec, cache_dir, exc) from None
    return None


def _offline(spec: ModelSpec, cache_dir: Path, exc: BaseException) -> ModelUnavailable:
    return ModelUnavailable(
        f"the weights for {spec.name} are not in {cache_dir} and could not be downloaded "
        f"({type(exc).__name__}). Connect to the internet once, or download them from "
        f"{download_hint(spec)} and run with --model {spec.open_clip_name}:/path/to/that/file"
    )


def _check_hash(spec: ModelSpec, weights: Path | None, cache_dir: Path) -> str:
    if weights is None:
        return "noweights"
    digest = sha256_file(weights, cache_dir)
    if spec.expected_sha256 and digest != spec.expected_sha256:
        raise ModelUnavailable(
            f"{weights} does not match its expected SHA-256 ({spec.expected_sha256[:16]}...); "
            "the file is damaged or incomplete: restore or re-download it"
        )
    return digest


def _load_torch_model(spec: ModelSpec, cache_dir: Path):
    import open_clip

    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            spec.open_clip_name,
            pretrained=spec.pretrained,
            cache_dir=str(cache_dir),
            weights_only=True,
        )
    except (RuntimeError, OSError, ValueError) as exc:
        if spec.is_local:
            raise ModelUnavailable(f"cannot load {spec.name}: {exc}") from None
        raise _offline(spec, cache_dir, exc) from None
    return model.eval(), preprocess


def _tokenizer(spec: ModelSpec, cache_dir: Path):
    import open_clip

    try:
        return open_clip.get_tokenizer(spec.open_clip_name, cache_dir=str(cache_dir))
    except Exception as exc:  # an HF tokenizer that cannot be fetched offline
        raise ModelUnavailable(f"cannot load the tokenizer for {spec.name}: {exc}") from None


def load_embedder(
    model: str | ModelSpec,
    backend: str = "auto",
    int8: bool = False,
    weights_dir: Path | None = None,
    onnx_dir: Path | None = None,
    threads: int | None = None,
) -> Embedder:
    """Load ``model`` on the chosen backend. Raises ModelUnavailable with a user-facing reason."""
    spec = model if isinstance(model, ModelSpec) else parse_model(model)
    from clipdesk.paths import app_paths

    paths = app_paths()
    weights_dir = weights_dir or paths.model_weights
    onnx_dir = onnx_dir or paths.onnx_models
    chosen = choose_backend(backend, *accelerators())
    weights = _weights_file(spec, weights_dir)
    digest = _check_hash(spec, weights, weights_dir)
    if chosen == "onnx":
        return _load_onnx(spec, digest, weights_dir, onnx_dir, int8, threads)
    return _load_torch(spec, chosen, weights_dir)


def _load_torch(spec: ModelSpec, device: str, cache_dir: Path) -> Embedder:
    # GPU-ONLY PATHS: "cuda" (fp16) and "mps" have not run on the project's machines, which
    # have no GPU; tests cover the selection logic (choose_backend) and the same code on
    # device "cpu" (torch-cpu, held to ONNX by the parity test).
    import torch

    model, preprocess = _load_torch_model(spec, cache_dir)
    tokenizer = _tokenizer(spec, cache_dir)
    dtype = torch.float16 if device == "cuda" else torch.float32
    dev = torch.device(device)
    model = model.to(dev, dtype)

    def encode_images(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model.encode_image(torch.from_numpy(x).to(dev, dtype))
            return out.float().cpu().numpy()

    def encode_tokens(t: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model.encode_text(torch.from_numpy(t).to(dev)).float().cpu().numpy()

    size = model.visual.preprocess_cfg["size"]
    size = size if isinstance(size, int) else size[0]
    dim = int(encode_tokens(tokenizer(["a"]).numpy()).shape[-1])
    label = {"cuda": "cuda-fp16", "mps": "mps", "cpu": "torch-cpu"}[device]
    log.info("loaded %s on %s", spec.name, label)
    scale = float(model.logit_scale.detach().exp()) if hasattr(model, "logit_scale") else 100.0
    return Embedder(
        spec.name,
        label,
        dim,
        size,
        preprocess,
        tokenizer,
        encode_images,
        encode_tokens,
        logit_scale=scale,
    )


def _load_onnx(
    spec: ModelSpec, digest: str, weights_dir: Path, onnx_dir: Path, int8: bool, threads: int | None
) -> Embedder:
    from open_clip.transform import PreprocessCfg, image_transform_v2

    from clipdesk.embedding import onnx_export

    folder = onnx_export.cache_folder(onnx_dir, spec.name, digest)
    try:
        meta, image, text = _onnx_sessions(spec, folder, weights_dir, int8, threads)
    except Exception as exc:  # a damaged or half-written export: clear it and export again
        log.warning("the cached ONNX export in %s is unusable (%s); exporting again", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        meta, image, text = _onnx_sessions(spec, folder, weights_dir, int8, threads)
    preprocess = image_transform_v2(PreprocessCfg(**meta["preprocess_cfg"]), is_train=False)
    tokenizer = _tokenizer(spec, weights_dir)
    label = "onnx-cpu-int8" if int8 else "onnx-cpu"
    log.info("loaded %s on %s from %s", spec.name, label, folder)
    return Embedder(
        spec.name,
        label,
        int(meta["dim"]),
        int(meta["image_size"]),
        preprocess,
        tokenizer,
        lambda x: image.run(None, {"pixels": x})[0],
        lambda t: text.run(None, {"tokens": t})[0],
        {"onnx_folder": str(folder)},
        logit_scale=float(meta.get("logit_scale", 100.0)),
    )


def _onnx_sessions(spec: ModelSpec, folder: Path, weights_dir: Path, int8: bool, threads):
    import onnxruntime as ort

    from clipdesk.embedding import onnx_export

    meta = onnx_export.read_meta(folder)
    if meta is None:
        log.info("exporting %s to ONNX in %s (once)", spec.name, folder)
        model, _ = _load_torch_model(spec, weights_dir)
        cfg = dict(model.visual.preprocess_cfg)
        size = cfg["size"] if isinstance(cfg["size"], int) else cfg["size"][0]
        context = int(getattr(model, "context_length", 77))
        onnx_export.export(model, size, context, cfg, folder)
        meta = onnx_export.read_meta(folder)
        del model
    if int8:
        onnx_export.quantise(folder)
    suffix = ".int8.onnx" if int8 else ".onnx"
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
    providers = ["CPUExecutionProvider"]
    image = ort.InferenceSession(str(folder / f"image{suffix}"), opts, providers=providers)
    text = ort.InferenceSession(str(folder / f"text{suffix}"), opts, providers=providers)
    return meta, image, text
