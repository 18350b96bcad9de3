"""Export open_clip's image and text encoders to ONNX once, and cache them.

The cache folder is keyed by the model name and its weights' hash, so a changed
weights file gets a new export and an unchanged one is never exported twice.
Each graph ends with the L2 normalisation, so every backend returns the same
kind of vector.

Beside the graphs, ``clipdesk.json`` holds everything the runtime needs (image size,
preprocessing config, context length, tokenizer kind, logit scale, embedding dim,
weights hash), so that loading a cached export needs neither torch nor open_clip.
This module imports torch only inside :func:`export`.

Each graph keeps its weights in a file beside it (``text.onnx.data``): ONNX Runtime maps
that file instead of copying the weights out of one large protobuf, which opens
ViT-B-32's text graph about three times as fast (~0.3 s): that session is most of a cold
search (benchmarks/README.md, "Cold, 1M"). A one-file export still loads as it is.

The text graph takes a variable number of token positions where the model allows it
(open_clip's CLIP text tower: causal mask, EOT pooled by argmax): the runtime feeds
only up to the last end-of-text token in the batch instead of all 77 positions.
Positions after the EOT never influence it under a causal mask, so the result is
the same vector (tests/test_embedding.py holds it to a cosine of 0.9999).
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

OPSET = 17
META_FILE = "clipdesk.json"
# 2: the runtime metadata (tokenizer, weights hash) and the variable-length text graph.
FORMAT = 2
RUNTIME_KEYS = (
    "format",
    "dim",
    "image_size",
    "context_length",
    "preprocess_cfg",
    "logit_scale",
    "tokenizer",
    "text_dynamic_length",
    "weights_sha256",
)
SOT_ID, EOT_ID = 49406, 49407  # CLIP BPE start and end of text


def _encoders(model, dynamic_length: bool):
    import torch
    import torch.nn.functional as F

    class ImageEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, pixels):
            return F.normalize(self.model.encode_image(pixels), dim=-1)

    class TextEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, tokens):
            if not dynamic_length:
                return F.normalize(self.model.encode_text(tokens), dim=-1)
            # open_clip's CLIP.encode_text with the positional embedding and the causal
            # mask cut to the sequence actually given (both are sized to context_length),
            # and attention written out: traced through nn.MultiheadAttention, the
            # sequence length would be baked into the graph's reshapes.
            m = self.model
            n = tokens.shape[1]
            cast = m.transformer.get_cast_dtype()
            x = m.token_embedding(tokens).to(cast) + m.positional_embedding[:n].to(cast)
            mask = m.attn_mask[:n, :n].to(x.dtype)
            for block in m.transformer.resblocks:
                x = x + block.ls_1(_attention(block.attn, block.ln_1(x), mask))
                x = x + block.ls_2(block.mlp(block.ln_2(x)))
            x = m.ln_final(x)
            x = x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)]
            if isinstance(m.text_projection, torch.nn.Linear):
                x = m.text_projection(x)
            elif m.text_projection is not None:
                x = x @ m.text_projection
            return F.normalize(x, dim=-1)

    def _attention(attn, x, mask):
        """nn.MultiheadAttention(x, x, x, attn_mask=mask) for batch-first x, any length."""
        heads = attn.num_heads
        head_dim = attn.embed_dim // heads
        q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (t.unflatten(-1, (heads, head_dim)).transpose(1, 2) for t in (q, k, v))
        scores = (q * head_dim**-0.5) @ k.transpose(-2, -1) + mask
        out = (scores.softmax(dim=-1) @ v).transpose(1, 2).flatten(-2)
        return attn.out_proj(out)

    # In eval mode: torch.onnx.export puts a module back in the mode it found it in, and a
    # new wrapper is in training mode, which would switch the model's dropout on after the
    # first export (HF text towers have dropout; open_clip's CLIP tower has none).
    return ImageEncoder().eval(), TextEncoder().eval()


def supports_dynamic_length(model) -> bool:
    """Whether the text tower is open_clip's CLIP one (causal mask, EOT pooled by argmax,
    plain multi-head attention blocks), where cutting the sequence is exact."""
    import torch

    transformer = getattr(model, "transformer", None)
    blocks = list(getattr(transformer, "resblocks", []))
    return (
        getattr(model, "text_pool_type", None) == "argmax"
        and getattr(model, "attn_mask", None) is not None
        and hasattr(model, "token_embedding")
        and hasattr(model, "positional_embedding")
        and bool(blocks)
        and all(
            type(b).__name__ == "ResidualAttentionBlock"
            and isinstance(b.attn, torch.nn.MultiheadAttention)
            and b.attn._qkv_same_embed_dim
            and b.attn.in_proj_bias is not None
            and not hasattr(b, "ln_1_kv")
            for b in blocks
        )
    )


def _probe_tokens(context_length: int):
    """Three token rows with their EOT at different positions, for checking an export."""
    import numpy as np

    rng = np.random.default_rng(0)
    tokens = np.zeros((3, context_length), np.int64)
    for row, n in enumerate((1, 3, min(7, context_length - 2))):
        tokens[row, 0], tokens[row, n + 1] = SOT_ID, EOT_ID
        tokens[row, 1 : n + 1] = rng.integers(300, 40000, n)
    return tokens


def _dynamic_text_is_exact(path: Path, tokens, reference) -> bool:
    """Run the exported text graph on the probe rows at every length from just past the
    last EOT up to the full context: each must give torch's vector (``reference``)."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    eot = tokens.argmax(axis=1)
    for length in range(2, tokens.shape[1] + 1):
        rows = eot < length
        if not rows.any():
            continue
        try:
            out = session.run(None, {"tokens": np.ascontiguousarray(tokens[rows, :length])})[0]
        except Exception:  # onnxruntime raises its own Fail type on a bad shape
            return False
        if np.min(np.sum(out * reference[rows], axis=1)) < 0.99999:
            return False
    return True


