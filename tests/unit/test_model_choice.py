"""Model names and the backend choice, with no model loaded: the backend order, a GPU asked
for but missing, checkpoint files, when torch is asked about a GPU."""

from __future__ import annotations

import pytest

from clipdesk.embedding import ModelUnavailable, choose_backend, parse_model
from clipdesk.embedding.registry import TEST_MODEL_DIR


@pytest.mark.parametrize(
    ("pref", "cuda", "mps", "expected"),
    [
        ("auto", True, True, "cuda"),
        ("auto", False, True, "mps"),
        ("auto", False, False, "onnx"),
        ("onnx", True, False, "onnx"),
        ("cpu", True, False, "cpu"),
        ("cuda", True, False, "cuda"),
    ],
)
def test_backend_order_is_cuda_then_mps_then_onnx(pref, cuda, mps, expected):
    assert choose_backend(pref, cuda, mps) == expected


def test_forcing_a_missing_gpu_says_so():
    with pytest.raises(ModelUnavailable, match="CUDA"):
        choose_backend("cuda", False, False)
    with pytest.raises(ModelUnavailable, match="MPS"):
        choose_backend("mps", False, False)
    with pytest.raises(ModelUnavailable, match="unknown backend"):
        choose_backend("tpu", False, False)


def test_model_names():
    assert parse_model("test").open_clip_name == f"local-dir:{TEST_MODEL_DIR}"
    assert parse_model("test").expected_sha256  # the shipped weights are checked on load
    spec = parse_model("ViT-B-32:laion2b_s34b_b79k")
    assert (spec.open_clip_name, spec.pretrained) == ("ViT-B-32", "laion2b_s34b_b79k")
    assert parse_model(str(TEST_MODEL_DIR)).open_clip_name.startswith("local-dir:")
    with pytest.raises(ModelUnavailable, match="known tags"):
        parse_model("ViT-B-32:no_such_tag")
    with pytest.raises(ModelUnavailable, match="no architecture"):
        parse_model("ViT-Q-99:openai")
    with pytest.raises(ModelUnavailable, match="unknown model"):
        parse_model("just-a-word")


def test_checkpoint_file_needs_its_architecture(tmp_path):
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"x")
    with pytest.raises(ModelUnavailable, match="ViT-B-32:"):
        parse_model(str(weights))
    assert parse_model(f"ViT-B-32:{weights}").pretrained == str(weights)


def test_a_possible_gpu_asks_torch():
    import torch

    from clipdesk.embedding.backends import accelerators

    assert accelerators(lambda: True, lambda: False) == (torch.cuda.is_available(), False)
    mps = getattr(torch.backends, "mps", None)
    assert accelerators(lambda: False, lambda: True) == (False, bool(mps and mps.is_available()))
