"""Ready-made ONNX exports (issue 29, item 2): without torch, the recommended model (and the
other listed ones with a public export) downloads its image and text graphs from the model
hub, as weights download, and runs them.

The local hub (tests/support/model_hub.py) serves the test model's weights exported as rclip
and Immich export theirs (tests/support/readymade_exports.py: the same names, inputs,
outputs and conventions); the source's entry takes the test model's preprocessing where
rclip hard-codes ViT-B-32-256's. The runs that must not have torch pretend it is missing
(in process: ``missing_torch_stack``), or run `clipdesk` with it not importable at all."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.embedding import backends, download, readymade
from clipdesk.embedding.download import DownloadHooks
from clipdesk.embedding.registry import ModelUnavailable, parse_model
from clipdesk.settings import DEFAULT_MODEL
from tests.support.readymade_exports import serve, source_files
from tests.support.repo import ROOT
from tests.support.snippets import RUN_CLIPDESK, run_snippet

IMMICH_MODEL = "ViT-B-32:laion2b_s34b_b79k"
TEXTS = ["red circle", "a photo of a blue square", "green triangle on grey", "yellow star", ""]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """The test model as rclip's and Immich's files (torch: once for the module)."""
    pytest.importorskip("open_clip")
    tmp = tmp_path_factory.mktemp("readymade")
    return {m: source_files(m, tmp / m.replace(":", "_")) for m in (DEFAULT_MODEL, IMMICH_MODEL)}


@pytest.fixture
def rclip_hub(monkeypatch, exports):
    server = serve(monkeypatch, exports, DEFAULT_MODEL)
    yield server
    server.close()


def photos(shapes_dir: Path) -> list[Image.Image]:
    return [Image.open(p).convert("RGB") for p in sorted(shapes_dir.glob("*.jpg"))[:12]]


@pytest.mark.parametrize("model", [DEFAULT_MODEL, IMMICH_MODEL])
def test_without_torch_the_model_downloads_its_export_and_matches_our_own(
    model, monkeypatch, exports, embedder, shapes_dir, tmp_path
):
    hub = serve(monkeypatch, exports, model)
    try:
        seen = []
        weights, onnx = tmp_path / "weights", tmp_path / "onnx"
        emb = backends.load_embedder(
            model, backend="auto", weights_dir=weights, onnx_dir=onnx,
            download=DownloadHooks(seen.append),
        )  # fmt: skip
        source = readymade.SOURCES[model]
        graphs = {source.image.path, source.text.path}
        finished = {p.filename for p in seen if p.finished and p.verified}
        assert graphs <= finished  # each graph verified against the hub's SHA-256
        assert emb.backend == "onnx-cpu" and emb.dim == embedder.dim

        images = photos(shapes_dir)
        ours = embedder.encode_images(np.stack([embedder.preprocess(i) for i in images]))
        theirs = emb.encode_images(np.stack([emb.preprocess(i) for i in images]))
        assert np.min(np.sum(ours * theirs, axis=1)) > 0.999
        texts = np.sum(embedder.encode_texts(TEXTS) * emb.encode_texts(TEXTS), axis=1)
        assert np.min(texts) > 0.999

        asked = len(hub.log)  # a second run (another process) asks the hub nothing
        again = backends.load_embedder(model, weights_dir=weights, onnx_dir=onnx)
        assert len(hub.log) == asked
        assert np.allclose(again.encode_texts(TEXTS), emb.encode_texts(TEXTS), atol=1e-6)
        # the image graph is on disk once: the runtime's folder links to the hub cache; the
        # text graph is a copy that takes only the tokens up to the end of the text
        (folder,) = onnx.glob("*-readymade")
        assert (folder / "image.onnx").resolve().parent.name == "blobs"
        assert json.loads((folder / "clipdesk.json").read_text())["text_dynamic_length"]
        assert emb.info["text_dynamic_length"]
        # --int8 quantises the user's copy of the graphs, whatever their conventions
        q = backends.load_embedder(model, int8=True, weights_dir=weights, onnx_dir=onnx)
        assert q.backend == "onnx-cpu-int8" and len(hub.log) == asked
        assert np.min(np.sum(q.encode_texts(TEXTS) * emb.encode_texts(TEXTS), axis=1)) > 0.95
    finally:
        hub.close()


def test_a_cut_download_resumes_and_a_cancelled_one_keeps_its_part(rclip_hub, tmp_path):
    spec = parse_model(DEFAULT_MODEL, check=False)
    source = readymade.SOURCES[DEFAULT_MODEL]
    from clipdesk.embedding.weights import download_weights, needs_download

    assert needs_download(spec, tmp_path, tmp_path / "onnx")
    size = len(rclip_hub.files[source.image.path])
    rclip_hub.cut_after, rclip_hub.cuts = size // 3, 1
    rclip_hub.delay = 0.01
    cancel = threading.Event()

    def progress(p):
        if p.filename == source.text.path and p.done > 0:
            cancel.set()

    with pytest.raises(download.DownloadCancelled, match="the next try resumes"):
        download_weights(spec, tmp_path, DownloadHooks(progress, cancel))
    ranges = [r for _, _, r in rclip_hub.gets()]
    assert ranges[:2] == [None, f"bytes={size // 3}-"]  # the image graph: cut, then the rest
    (part,) = tmp_path.rglob("*.part")  # the text graph's, kept
    kept = part.stat().st_size

    rclip_hub.delay = 0.0
    seen = []
    download_weights(spec, tmp_path, DownloadHooks(seen.append))
    assert rclip_hub.gets()[-1][2] == f"bytes={kept}-"
    assert seen[0].filename == source.text.path and seen[0].resumed_from == kept
    assert not needs_download(spec, tmp_path, tmp_path / "onnx")


def test_a_graph_whose_hash_is_wrong_is_refused_and_removed(rclip_hub, tmp_path):
    rclip_hub.corrupt = True
    with pytest.raises(ModelUnavailable, match="damaged .*SHA-256.*it was removed"):
        backends.load_embedder(DEFAULT_MODEL, weights_dir=tmp_path, onnx_dir=tmp_path / "o")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_offline_asks_nothing_and_says_where_the_files_are(rclip_hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable) as info:
        backends.load_embedder(DEFAULT_MODEL, weights_dir=tmp_path, onnx_dir=tmp_path / "o")
    message = str(info.value)
    assert "ready-made ONNX export of ViT-B-32-256:datacomp_s34b_b86k" in message
    assert "no connection to the model hub" in message and "--model test" in message
    assert "huggingface.co/yurijmikhalevich/rclip-models" in message
    assert rclip_hub.log == []


def test_a_damaged_downloaded_graph_is_removed_to_be_downloaded_again(rclip_hub, tmp_path):
    onnx = tmp_path / "onnx"
    backends.load_embedder(DEFAULT_MODEL, weights_dir=tmp_path / "w", onnx_dir=onnx)
    (folder,) = onnx.glob("*-readymade")
    blob = (folder / "text.onnx").resolve()
    blob.chmod(0o644)
    blob.write_bytes(b"not a graph")
    emb = backends.load_embedder(DEFAULT_MODEL, weights_dir=tmp_path / "w", onnx_dir=onnx)
    with pytest.raises(ModelUnavailable, match="damaged and was removed; run again"):
        emb.encode_texts(["red circle"])
    emb = backends.load_embedder(DEFAULT_MODEL, weights_dir=tmp_path / "w", onnx_dir=onnx)
    assert emb.encode_texts(["red circle"]).shape == (1, emb.dim)  # downloaded again


# `clipdesk ARGS...` with torch, torchvision and open_clip not importable, the ready-made
# source's entry made for the test model (from $READYMADE_TEST_SOURCE).
LIGHT = (
    """