def _check_text(path: Path, tokens, reference) -> None:
    """The exported text graph gives torch's vectors on real token rows, or the export fails
    (a graph that traced one sequence's control flow into constants would not)."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = session.run(None, {"tokens": np.ascontiguousarray(tokens, dtype=np.int64)})[0]
    worst = float(np.min(np.sum(out * reference, axis=1)))
    if worst < 0.9999:
        raise RuntimeError(f"the ONNX text encoder differs from torch (cosine {worst:.5f})")


@contextmanager
def _mha_fastpath_off():
    """Under no_grad torch routes multi-head attention through a fused kernel
    (aten::_native_multi_head_attention) that no ONNX opset can express; real CLIP models
    (8-16 heads) hit it, so the fast path is off while tracing."""
    import torch

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


def export(
    model,
    image_size: int,
    context_length: int,
    preprocess_cfg: dict,
    dest: Path,
    *,
    tokenizer: dict | None = None,
    weights_sha256: str = "",
    dynamic_length: bool | None = None,
    files: dict[str, str] | None = None,
    sample_tokens=None,
) -> Path:
    """Write image.onnx, text.onnx and the metadata into ``dest`` atomically.

    ``tokenizer`` says how the runtime tokenizes (``{"kind": "clip-bpe", "clean": ...}``
    for CLIP's BPE, ``{"kind": "open_clip"}`` where only open_clip can); the text graph
    takes a variable sequence length unless ``dynamic_length`` is False or the model's
    text tower cannot (see :func:`supports_dynamic_length`). ``files`` (name -> text) are
    written beside the graphs (a tokenizer.json); ``sample_tokens`` are real token rows of
    the model's tokenizer, traced through the text graph and checked against torch (CLIP
    BPE ids are used where none are given).
    """
    import torch
    import torch.nn.functional as F

    model = model.float().eval()
    if dynamic_length is None or dynamic_length:
        dynamic_length = supports_dynamic_length(model)
    image_encoder, text_encoder = _encoders(model, dynamic_length)
    text_axes = {0: "batch", 1: "length"} if dynamic_length else {0: "batch"}
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        pixels = torch.randn(2, 3, image_size, image_size)
        if sample_tokens is not None:
            tokens = torch.as_tensor(sample_tokens[:2], dtype=torch.long)
        else:
            tokens = torch.zeros(2, context_length, dtype=torch.long)
            tokens[:, 0], tokens[:, 1] = SOT_ID, EOT_ID
        # The TorchScript exporter is deprecated in favour of torch.export, but it handles
        # every open_clip architecture in seconds; export happens once per model.
        with torch.no_grad(), warnings.catch_warnings(), _mha_fastpath_off():
            warnings.simplefilter("ignore")  # tracer notes about open_clip code, not for users
            dim = int(model.encode_image(pixels[:1]).shape[-1])
            torch.onnx.export(
                image_encoder,
                (pixels,),
                str(work / "image.onnx"),
                input_names=["pixels"],
                output_names=["embedding"],
                dynamic_axes={"pixels": {0: "batch"}, "embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
            _export_text(text_encoder, tokens, work / "text.onnx", text_axes)
            if dynamic_length:
                probe = _probe_tokens(context_length)
                ref = F.normalize(model.encode_text(torch.from_numpy(probe)), dim=-1).numpy()
                if not _dynamic_text_is_exact(work / "text.onnx", probe, ref):
                    dynamic_length = False  # keep every position: correct, only slower
                    _, text_encoder = _encoders(model, dynamic_length=False)
                    _export_text(text_encoder, tokens, work / "text.onnx", {0: "batch"})
            if sample_tokens is not None:
                ref = F.normalize(model.encode_text(torch.as_tensor(sample_tokens)), dim=-1)
                _check_text(work / "text.onnx", sample_tokens, ref.numpy())
        for part in ("image", "text"):
            save_with_weights_beside(work / f"{part}.onnx", work / f"{part}.onnx")
        scale = getattr(model, "logit_scale", None)
        meta = {
            "format": FORMAT,
            "dim": dim,
            "image_size": image_size,
            "context_length": context_length,
            "preprocess_cfg": preprocess_cfg,
            "opset": OPSET,
            "logit_scale": float(scale.detach().exp()) if scale is not None else 100.0,
            "tokenizer": tokenizer or {"kind": "open_clip"},
            "text_dynamic_length": bool(dynamic_length),
            "weights_sha256": weights_sha256,
        }
        for name, text in (files or {}).items():
            (work / name).write_text(text, encoding="utf-8")
        (work / META_FILE).write_text(json.dumps(meta, indent=2))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(work, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _export_text(encoder, tokens, path: Path, token_axes: dict) -> None:
    import torch

    torch.onnx.export(
        encoder,
        (tokens,),
        str(path),
        input_names=["tokens"],
        output_names=["embedding"],
        dynamic_axes={"tokens": token_axes, "embedding": {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )


@contextmanager
def _quiet_root_log():
    import logging

    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def save_with_weights_beside(source: Path, dest: Path) -> None:
    """Rewrite the graph ``source`` as ``dest`` with its weights in ``<dest name>.data``
    beside it, atomically: the weights file is in place before the graph that names it.
    A graph whose weights are already in files of their own (over 2 GB) is left as it is."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    model = onnx.load(str(source))
    if any(uses_external_data(t) for t in model.graph.initializer):
        if source != dest:
            os.replace(source, dest)
        return
    with writing_graph(dest) as graph:
        save_model_for(model, graph, dest)


