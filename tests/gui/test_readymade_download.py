"""The window, without torch, on the recommended model: its ready-made ONNX export downloads
in the progress row (each graph by name), then the photos are tagged and a search runs.
Against the local model hub serving the test model's weights laid out as rclip's export
(tests/support/readymade_exports.py)."""

from __future__ import annotations

import sqlite3

import pytest

from clipdesk.catalog import Catalog
from clipdesk.embedding import readymade
from clipdesk.pipeline.scanner import scan
from clipdesk.settings import DEFAULT_MODEL
from tests.support.gui import WAIT, names, wait_rows
from tests.support.model_hub import own_onnx_cache
from tests.support.readymade_exports import serve, source_files


@pytest.fixture
def rclip_hub(monkeypatch, tmp_path):
    pytest.importorskip("open_clip")  # to make the files
    files = {DEFAULT_MODEL: source_files(DEFAULT_MODEL, tmp_path / "export")}
    server = serve(monkeypatch, files, DEFAULT_MODEL)
    yield server
    server.close()


def test_the_recommended_model_downloads_its_export_then_tags(home, shapes, rclip_hub, qtbot):
    from clipdesk.gui.app import create_window

    own_onnx_cache(home)
    with Catalog(home / "data" / "catalog.sqlite3") as cat:
        cat.add_folder(shapes)
        scan(cat, None)
    rclip_hub.delay = 0.05
    window = create_window(home, model=DEFAULT_MODEL, backend="auto", watch=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_rows(qtbot, window, 36)
    row = window.download_row
    source = readymade.SOURCES[DEFAULT_MODEL]
    qtbot.waitUntil(lambda: row.isVisible() and "visual.onnx" in row.label.text(), timeout=WAIT)
    assert "Downloading the model" in window.status.progress_label.text()
    rclip_hub.delay = 0.0

    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        count = "SELECT COUNT(*) FROM embeddings"
        qtbot.waitUntil(lambda: conn.execute(count).fetchone()[0] == 36, timeout=WAIT)
    finally:
        conn.close()
    assert not row.isVisible() and window.banner.text("model") is None
    cache = home / "cache"
    assert list(cache.rglob(source.text.path.split("/")[-1]))  # both graphs in the hub cache
    bar = window.library_page.search
    bar.field.setText("red circle")
    bar.field.returnPressed.emit()
    qtbot.waitUntil(lambda: all("red_circle" in n for n in names(window, 2)), timeout=WAIT)
    window.close()
