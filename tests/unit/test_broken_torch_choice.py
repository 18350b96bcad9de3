"""A torch that is installed but fails to import counts as no torch in the backend choice
(pure: the import's error is an argument), and the import's failure is told from a bug."""

from __future__ import annotations

import importlib
import sys

import pytest

from clipdesk.embedding.backends import explain_backend
from clipdesk.embedding.prebuilt import failed_torch_import

ERROR = "RuntimeError: operator torchvision::nms does not exist"


@pytest.mark.parametrize("gpu", [True, False])
def test_auto_runs_onnx_and_says_torch_is_broken_and_what_repairs_it(gpu):
    plan = explain_backend("auto", ["torch", "open_clip"], gpu, False, False, broken=ERROR)
    assert plan.backend == "onnx" and plan.usable and plan.broken
    assert plan.why.startswith(f"torch is installed but broken ({ERROR}), so ONNX Runtime")
    assert "pip install --force-reinstall 'clipdesk[gpu]'" in plan.why
    assert "To keep the light install, remove it: `pip uninstall torch" in plan.why


@pytest.mark.parametrize("backend", ["cuda", "mps", "cpu"])
def test_a_torch_backend_asked_for_cannot_run_and_says_why(backend):
    plan = explain_backend(backend, ["torch", "open_clip"], True, False, False, broken=ERROR)
    assert not plan.usable and not plan.broken
    assert plan.why.startswith(f"the {backend} backend needs torch, which is installed but broken")
    assert ERROR in plan.why and "--backend onnx" in plan.why


def test_onnx_asked_for_is_not_a_fallback():
    plan = explain_backend("onnx", ["torch", "open_clip"], True, False, False, broken=ERROR)
    assert plan.backend == "onnx" and plan.usable and not plan.broken


def test_an_error_raised_by_a_torch_module_on_import_is_a_broken_install(tmp_path, monkeypatch):
    package = tmp_path / "torchvision"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('operator torchvision::nms')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "torchvision", raising=False)
    with pytest.raises(RuntimeError) as broken:
        importlib.import_module("torchvision")
    assert failed_torch_import(broken.value)

    with pytest.raises(RuntimeError) as ours:  # raised by our own code: a bug, not an install
        raise RuntimeError("operator torchvision::nms")
    assert not failed_torch_import(ours.value)