def save_model_for(model, path: Path, dest: Path) -> None:
    """Write ``model`` to ``path`` (``writing_graph``'s temporary name for ``dest``) with its
    weights in one external file named for ``dest`` (``weights_file``)."""
    import onnx

    onnx.save_model(
        model,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=weights_file(dest).name,
        size_threshold=1024,
    )


def weights_file(graph: Path) -> Path:
    """Where a graph's weights are kept: ``<graph name>.data`` beside it."""
    return graph.with_name(f"{graph.name}.data")


@contextmanager
def writing_graph(dest: Path):
    """Yield the path at which to write the graph ``dest`` (and its weights, as
    ``weights_file``), in a temporary folder beside it; when the block ends well, both move
    into place, the weights first (the graph names them) and with the graph's permissions
    (onnx writes its weights owner-only)."""
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        graph = work / dest.name
        yield graph
        data = weights_file(graph)
        if data.exists():
            shutil.copymode(graph, data)
            os.replace(data, weights_file(dest))
        os.replace(graph, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def quantise(dest: Path) -> None:
    """Add dynamically int8-quantised copies of both graphs (weights int8, activations fp32)."""
    for part in ("image", "text"):
        out = dest / f"{part}.int8.onnx"
        if out.is_file():
            continue
        # Imported only when there is work (it brings onnx and sympy: seconds).
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = dest / f".{part}.int8.{os.getpid()}.tmp.onnx"
        try:
            with _quiet_root_log():  # its advice to pre-process is for the model's author
                quantize_dynamic(str(dest / f"{part}.onnx"), str(tmp), weight_type=QuantType.QInt8)
            save_with_weights_beside(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)


def read_meta(dest: Path) -> dict | None:
    """The export's metadata, or None when the export is missing or half-written."""
    try:
        meta = json.loads((dest / META_FILE).read_text())
    except (OSError, ValueError):
        return None
    if all((dest / f).is_file() for f in ("image.onnx", "text.onnx")):
        return meta
    return None


def is_complete(meta: dict | None) -> bool:
    """Whether ``meta`` has everything the torch-free runtime needs (older exports do not:
    they are exported again, once)."""
    return (
        meta is not None
        and meta.get("format", 1) >= FORMAT
        and all(k in meta for k in RUNTIME_KEYS)
    )


# -- which export a model name uses, without open_clip ------------------------

INDEX_FILE = "exports.json"


def remember_weights(root: Path, model_name: str, weights: Path | None) -> None:
    """Note which weights file ``model_name`` resolved to (a pretrained tag's download in
    the hub cache), so a later run finds its export without asking open_clip."""
    index = _read_index(root)
    entry = {"weights": str(weights) if weights else None}
    if index.get(model_name) == entry:
        return
    index[model_name] = entry
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{INDEX_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(index, indent=2))
    os.replace(tmp, root / INDEX_FILE)


def remembered_weights(root: Path, model_name: str) -> tuple[bool, Path | None]:
    """(known, weights file or None for a model without weights) as remembered."""
    entry = _read_index(root).get(model_name)
    if not isinstance(entry, dict) or "weights" not in entry:
        return False, None
    weights = entry["weights"]
    if weights is None:
        return True, None
    path = Path(weights)
    return (True, path) if path.is_file() else (False, None)


def _read_index(root: Path) -> dict:
    try:
        data = json.loads((root / INDEX_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
