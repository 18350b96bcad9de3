"""Export open_clip's image and text encoders to ONNX once, and cache them.

The cache folder is keyed by the model name and its weights' hash, so a changed
weights file gets a new export and an unchanged one is never exported twice.
Each graph ends with the L2 normalisation, so every backend returns the same
kind of vector.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn.functional as F

OPSET = 17
META_FILE = "clipdesk.json"


class _ImageEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixels):
        return F.normalize(self.model.encode_image(pixels), dim=-1)


class _TextEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens):
        return F.normalize(self.model.encode_text(tokens), dim=-1)


@contextmanager
def _mha_fastpath_off():
    """Under no_grad torch routes multi-head attention through a fused kernel
    (aten::_native_multi_head_attention) that no ONNX opset can express; real CLIP models
    (8-16 heads) hit it, so the fast path is off while tracing."""
    mha = getattr(torch.backends, "mha", None)
    if mha is None:
        yield
        return
    was = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(was)


def cache_folder(root: Path, model_name: str, weights_key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name)[-80:]
    return root / f"{safe}-{weights_key[:16]}"


def export(model, image_size: int, context_length: int, preprocess_cfg: dict, dest: Path) -> Path:
    """Write image.onnx, text.onnx and the metadata into ``dest`` atomically."""
    model = model.float().eval()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        pixels = torch.randn(2, 3, image_size, image_size)
        tokens = torch.zeros(2, context_length, dtype=torch.long)
        tokens[:, 0], tokens[:, 1] = 49406, 49407  # start and end of text
        # The TorchScript exporter is deprecated in favour of torch.export, but it handles
        # every open_clip architecture in seconds; export happens once per model.
        with torch.no_grad(), warnings.catch_warnings(), _mha_fastpath_off():
            warnings.simplefilter("ignore")  # tracer notes about open_clip code, not for users
            dim = int(model.encode_image(pixels[:1]).shape[-1])
            torch.onnx.export(
                _ImageEncoder(model),
                (pixels,),
                str(work / "image.onnx"),
                input_names=["pixels"],
                output_names=["embedding"],
                dynamic_axes={"pixels": {0: "batch"}, "embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
            torch.onnx.export(
                _TextEncoder(model),
                (tokens,),
                str(work / "text.onnx"),
                input_names=["tokens"],
                output_names=["embedding"],
                dynamic_axes={"tokens": {0: "batch"}, "embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
        scale = getattr(model, "logit_scale", None)
        meta = {
            "dim": dim,
            "image_size": image_size,
            "context_length": context_length,
            "preprocess_cfg": preprocess_cfg,
            "opset": OPSET,
            "logit_scale": float(scale.detach().exp()) if scale is not None else 100.0,
        }
        (work / META_FILE).write_text(json.dumps(meta, indent=2))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(work, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def quantise(dest: Path) -> None:
    """Add dynamically int8-quantised copies of both graphs (weights int8, activations fp32)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    for part in ("image", "text"):
        out = dest / f"{part}.int8.onnx"
        if out.is_file():
            continue
        tmp = dest / f".{part}.int8.tmp.onnx"
        quantize_dynamic(str(dest / f"{part}.onnx"), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, out)


def read_meta(dest: Path) -> dict | None:
    try:
        meta = json.loads((dest / META_FILE).read_text())
    except (OSError, ValueError):
        return None
    if all((dest / f).is_file() for f in ("image.onnx", "text.onnx")):
        return meta
    return None
