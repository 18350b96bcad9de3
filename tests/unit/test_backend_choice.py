"""Which backend `--backend auto` takes, and the reason `clipdesk status`, the status bar and
About give: a GPU only where torch and open_clip are installed (the gpu extra) and torch
sees the device; else ONNX Runtime on the CPU, saying why. (The light install itself:
tests/integration/test_light_install.py.)"""

from __future__ import annotations

import sys

import pytest

from clipdesk.embedding import ModelUnavailable, backends, prebuilt
from clipdesk.embedding.backends import BackendPlan, explain_backend, plan_backend
from clipdesk.embedding.choice import EngineChoice
from clipdesk.embedding.prebuilt import GPU_EXTRA

NO_TORCH = ["torch", "open_clip"]


@pytest.mark.parametrize(
    ("missing", "gpu", "cuda", "mps", "backend", "why"),
    [
        ([], True, True, False, "cuda", "torch sees a CUDA GPU"),
        ([], True, False, True, "mps", "torch sees the Apple GPU"),
        ([], False, False, False, "onnx", "there is no GPU here"),
        ([], True, False, False, "onnx", "torch sees no CUDA or Apple GPU"),
        (NO_TORCH, False, False, False, "onnx", "torch and open_clip are not installed, and"),
        (NO_TORCH, True, False, False, "onnx", f"are not installed; {GPU_EXTRA} to use the GPU"),
        # torch without open_clip runs no torch backend, whatever it sees.
        (["open_clip"], True, True, False, "onnx", "open_clip is not installed; pip install"),
    ],
)
def test_auto_takes_the_gpu_only_with_torch_and_a_device(missing, gpu, cuda, mps, backend, why):
    plan = explain_backend("auto", missing, gpu, cuda, mps)
    assert plan.backend == backend and plan.usable
    assert why in plan.why, plan.why


def test_a_torch_backend_asked_for_without_torch_names_the_gpu_extra():
    for backend in ("cuda", "mps", "cpu"):
        plan = explain_backend(backend, NO_TORCH, True, False, False)
        assert not plan.usable and plan.backend == backend
        assert GPU_EXTRA in plan.why and plan.why.endswith(
            "use --backend onnx (ONNX Runtime on the CPU)"
        )
    # With torch but no such device: what torch sees.
    plan = explain_backend("cuda", [], False, False, False)
    assert not plan.usable and "no CUDA GPU" in plan.why
    assert explain_backend("onnx", NO_TORCH, False, False, False).usable
    with pytest.raises(ModelUnavailable, match="unknown backend"):
        explain_backend("tpu", [], False, False, False)


def test_the_status_line_says_which_backend_runs_and_why():
    plan = BackendPlan("onnx", "torch and open_clip are not installed", int8=True)
    assert plan.label == "onnx-cpu-int8" and plan.where == "CPU (ONNX Runtime), int8"
    assert str(plan) == "onnx-cpu-int8, CPU (ONNX Runtime): torch and open_clip are not installed"
    assert BackendPlan("cuda", "torch sees a CUDA GPU", int8=True).label == "cuda-fp16"


def test_without_torch_the_plan_never_imports_it(monkeypatch):
    """The light install on a machine with an NVIDIA driver: torch is not there to ask."""
    monkeypatch.setitem(sys.modules, "torch", None)  # not installed: find_spec says None
    monkeypatch.setitem(sys.modules, "open_clip", None)
    assert prebuilt.missing_torch_stack() == NO_TORCH
    plan = plan_backend("auto", cuda_probe=lambda: True, mps_probe=lambda: False)
    assert plan is not None and plan.backend == "onnx" and GPU_EXTRA in plan.why
    plan = plan_backend("cuda", cuda_probe=lambda: True, mps_probe=lambda: False)
    assert plan is not None and not plan.usable and GPU_EXTRA in plan.why


def test_the_window_is_told_without_importing_torch(monkeypatch):
    """describe() runs on the GUI thread: where only torch could tell, it does not ask."""
    monkeypatch.setattr(backends, "missing_torch_stack", lambda: [])
    monkeypatch.setattr(backends, "cuda_driver_present", lambda: True)
    monkeypatch.setattr(backends, "apple_silicon", lambda: False)
    monkeypatch.setattr(backends, "accelerators", pytest.fail)  # asking torch fails the test
    assert "if torch sees one" in EngineChoice("test", "auto").describe()
    assert EngineChoice("test", "onnx", True).describe() == (
        "CPU (ONNX Runtime), int8: asked for (--backend onnx or the settings)"
    )

    monkeypatch.setattr(backends, "missing_torch_stack", lambda: NO_TORCH)
    text = EngineChoice("test", "auto").describe()
    assert text.startswith("CPU (ONNX Runtime): torch and open_clip are not installed"), text
    assert GPU_EXTRA in text
    assert EngineChoice("test", "cuda").describe().startswith("GPU (torch, CUDA): cannot run")
