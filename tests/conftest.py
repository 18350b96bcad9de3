"""Shared fixtures: a ClipDesk home per test, the real test model, generated photos, a local
model hub. Helpers that test modules import live in tests/support/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never download anything, and never touch the user's real ClipDesk folders.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def home(tmp_path, monkeypatch, onnx_cache) -> Path:
    """An empty ClipDesk home; the ONNX export of the test model is shared between tests."""
    h = tmp_path / "home"
    monkeypatch.setenv("CLIPDESK_HOME", str(h))
    (h / "cache").mkdir(parents=True)
    os.symlink(onnx_cache, h / "cache" / "onnx")
    return h


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def embedder(onnx_cache, tmp_path_factory):
    """The test model on ONNX Runtime (the CPU backend users get), loaded once."""
    from clipdesk.embedding import load_embedder

    return load_embedder(
        "test", backend="onnx", weights_dir=tmp_path_factory.mktemp("w"), onnx_dir=onnx_cache
    )


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory) -> Path:
    """36 generated photos, two of each colour-shape class, named by their class."""
    from clipdesk.testing.synthetic import write_folder

    folder = tmp_path_factory.mktemp("shapes")
    write_folder(folder, 36, seed=7)
    return folder


@pytest.fixture
def shapes(tmp_path, shapes_dir) -> Path:
    """A private copy of the generated photos that a test may move, delete or add to."""
    import shutil

    dest = tmp_path / "photos"
    shutil.copytree(shapes_dir, dest)
    return dest


@pytest.fixture
def hub(monkeypatch):
    """The local hub, with HF_ENDPOINT at it and the tests' offline switch off."""
    from tests.support.model_hub import HubServer

    server = HubServer()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "")
    yield server
    server.close()


@pytest.fixture
def compact_everywhere(monkeypatch):
    """The compact scan on any library size."""
    import clipdesk.search.index as search

    monkeypatch.setattr(search, "COMPACT_MIN_ROWS", 0)
    monkeypatch.setattr(search, "SHORTLIST", 200)
