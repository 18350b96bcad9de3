"""The GPU ingest plan on the CPU: which decode path and batch size each backend gets (with
injected availability), and the device orientation code run on torch's CPU device. No test
here needs a GPU."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from clipdesk.embedding import choose_backend
from clipdesk.embedding.gpu import GPU_BATCH, INT8_BATCH, IngestPlan, orient, plan_ingest

LABELS = {"cuda": "cuda-fp16", "mps": "mps", "onnx": "onnx-cpu"}


def _never() -> bool:
    raise AssertionError("the nvJPEG probe must only be asked on CUDA")


@pytest.mark.parametrize(
    ("cuda", "mps", "nvjpeg", "expected"),
    [
        (True, False, True, IngestPlan("cuda-fp16", "nvjpeg", GPU_BATCH["cuda"], True)),
        (True, True, False, IngestPlan("cuda-fp16", "cpu", GPU_BATCH["cuda"], True)),
        (False, True, None, IngestPlan("mps", "cpu", GPU_BATCH["mps"], False)),
        (False, False, None, IngestPlan("onnx-cpu", "cpu", 16, False)),
    ],
)
def test_each_backend_gets_its_decode_path_and_batch_size(cuda, mps, nvjpeg, expected):
    label = LABELS[choose_backend("auto", cuda, mps)]
    probe = _never if nvjpeg is None else (lambda: nvjpeg)
    assert plan_ingest(label, 16, probe) == expected


def test_a_larger_configured_batch_is_kept_and_int8_stays_on_the_cpu_path():
    assert plan_ingest("cuda-fp16", 256, lambda: True).batch_size == 256
    assert plan_ingest("onnx-cpu-int8", 32, _never) == IngestPlan("onnx-cpu-int8", "cpu", 32, False)
    # the default CPU batch (8) for fp32; int8 batches at least INT8_BATCH when one encoder
    # takes every core, and 8 in lanes (one batch per core)
    assert plan_ingest("onnx-cpu", 8, _never).batch_size == 8
    assert plan_ingest("onnx-cpu-int8", 8, _never).batch_size == INT8_BATCH == 16
    assert plan_ingest("onnx-cpu-int8", 8, _never, lanes=2).batch_size == 8
    assert plan_ingest("torch-cpu", 16, _never).decode == "cpu"


torch = pytest.importorskip("torch")


pytest.importorskip("torchvision")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_turns_a_tensor_as_pil_turns_the_image(orientation):
    from clipdesk.imaging.metadata import apply_orientation

    rng = np.random.default_rng(orientation)
    arr = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    expected = np.asarray(apply_orientation(Image.fromarray(arr), orientation))
    got = orient(torch.from_numpy(arr).permute(2, 0, 1), orientation).permute(1, 2, 0).numpy()
    assert np.array_equal(got, expected)
