"""The model in torch through open_clip: what exporting it to ONNX and the torch backends
(CUDA, MPS, the CPU) load. Importing this module imports neither torch nor open_clip;
calling it does."""

from __future__ import annotations

from pathlib import Path

from clipdesk.embedding.errors import ModelUnavailable
from clipdesk.embedding.registry import ModelSpec
from clipdesk.embedding.weights import hub_cache_only, offline_error


def load_torch_model(spec: ModelSpec, cache_dir: Path):
    """The open_clip model (in eval mode) and its image transform, with weights_only loading."""
    import open_clip

    try:
        with hub_cache_only(spec, cache_dir):  # downloaded before: no second trip to the hub
            model, _, preprocess = open_clip.create_model_and_transforms(
                spec.open_clip_name,
                pretrained=spec.pretrained,
                cache_dir=str(cache_dir),
                weights_only=True,
            )
    except (RuntimeError, OSError, ValueError) as exc:
        if spec.is_local:
            raise ModelUnavailable(f"cannot load {spec.name}: {exc}") from None
        raise offline_error(spec, cache_dir, exc) from None
    return model.eval(), preprocess


def open_clip_tokenizer(spec: ModelSpec, cache_dir: Path):
    """open_clip's own tokenizer for the model."""
    import open_clip

    try:
        return open_clip.get_tokenizer(spec.open_clip_name, cache_dir=str(cache_dir))
    except Exception as exc:  # an HF tokenizer that cannot be fetched offline
        raise ModelUnavailable(f"cannot load the tokenizer for {spec.name}: {exc}") from None