import dataclasses, json, os, sys
for name in ("torch", "torchvision", "open_clip"):
    sys.modules[name] = None
from clipdesk.embedding import readymade
patch = json.loads(os.environ["READYMADE_TEST_SOURCE"])
model = patch.pop("model")
readymade.SOURCES[model] = dataclasses.replace(readymade.SOURCES[model], **patch)
"""
    + RUN_CLIPDESK
    + """
stack = ("torch", "torchvision", "open_clip")
loaded = sorted(m for m, v in sys.modules.items() if v and m.split(".")[0] in stack)
print("LOADED " + " ".join(loaded), file=sys.stderr)
sys.exit(rc)
"""
)


def test_the_light_cli_downloads_the_recommended_model_and_searches(rclip_hub, tmp_path, shapes):
    source = readymade.SOURCES[DEFAULT_MODEL]
    fields = ("dim", "logit_scale", "context_length", "preprocess_cfg")
    patch = {"model": DEFAULT_MODEL, **{f: getattr(source, f) for f in fields}}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPDESK_")}
    env.update(
        PYTHONPATH=str(ROOT), HF_ENDPOINT=rclip_hub.url, READYMADE_TEST_SOURCE=json.dumps(patch)
    )
    env.pop("HF_HUB_OFFLINE", None)
    home = str(tmp_path / "home")

    def light(*args):
        proc = run_snippet(LIGHT, "--home", home, "--model", DEFAULT_MODEL, *args, env=env)
        *lines, loaded = proc.stderr.splitlines()
        assert loaded.strip() == "LOADED", proc.stderr  # no torch, no open_clip
        return proc, lines

    proc, lines = light("add", str(shapes))
    assert proc.returncode == 0, proc.stderr
    assert "36 embedded" in proc.stdout, proc.stdout
    assert any("visual.onnx" in x and "verified" in x for x in lines), lines
    assert any("textual.onnx" in x and "verified" in x for x in lines), lines

    proc, _ = light("search", "red circle", "--limit", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    best = [Path(h["path"]).name.split("_", 1)[1] for h in json.loads(proc.stdout)]
    assert best == ["red_circle.jpg"] * 2


def test_a_fixed_length_text_graph_is_made_to_take_any_length(tmp_path):
    """rclip's text graph takes all 77 positions; the copy ClipDesk makes takes only those up
    to the end-of-text token, with the same vectors (a small random CLIP: context 20)."""
    open_clip = pytest.importorskip("open_clip")
    import onnxruntime as ort

    from clipdesk.embedding.text_length import _probe_tokens, make_dynamic
    from tests.support.readymade_exports import rclip_files

    vision = {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16}
    text = {"context_length": 20, "vocab_size": 49408, "width": 48, "heads": 4, "layers": 2}
    rclip_files(tmp_path, open_clip.CLIP(32, vision, text).eval())
    fixed, dynamic = tmp_path / "textual.onnx", tmp_path / "out" / "text.onnx"
    assert make_dynamic(fixed, dynamic, "input", 20)

    tokens = _probe_tokens(20)
    full = ort.InferenceSession(str(fixed)).run(None, {"input": tokens})[0]
    session = ort.InferenceSession(str(dynamic))
    assert session.get_inputs()[0].shape[1] == "length"
    short = session.run(None, {"input": tokens[:1, :3]})[0]  # "<sot> x <eot>"
    cosine = short[0] @ full[0] / np.linalg.norm(short[0]) / np.linalg.norm(full[0])
    assert cosine > 0.99999
    assert not make_dynamic(fixed, tmp_path / "no" / "text.onnx", "input", 77)  # not its length
