"""The test model's weights exported as rclip's and Immich's public ONNX exports are laid out
(the same file names, input and output names, graph conventions), for the local model hub
to serve in place of the real files (clipdesk/embedding/readymade.py, docs/models.md).

Each is made the way its project makes them, on the test model loaded through ClipDesk's own
torch loading code: rclip's scripts/convert_model.py (``model.visual`` and
``model.encode_text``, input "input", output "output", not normalised, the batch axis
dynamic, opset 18) and Immich's exporter (machine-learning/export/.../openclip.py:
``encode_image(normalize=True)``, input "image" / "text" (int32), output "embedding", a
fixed batch of one, opset 17, with open_clip's model config as config.json and its
preprocess_cfg as visual/preprocess_cfg.json)."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

from clipdesk.embedding import readymade
from clipdesk.embedding.readymade import ReadyMade
from clipdesk.embedding.registry import TEST_MODEL_DIR, parse_model


def _test_model():
    import torch

    from clipdesk.embedding.torch_model import load_torch_model

    torch.backends.mha.set_fastpath_enabled(False)
    model, _ = load_torch_model(parse_model("test"), TEST_MODEL_DIR)
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _export(module, args, path: Path, names: tuple[str, str], axes: dict | None, opset: int):
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=[names[0]],
            output_names=[names[1]],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )


def random_vit_b_32_256():
    """open_clip's ViT-B-32-256 with random weights: the recommended model's architecture,
    for a stand-in of its real ready-made export (packaging/readymade_hub.py)."""
    import open_clip
    import torch

    torch.manual_seed(0)
    torch.backends.mha.set_fastpath_enabled(False)
    return open_clip.create_model("ViT-B-32-256", pretrained=None).eval()


def rclip_files(dest: Path, model=None) -> dict[str, bytes]:
    """rclip-models' files (repository path -> bytes) for the test model's weights (or
    ``model``'s, an open_clip CLIP)."""
    import torch

    model = model if model is not None else _test_model()
    context = int(model.context_length)
    size = model.visual.image_size
    size = int(size if isinstance(size, int) else size[0])

    class Visual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = model.visual

        def forward(self, inputs):
            return self.visual(inputs)

    class Textual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.clip_model = model

        def forward(self, inputs):
            return self.clip_model.encode_text(inputs)

    axes = {"input": {0: "batch"}, "output": {0: "batch"}}
    source = readymade.RCLIP
    visual, textual = dest / "visual.onnx", dest / "textual.onnx"
    with torch.no_grad():
        _export(Visual().eval(), (torch.randn(1, 3, size, size),), visual, ("input", "output"),
                axes, 18)  # fmt: skip
        tokens = torch.zeros(1, context, dtype=torch.long)
        _export(Textual().eval(), (tokens,), textual, ("input", "output"), axes, 18)
    return {source.image.path: visual.read_bytes(), source.text.path: textual.read_bytes()}


def immich_files(dest: Path, source: ReadyMade) -> dict[str, bytes]:
    """An immich-app/<model> repository's files for the test model's weights."""
    import torch

    model = _test_model()
    config = json.loads((TEST_MODEL_DIR / "open_clip_config.json").read_text())
    size = int(config["model_cfg"]["vision_cfg"]["image_size"])
    context = int(config["model_cfg"]["text_cfg"]["context_length"])

    class Image(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, image):
            return self.model.encode_image(image, normalize=True)

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, text):
            return self.model.encode_text(text, normalize=True)

    visual, textual = dest / "visual" / "model.onnx", dest / "textual" / "model.onnx"
    with torch.no_grad():
        _export(Image().eval(), (torch.randn(1, 3, size, size),), visual,
                ("image", "embedding"), None, 17)  # fmt: skip
        _export(Text().eval(), (torch.ones(1, context, dtype=torch.int32),), textual,
                ("text", "embedding"), None, 17)  # fmt: skip
    preprocess = dict(model.visual.preprocess_cfg)
    return {
        "config.json": json.dumps(config["model_cfg"]).encode(),
        "visual/preprocess_cfg.json": json.dumps(preprocess).encode(),
        source.image.path: visual.read_bytes(),
        source.text.path: textual.read_bytes(),
    }


def as_test_model(source: ReadyMade) -> ReadyMade:
    """``source`` with what rclip hard-codes (ViT-B-32-256's preprocessing, 512 dimensions,
    77 tokens) set to the test model's, for files made from the test model's weights."""
    if source.config_file:  # Immich's: read from the files themselves
        return source
    meta = json.loads((TEST_MODEL_DIR / "onnx" / "clipdesk.json").read_text())
    return dataclasses.replace(
        source,
        dim=meta["dim"],
        preprocess_cfg=meta["preprocess_cfg"],
        context_length=meta["context_length"],
        logit_scale=meta["logit_scale"],
    )


_MADE: dict[str, dict[str, bytes]] = {}


def source_files(model: str, dest: Path) -> dict[str, bytes]:
    """The files of ``model``'s ready-made source, for the test model's weights (exported
    once per test process)."""
    if model not in _MADE:
        source = readymade.SOURCES[model]
        if source.repo == readymade.RCLIP.repo:
            _MADE[model] = rclip_files(dest)
        else:
            _MADE[model] = immich_files(dest, source)
    return _MADE[model]


def serve(monkeypatch, files: dict[str, dict[str, bytes]], model: str):
    """A local hub (started; the caller closes it) serving ``model``'s source files, with
    HF_ENDPOINT at it, the source's entry made for the test model, and torch as good as
    missing (``missing_torch_stack``, where the embedding modules ask)."""
    from clipdesk.embedding import backends, prebuilt
    from tests.support.model_hub import HubServer

    source = as_test_model(readymade.SOURCES[model])
    monkeypatch.setitem(readymade.SOURCES, model, source)
    server = HubServer(source.repo, files[model])
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "")
    no_torch = lambda: ["torch", "open_clip"]  # noqa: E731
    monkeypatch.setattr(prebuilt, "missing_torch_stack", no_torch)
    monkeypatch.setattr(backends, "missing_torch_stack", no_torch)
    return server
