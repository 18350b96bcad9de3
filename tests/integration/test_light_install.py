"""The light install (issue 29): `pip install clipdesk` brings no torch, torchvision or
open_clip, and runs the test model from the ONNX export it ships as package data.

In the default run, real `clipdesk` processes in which those three are not installed (None
in ``sys.modules``: ``import`` fails and ``importlib.util.find_spec`` finds nothing, as in a
venv without them), with a new home and no prebuilt folder. The slow test builds the wheel
and installs it, with its dependencies from the package index, into a new venv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clipdesk.embedding import prebuilt
from clipdesk.embedding.registry import TEST_MODEL_DIR
from tests.support.repo import ROOT
from tests.support.snippets import RUN_CLIPDESK, run_snippet

TORCH_STACK = ("torch", "torchvision", "open_clip")
EXPORT_LINE = "pip install 'clipdesk[export]'"
GPU_LINE = "pip install 'clipdesk[gpu]'"

# `clipdesk ARGS...` with the torch stack not installed; at exit, one stderr line listing
# any module of it that was loaded all the same.
NOT_INSTALLED = textwrap.dedent(
    """
    import sys
    STACK = ("torch", "torchvision", "open_clip")
    for name in STACK:
        sys.modules[name] = None
    {run}
    loaded = sorted(m for m, v in sys.modules.items() if v and m.split(".")[0] in STACK)
    print("LOADED " + " ".join(loaded), file=sys.stderr)
    sys.exit(rc)
    """
).replace("{run}", RUN_CLIPDESK)


def light(*args: str) -> subprocess.CompletedProcess:
    """`clipdesk ARGS...` as in an install without the torch stack; its stderr without the
    LOADED line, which must list nothing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPDESK_")}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    proc = run_snippet(NOT_INSTALLED, *args, env=env)
    lines = proc.stderr.splitlines()
    assert lines and lines[-1].startswith("LOADED"), proc.stderr
    assert lines[-1].strip() == "LOADED", lines[-1]
    proc.stderr = "\n".join(lines[:-1]).strip()
    return proc


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_the_dependencies_leave_the_torch_stack_to_the_extras():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements):
        return {r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].strip().lower()
                for r in requirements}  # fmt: skip

    extras = project["optional-dependencies"]
    heavy = {"torch", "torchvision", "open_clip_torch"}
    assert not heavy & names(project["dependencies"])
    assert heavy <= names(extras["gpu"])
    assert "clipdesk[gpu]" in extras["export"] and "clipdesk[export]" in extras["test"]
    assert {"ray", "pyarrow"} <= names(extras["cluster"])


def test_the_test_model_runs_without_torch_from_its_shipped_export(tmp_path, shapes):
    home = tmp_path / "home"
    shipped = TEST_MODEL_DIR / prebuilt.TEST_MODEL_EXPORT
    before = snapshot(shipped)

    proc = light("--home", str(home), "--model", "test", "add", str(shapes))
    assert proc.returncode == 0, proc.stderr
    assert "36 embedded" in proc.stdout and "torch" not in proc.stderr, proc.stdout

    proc = light("--home", str(home), "search", "red circle", "--limit", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    best = [Path(h["path"]).name.split("_", 1)[1] for h in json.loads(proc.stdout)]
    assert best == ["red_circle.jpg"] * 2

    proc = light("--home", str(home), "status")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("backend:"))
    assert line.split(None, 1)[1].startswith(
        "onnx-cpu, CPU (ONNX Runtime): torch and open_clip are not installed"
    ), line
    status = json.loads(light("--home", str(home), "status", "--json").stdout)
    assert status["backend"] == "onnx-cpu" and "not installed" in status["backend_reason"]

    # int8 quantises the user's copy, with no torch; the shipped export stays as it was.
    proc = light("--home", str(home), "--int8", "search", "blue square", "--limit", "1")
    assert proc.returncode == 0 and "blue_square" in proc.stdout, proc.stderr
    (copy,) = (home / "cache" / "onnx").glob("test-*")
    assert {"clipdesk.json", "image.onnx", "text.int8.onnx"} <= {p.name for p in copy.iterdir()}
    assert snapshot(shipped) == before


