"""A build without torch (the PyInstaller bundle) runs the test model from a prebuilt,
read-only ONNX export, and says in one line what to do for a model it cannot export.

The bundle is simulated by real `clipdesk` processes in which torch, torchvision and
open_clip cannot be imported (a finder ahead of all others refuses them, as a bundle that
leaves them out would), with ``CLIPDESK_PREBUILT_ONNX`` pointing at a read-only copy of the
test model's export and an empty ONNX cache in the home."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clipdesk.embedding import prebuilt
from tests.support.snippets import RUN_CLIPDESK, run_snippet

REPO = Path(__file__).resolve().parents[2]


# `clipdesk ARGS...` as `python -m clipdesk` runs it, with the torch stack unimportable.
# At exit: one line on stderr listing the refused imports that were tried (asking whether
# torch is installed, importlib.util.find_spec, is not one).
WITHOUT_TORCH = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, json, runpy, sys
    BLOCKED = ("torch", "torchvision", "open_clip", "transformers")
    tried = []

    class Refuse(importlib.abc.Loader):
        def create_module(self, spec):  # an import (find_spec alone only asks)
            tried.append(spec.name)
            raise ModuleNotFoundError(f"No module named {spec.name!r}", name=spec.name)

        def exec_module(self, module):
            pass

    class LeftOut(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                return importlib.machinery.ModuleSpec(name, Refuse())
            return None

    sys.meta_path.insert(0, LeftOut())
    {run}
    print("TRIED " + json.dumps(sorted(set(tried))), file=sys.stderr)
    sys.exit(rc)
    """
).replace("{run}", RUN_CLIPDESK)


def without_torch(*args: str, prebuilt_dir: Path) -> tuple[subprocess.CompletedProcess, list]:
    """(the finished process, the torch-stack imports it tried) of `clipdesk ARGS...`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPDESK_")}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", CLIPDESK_PREBUILT_ONNX=str(prebuilt_dir))
    proc = run_snippet(WITHOUT_TORCH, *args, env=env)
    lines = proc.stderr.splitlines()
    tried = [json.loads(x[len("TRIED ") :]) for x in lines if x.startswith("TRIED ")]
    assert tried, proc.stderr
    proc.stderr = "\n".join(x for x in lines if not x.startswith("TRIED ")).strip()
    return proc, tried[-1]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.fixture
def prebuilt_dir(tmp_path, embedder):
    """A read-only copy of the test model's export, laid out as the bundle ships it."""
    export = Path(embedder.info["onnx_folder"])
    root = tmp_path / "prebuilt-onnx"
    shutil.copytree(export, root / export.name)
    for p in [root, *root.rglob("*")]:
        p.chmod(stat.S_IREAD | (stat.S_IEXEC if p.is_dir() else 0))
    yield root
    for p in [root, *root.rglob("*")]:
        p.chmod(stat.S_IRWXU)


def test_the_test_model_runs_from_a_read_only_prebuilt_export_without_torch(
    tmp_path, prebuilt_dir, shapes
):
    home = tmp_path / "home"
    before = snapshot(prebuilt_dir)

    proc, tried = without_torch(
        "--home", str(home), "--model", "test", "add", str(shapes), prebuilt_dir=prebuilt_dir
    )
    assert proc.returncode == 0, proc.stderr
    assert "36 embedded" in proc.stdout, proc.stdout
    assert tried == []  # nothing even tried torch or open_clip

    proc, tried = without_torch(
        "--home",
        str(home),
        "search",
        "red circle",
        "--limit",
        "2",
        "--json",
        prebuilt_dir=prebuilt_dir,
    )
    assert proc.returncode == 0, proc.stderr
    best = [Path(h["path"]).name.split("_", 1)[1] for h in json.loads(proc.stdout)]
    assert best == ["red_circle.jpg"] * 2 and tried == []

    # The export was copied into the user's cache, and the shipped one left as it was.
    copied = list((home / "cache" / "onnx").glob("test-*/clipdesk.json"))
    assert len(copied) == 1 and snapshot(prebuilt_dir) == before


def test_int8_quantises_the_users_copy_never_the_prebuilt_export(
    tmp_path, prebuilt_dir, monkeypatch
):
    from clipdesk.embedding import load_embedder

    monkeypatch.setenv(prebuilt.ENV, str(prebuilt_dir))
    before = snapshot(prebuilt_dir)
    cache = tmp_path / "onnx"
    model = load_embedder(
        "test", backend="onnx", int8=True, weights_dir=tmp_path / "w", onnx_dir=cache
    )
    vectors = model.encode_texts(["a red circle", "a blue square"])
    assert model.backend == "onnx-cpu-int8" and vectors.shape == (2, model.dim)
    assert Path(model.info["onnx_folder"]).parent == cache
    assert sorted(p.name for p in cache.glob("test-*/*.int8.onnx")) == [
        "image.int8.onnx",
        "text.int8.onnx",
    ]
    assert snapshot(prebuilt_dir) == before


def test_a_model_without_an_export_is_one_line_naming_what_to_do(tmp_path, prebuilt_dir, shapes):
    # A pretrained tag with no ready-made export (never downloaded here) and a model folder
    # of the user's own: neither has an export, and exporting needs torch.
    own = tmp_path / "my-model"
    shutil.copytree(REPO / "models" / "test", own)
    for model in ("ViT-B-16:datacomp_xl_s13b_b90k", str(own)):
        proc, _ = without_torch(
            "--home",
            str(tmp_path / "home"),
            "--model",
            model,
            "add",
            str(shapes),
            prebuilt_dir=prebuilt_dir,
        )
        assert proc.returncode == 1, (model, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        line = proc.stderr.splitlines()[-1]
        assert line.startswith("clipdesk: error: this installation of ClipDesk has no torch"), line
        assert f"--model {model} add FOLDER" in line and "--model test" in line

    # Doing what the line says (a full install exports the model once into the same cache)
    # makes it run here.
    home = str(tmp_path / "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPDESK_")}
    full = [sys.executable, "-m", "clipdesk", "--home", home, "--model", str(own)]
    subprocess.run([*full, "add", str(shapes)], check=True, env=env, cwd=REPO, timeout=600)
    proc, tried = without_torch(
        "--home",
        home,
        "--model",
        str(own),
        "search",
        "red circle",
        "--limit",
        "1",
        prebuilt_dir=prebuilt_dir,
    )
    assert proc.returncode == 0 and tried == [], proc.stderr
    assert "red_circle" in proc.stdout

    # The torch backend on the CPU is no way round it.
    proc, _ = without_torch(
        "--home",
        str(tmp_path / "home"),
        "--model",
        "test",
        "--backend",
        "cpu",
        "add",
        str(shapes),
        prebuilt_dir=prebuilt_dir,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith("use --backend onnx (ONNX Runtime on the CPU)")


def test_a_first_run_without_torch_uses_the_test_model_and_needs_nothing_else(
    tmp_path, prebuilt_dir, shapes
):
    """No model named, no settings yet: the bundle's default is the model it can run."""
    home = tmp_path / "home"
    proc, _ = without_torch("--home", str(home), "status", prebuilt_dir=prebuilt_dir)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    proc, _ = without_torch("--home", str(home), "add", str(shapes), prebuilt_dir=prebuilt_dir)
    assert proc.returncode == 0, proc.stderr
    assert "36 embedded" in proc.stdout, proc.stdout
    assert "torch" not in proc.stderr
