"""Where a build without torch looks for its prebuilt ONNX export, and which backend it takes
with a GPU driver but no torch. (The bundle itself: tests/integration/test_prebuilt_export.py.)"""

from __future__ import annotations

import sys

from clipdesk.embedding import prebuilt


def test_a_gpu_driver_without_torch_means_onnx_runtime_on_the_cpu(monkeypatch):
    """The bundle on a machine with an NVIDIA driver: no torch to ask, so no CUDA."""
    from clipdesk.embedding import accelerators

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails, as in the bundle
    assert accelerators(cuda_probe=lambda: True, mps_probe=lambda: False) == (False, False)


def test_no_prebuilt_folder_outside_a_bundle(monkeypatch):
    monkeypatch.delenv(prebuilt.ENV, raising=False)
    assert not getattr(sys, "frozen", False) and prebuilt.prebuilt_root() is None
