"""The window with a broken torch (mismatched wheels: importing it raises ``RuntimeError:
operator torchvision::nms does not exist``), met by the worker: the banner says what is
wrong and what repairs it, and the status bar never says "Up to date" while photos wait.
The broken packages are real folders at the front of sys.path."""

from __future__ import annotations

import html
import re
import sqlite3
import sys

import pytest

from clipdesk.catalog import Catalog
from clipdesk.embedding import backends, prebuilt
from clipdesk.pipeline.scanner import scan
from tests.support.broken_torch import LAST_LINE, broken_packages
from tests.support.gui import WAIT, wait_rows

STACK = ("torch", "torchvision", "open_clip")


@pytest.fixture
def broken_torch(tmp_path, monkeypatch):
    """torch and torchvision that raise on import, first on sys.path; the real ones (if this
    process imported them) are put back afterwards."""
    saved = {k: m for k, m in sys.modules.items() if k.split(".")[0] in STACK}
    for name in saved:
        del sys.modules[name]
    monkeypatch.syspath_prepend(str(broken_packages(tmp_path / "broken", "torch", "torchvision")))
    monkeypatch.setattr(prebuilt, "_broken", [])
    monkeypatch.setattr(prebuilt, "_checked", [])
    yield
    for name in [k for k in sys.modules if k.split(".")[0] in STACK]:
        del sys.modules[name]
    sys.modules.update(saved)


def _plain(text: str | None) -> str:
    """The banner's words as the user reads them (no markup, no word joiners)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", text or "")).replace("\u2060", "")


def _known_photos(home, shapes) -> None:
    with Catalog(home / "data" / "catalog.sqlite3") as cat:  # photos known, none embedded
        cat.add_folder(shapes)
        scan(cat, None)


def _embedded(home) -> int:
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        return conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    finally:
        conn.close()


def _window(qtbot, home, backend: str):
    from clipdesk.gui.app import create_window

    window = create_window(home, model="test", backend=backend, watch=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_torch_backend_with_a_broken_torch_says_so_and_photos_wait(
    home, shapes, qtbot, broken_torch
):
    _known_photos(home, shapes)
    window = _window(qtbot, home, "cpu")
    wait_rows(qtbot, window, 36)  # browsing works meanwhile
    banner = window.banner
    qtbot.waitUntil(lambda: banner.text("model") is not None, timeout=WAIT)
    text = _plain(banner.text("model"))
    assert "installed but broken" in text and LAST_LINE in text, text
    assert "repair it with pip install --force-reinstall 'clipdesk[gpu]'" in " ".join(text.split())
    assert "Problem:" not in text
    qtbot.wait(500)
    label = window.status.progress_label.text()
    assert "Up to date" not in label and "Waiting for a model" in label
    assert _embedded(home) == 0
    window.close()


def test_auto_with_a_gpu_driver_and_a_broken_torch_indexes_on_onnx_and_says_why(
    home, shapes, qtbot, broken_torch, monkeypatch
):
    """A GPU driver is there (the probe says so), so the worker asks torch, which fails: the
    photos are tagged on ONNX Runtime, and a banner says why the GPU is not used."""
    monkeypatch.setattr(backends, "cuda_driver_present", lambda: True)
    _known_photos(home, shapes)
    window = _window(qtbot, home, "auto")
    qtbot.waitUntil(lambda: _embedded(home) == 36, timeout=WAIT)
    banner = window.banner
    qtbot.waitUntil(lambda: banner.text("backend") is not None, timeout=WAIT)
    text = _plain(banner.text("backend"))
    assert "Torch is installed but broken" in text and LAST_LINE in text, text
    assert "ONNX Runtime runs on the CPU instead" in text and "--force-reinstall" in text
    assert "Problem:" not in " ".join(filter(None, (banner.text(k) for k in banner.rows)))
    assert window.status.model_label.text().endswith(
        "CPU (ONNX Runtime): torch is installed but broken"
    )
    qtbot.waitUntil(lambda: window.status.progress_label.text() == "Up to date", timeout=WAIT)
    window.close()
