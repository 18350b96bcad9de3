"""When the model cannot be had, the window says so until the user picks a way on: the
message stays, offers Retry / Choose a file / Use the test model, the status bar never
says "Up to date" while photos wait, and the photos are browsable meanwhile."""

from __future__ import annotations

import re
import sqlite3

from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog
from clipdesk.pipeline.scanner import scan
from tests.support.gui import WAIT, wait_rows


def test_a_missing_model_is_a_message_that_stays_with_its_ways_on(home, shapes, qtbot):
    from clipdesk.gui.app import create_window

    with Catalog(home / "data" / "catalog.sqlite3") as cat:  # photos known, none embedded
        cat.add_folder(shapes)
        scan(cat, None)
    window = create_window(home, model="ViT-B-32:/no/such/weights.safetensors", watch=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_rows(qtbot, window, 36)  # browsing works without a model
    banner = window.banner
    qtbot.waitUntil(lambda: banner.text("model") is not None, timeout=WAIT)
    text = banner.text("model")
    assert "Weights file not found" in text  # a sentence of its own after the bold title
    assert re.search(r"^<b>Photos wait for a model\.</b> [A-Z]", text), text
    assert [b.text() for b in banner.buttons("model")] == [
        "Retry",
        "Choose a file…",
        "Use the test model",
        "Dismiss",
    ]
    qtbot.wait(1500)  # it stays (a status message would be gone by now or soon)
    assert banner.isVisible() and banner.text("model") is not None
    assert "Up to date" not in window.status.progress_label.text()
    assert "Waiting for a model" in window.status.progress_label.text()

    use_test = next(b for b in banner.buttons("model") if b.text() == "Use the test model")
    qtbot.mouseClick(use_test, Qt.MouseButton.LeftButton)
    assert banner.text("model") is None
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")

    def embedded() -> int:
        return conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]

    qtbot.waitUntil(lambda: embedded() == 36, timeout=WAIT)  # the photos get tagged
    qtbot.waitUntil(lambda: window.status.progress_label.text() == "Up to date", timeout=WAIT)
    conn.close()
    window.close()
