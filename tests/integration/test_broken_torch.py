"""A broken torch (mismatched wheels: importing torchvision raises ``RuntimeError: operator
torchvision::nms does not exist``) is treated as no torch: the test model, whose ONNX export
ships, still indexes on ONNX Runtime, and the terminal says in one line what is wrong and
what repairs it; a torch backend asked for is one line; ``-v`` shows the traceback. Real
processes, with the broken packages on disk at the front of PYTHONPATH."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.broken_torch import LAST_LINE, broken_packages, gpu_driver_stand_in
from tests.support.cli import one_line_error, run

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux loader")
# Only torchvision broken imports the real torch first (seconds); both broken does not.
BROKEN = [pytest.param(("torchvision",), marks=pytest.mark.slow), ("torch", "torchvision")]


@pytest.fixture
def few(tmp_path, shapes_dir) -> Path:
    """Four of the generated photos: enough to see them indexed."""
    folder = tmp_path / "few"
    folder.mkdir()
    for photo in sorted(shapes_dir.glob("*.jpg"))[:4]:
        shutil.copy(photo, folder / photo.name)
    return folder


def _env(tmp_path, names, gpu: bool) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(broken_packages(tmp_path / "broken", *names)), env.get("PYTHONPATH", "")]
    )
    if gpu:
        driver = gpu_driver_stand_in(tmp_path / "driver")
        if driver is None:
            pytest.skip("no zlib to stand in for a GPU driver library")
        env["LD_LIBRARY_PATH"] = os.pathsep.join([str(driver), env.get("LD_LIBRARY_PATH", "")])
    return env


@pytest.mark.parametrize("names", BROKEN)
def test_with_a_gpu_driver_the_test_model_indexes_on_onnx_and_one_line_says_why(
    home, few, tmp_path, names
):
    env = _env(tmp_path, names, gpu=True)
    added = run("--model", "test", "add", str(few), env=env)
    assert "4 embedded" in added.stdout
    assert "Traceback" not in added.stderr
    lines = added.stderr.strip().splitlines()
    assert lines == [
        f"clipdesk: torch is installed but broken ({LAST_LINE}), so ONNX Runtime runs on the "
        "CPU instead. To use the GPU, repair torch: `pip install --force-reinstall "
        "'clipdesk[gpu]'`. To keep the light install, remove it: "
        "`pip uninstall torch torchvision open_clip_torch`"
    ], added.stderr

    status = json.loads(run("status", "--json", env=env).stdout)
    assert status["backend"] == "onnx-cpu" and status["counts"]["indexed"] == 4
    assert status["backend_reason"].startswith(f"torch is installed but broken ({LAST_LINE})")


def test_without_a_gpu_torch_is_never_imported_and_nothing_is_said(home, few, tmp_path):
    added = run("--model", "test", "add", str(few), env=_env(tmp_path, ("torchvision",), gpu=False))
    assert "4 embedded" in added.stdout and added.stderr == ""


@pytest.mark.parametrize("names", BROKEN)
def test_a_torch_backend_asked_for_is_one_line_and_v_shows_the_traceback(
    home, few, tmp_path, names
):
    env = _env(tmp_path, names, gpu=False)
    failed = run("--model", "test", "--backend", "cpu", "add", str(few), env=env, check=False)
    one_line_error(failed, "the cpu backend needs torch, which is installed but broken")
    assert LAST_LINE in failed.stderr and "--force-reinstall 'clipdesk[gpu]'" in failed.stderr
    assert "--backend onnx" in failed.stderr

    verbose = run("-v", "--backend", "cpu", "index", env=env, check=False)
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr and verbose.stderr.count(LAST_LINE) >= 2
    assert verbose.stderr.strip().splitlines()[-1].startswith("clipdesk: error: the cpu backend")


def test_a_model_that_needs_torch_to_export_is_one_line(home, few, tmp_path):
    """open_clip fails to import where the model's export would start: one line saying so
    and what repairs it, not the import's traceback."""
    env = _env(tmp_path, ("torch", "torchvision"), gpu=False)
    failed = run("--model", "ViT-B-32:openai", "add", str(few), env=env, check=False)
    one_line_error(failed, f"torch is installed but broken ({LAST_LINE})", "--force-reinstall")
