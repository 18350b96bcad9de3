"""The model download in the window: a progress row (bytes, rate, time left) with Cancel,
while browsing and manual tagging go on; a search waits for the model and then runs; Cancel
leaves the message with its ways on; Retry resumes the partial file, and the finished
download goes on to tag the photos. Against a
real local model hub (tests/support/model_hub.py's HubServer)."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog
from clipdesk.gui.adapters.grid_model import ScoreRole
from clipdesk.pipeline.scanner import scan
from tests.support.gui import WAIT, names, wait_rows
from tests.support.model_hub import MODEL, HubServer, own_onnx_cache


@pytest.fixture
def hub(monkeypatch):
    server = HubServer()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    yield server
    server.close()


def test_the_download_shows_progress_cancels_resumes_and_then_tags(home, shapes, hub, qtbot):
    from clipdesk.gui.app import create_window
    from clipdesk.ops import tags as tag_ops

    own_onnx_cache(home)
    with Catalog(home / "data" / "catalog.sqlite3") as cat:  # photos known, none embedded
        cat.add_folder(shapes)
        scan(cat, None)
    hub.delay = 0.1  # about 12 s for the 7.5 MB: time to look, tag and cancel
    window = create_window(home, model=MODEL, backend="onnx", watch=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_rows(qtbot, window, 36)
    row = window.download_row
    qtbot.waitUntil(lambda: row.isVisible() and "MB of 7.5 MB" in row.label.text(), timeout=WAIT)
    assert "open_clip_model.safetensors" in row.label.text()
    qtbot.waitUntil(lambda: "MB/s" in row.label.text() and "left" in row.label.text(), timeout=WAIT)
    assert "Downloading the model" in window.status.progress_label.text()
    thumbs = home / "cache" / "thumbnails"  # photos found before are shown meanwhile
    qtbot.waitUntil(lambda: len(list(thumbs.glob("*/*.jpg"))) == 36, timeout=WAIT)

    # A search typed meanwhile says it waits for the model, and runs once it is in (below).
    bar = window.library_page.search
    bar.field.setFocus()
    qtbot.keyClicks(bar.field, "red circle")
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "runs as soon as it is in" in bar.error_label.text(), timeout=WAIT)
    assert bar.error_label.isVisible()

    # While it downloads, the worker still does what the user asks (a tag, by hand).
    red = str(sorted(shapes.glob("*red_circle.jpg"))[0])
    done = []
    window.session.bridge.submit(
        lambda lib: tag_ops.add_tag(lib, tag_ops.photo_ids(lib, [red]), "Trips|Beach"),
        done=done.append,
    )
    qtbot.waitUntil(lambda: len(done) == 1, timeout=10_000)
    assert row.isVisible()  # and the download goes on
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    confirmed = "SELECT COUNT(*) FROM photo_tags WHERE tag_id = ? AND state = 'confirmed'"
    assert conn.execute(confirmed, (done[0],)).fetchone()[0] == 1

    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    banner = window.banner
    qtbot.waitUntil(lambda: banner.text("model") is not None, timeout=WAIT)
    assert not row.isVisible()
    assert "kept" in banner.text("model") and "resumes" in banner.text("model")
    assert [b.text() for b in banner.buttons("model")] == [
        "Retry",
        "Choose a file…",
        "Use the test model",
        "Dismiss",
    ]
    (part,) = home.rglob("*.part")
    kept = part.stat().st_size
    assert 0 < kept < len(hub.weights)
    wait_rows(qtbot, window, 36)  # still browsable

    hub.delay = 0.0
    retry = next(b for b in banner.buttons("model") if b.text() == "Retry")
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)

    def embedded() -> int:
        return conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]

    qtbot.waitUntil(lambda: embedded() == 36, timeout=WAIT)  # downloaded, then indexed
    conn.close()
    assert hub.gets()[-1][2] == f"bytes={kept}-"
    assert not row.isVisible() and banner.text("model") is None
    # the waiting search ran by itself: red circles first, the notice gone
    model = window.library_page.model
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is not None, timeout=WAIT)
    assert all("red_circle" in n for n in names(window, 2)), names(window, 4)
    assert not bar.error_label.isVisible()
    qtbot.waitUntil(lambda: window.status.progress_label.text() == "Up to date", timeout=WAIT)
    window.close()
