"""Multilingual models (an XLM-RoBERTa text tower, as open_clip's xlm-roberta-base-ViT-B-32):
exported to ONNX, tokenized without torch, and equal to torch, with random weights."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("transformers")

from clipdesk.embedding import load_embedder  # noqa: E402
from clipdesk.embedding.hf_tokenizer import HfTokenizer  # noqa: E402
from tests.support.multilingual_model import SENTENCES, build  # noqa: E402

QUERIES = [
    "ein roter Kreis am Strand",
    "un chien sur la plage",
    "犬",
    "собака",
    "",
    "   ",
    "x " * 60,
    "café &amp; crème &lt;b&gt; 🙂🐶",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build(tmp_path_factory.mktemp("xlmr") / "model")


@pytest.fixture(scope="module")
def engines(model_dir, tmp_path_factory):
    dirs = {"weights_dir": tmp_path_factory.mktemp("w"), "onnx_dir": tmp_path_factory.mktemp("o")}
    onnx = load_embedder(str(model_dir), backend="onnx", **dirs)
    torch_cpu = load_embedder(str(model_dir), backend="cpu", **dirs)
    return onnx, torch_cpu, dirs


def _strings(n: int) -> list[str]:
    """Sentences in eight scripts cut, mixed and spaced oddly; entities, emoji, long, empty."""
    rng = random.Random(0)
    words = " ".join(SENTENCES).split() + ["&amp;", "&#39;", "\u00a0", "\t", "🙂", "e\u0301"]
    out = ["", " ", "x" * 300, "dog " * 100]
    while len(out) < n:
        k = rng.randint(1, 30)
        out.append(rng.choice(["", " ", "  "]).join(rng.choice(words) for _ in range(k)))
    return out


def test_onnx_export_equals_torch_and_tokenizes_without_transformers(engines):
    onnx, torch_cpu, _ = engines
    meta = json.loads((_folder(onnx) / "clipdesk.json").read_text())
    assert meta["tokenizer"]["kind"] == "hf-tokenizers"
    a, b = onnx.encode_texts(QUERIES), torch_cpu.encode_texts(QUERIES)
    assert np.min(np.sum(a * b, axis=1)) >= 0.9999
    rng = np.random.default_rng(0)
    pixels = rng.normal(size=(3, 3, 32, 32)).astype(np.float32)
    a, b = onnx.encode_images(pixels), torch_cpu.encode_images(pixels)
    assert np.min(np.sum(a * b, axis=1)) >= 0.9999


def test_torch_free_tokenizer_gives_open_clips_ids(engines, model_dir):
    import open_clip

    onnx, _, _ = engines
    tok = json.loads((_folder(onnx) / "clipdesk.json").read_text())["tokenizer"]
    ours = HfTokenizer.from_file(
        _folder(onnx) / tok["file"],
        **{k: tok[k] for k in ("context_length", "clean", "pad_id", "pad_token", "sep_id")},
    )
    theirs = open_clip.get_tokenizer(f"local-dir:{model_dir}")
    strings = _strings(1200)
    assert np.array_equal(ours(strings), theirs(strings).numpy())


def test_a_cached_export_searches_without_torch(engines, model_dir):
    _, _, dirs = engines
    code = f"""
import sys
from pathlib import Path
from clipdesk.embedding import load_embedder
w, o = Path({str(dirs["weights_dir"])!r}), Path({str(dirs["onnx_dir"])!r})
e = load_embedder({str(model_dir)!r}, backend="onnx", weights_dir=w, onnx_dir=o)
v = e.encode_texts(["ein roter Kreis", "赤い円"])
assert v.shape == (2, 32), v.shape
print(sorted(m for m in ("torch", "open_clip", "transformers") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _folder(embedder):
    from pathlib import Path

    return Path(embedder.info["onnx_folder"])