def test_without_torch_a_model_with_no_export_is_one_line_naming_the_extras(tmp_path, shapes):
    home = str(tmp_path / "home")
    # A pretrained tag with no ready-made export and a hub model, never downloaded (and not
    # downloaded now: offline, the line is about torch, not the connection), and a model
    # folder of the user's own. (The recommended model downloads its ready-made export:
    # test_readymade.py.)
    own = tmp_path / "my-model"
    shutil.copytree(TEST_MODEL_DIR, own)
    for model in ("ViT-B-16:datacomp_xl_s13b_b90k", "hf-hub:someone/some-clip", str(own)):
        proc = light("--home", home, "--model", model, "add", str(shapes))
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, (model, proc.stderr)
        (line,) = proc.stderr.splitlines()
        assert line.startswith("clipdesk: error: this installation of ClipDesk has no torch")
        assert EXPORT_LINE in line and GPU_LINE in line and f"--model {model} add" in line
    # The recommended model downloads a ready-made export instead: offline, one line saying so.
    proc = light("--home", home, "--model", "ViT-B-32-256:datacomp_s34b_b86k", "add", str(shapes))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert "ready-made ONNX export" in line and "no connection to the model hub" in line, line

    for backend in ("cuda", "cpu"):  # (after a line of advice on the test model's vocabulary)
        proc = light("--home", home, "--model", "test", "--backend", backend, "add", str(shapes))
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        (line,) = [x for x in proc.stderr.splitlines() if x.startswith("clipdesk: error:")]
        assert f"the {backend} backend" in line and GPU_LINE in line, line


@pytest.mark.slow
def test_the_wheel_installs_without_torch_and_runs_the_test_model(tmp_path, shapes_dir):
    """`pip install clipdesk` for real: the wheel and its dependencies from the index, in a
    new venv; no torch there, under 1 GB, and the test model adds and searches."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        "_data", ".clipdesk-home",
    ))  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(tmp_path / "wheel"), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "wheel").glob("clipdesk-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    offline = ("NewConnectionError", "Could not fetch URL", "No matching distribution found")
    if pip.returncode and any(word in pip.stdout + pip.stderr for word in offline):
        pytest.skip(f"the package index cannot be reached: {pip.stderr.strip()[-300:]}")
    assert pip.returncode == 0, pip.stderr

    python = str(venv / "bin" / "python")
    found = subprocess.run(
        [python, "-c", "import importlib.util as u; print([m for m in ('torch', 'torchvision',"
         " 'open_clip') if u.find_spec(m)])"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert found.strip() == "[]"
    size = sum(p.stat().st_size for p in venv.rglob("*") if p.is_file() and not p.is_symlink())
    assert size < 1_000_000_000, f"the light install takes {size / 1e6:.0f} MB"

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPDESK_")}
    env["HF_HUB_OFFLINE"] = "1"
    clipdesk = [str(venv / "bin" / "clipdesk"), "--home", str(tmp_path / "home")]
    run = dict(capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    added = subprocess.run([*clipdesk, "--model", "test", "add", str(shapes_dir)], **run)
    assert added.returncode == 0 and "36 embedded" in added.stdout, added.stderr
    found = subprocess.run([*clipdesk, "search", "red circle", "--limit", "1"], **run)
    assert found.returncode == 0 and "red_circle" in found.stdout, found.stderr
    other = [str(venv / "bin" / "clipdesk"), "--home", str(tmp_path / "other")]
    other = subprocess.run([*other, "--model", "ViT-B-32:openai", "add", str(shapes_dir)], **run)
    assert other.returncode == 1 and len(other.stderr.splitlines()) == 1, other.stderr
    assert EXPORT_LINE in other.stderr
