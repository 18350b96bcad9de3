"""Switching to the test model on a vocabulary of everyday subjects: the window says the
test model cannot see them and offers its own vocabulary; one click switches and the
photos get their colours and shapes, "Keep mine" leaves the vocabulary as it was."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog
from clipdesk.pipeline.scanner import scan
from clipdesk.tagging.vocabulary import DEFAULT_VOCABULARY, TEST_MODEL_VOCABULARY, load
from tests.support.gui import WAIT, tag_items, tag_paths

MISSING = "ViT-B-32:/no/such/weights.safetensors"  # its first run seeds the default vocabulary
OFFER = "The test model knows colours and shapes only; your vocabulary has 118 tags it cannot see."


def open_without_a_model(home, shapes, qtbot):
    """A window whose model cannot be had, over photos known but not embedded."""
    from clipdesk.gui.app import create_window

    with Catalog(home / "data" / "catalog.sqlite3") as cat:
        cat.add_folder(shapes)
        scan(cat, None)
    window = create_window(home, model=MISSING, watch=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.banner.text("model") is not None, timeout=WAIT)
    assert tag_paths(home) == {s.path for s in load(DEFAULT_VOCABULARY)}
    return window


def click(qtbot, banner, key: str, caption: str) -> None:
    button = next(b for b in banner.buttons(key) if b.text() == caption)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def suggested(home, name_end: str) -> set[str]:
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        rows = conn.execute(
            "SELECT t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
            "JOIN photos p ON p.id = pt.photo_id WHERE pt.state = 'suggested' AND p.path LIKE ?",
            (f"%{name_end}",),
        )
        return {r[0] for r in rows}
    finally:
        conn.close()


def test_use_the_test_model_then_its_vocabulary(home, shapes, qtbot):
    window = open_without_a_model(home, shapes, qtbot)
    banner = window.banner
    click(qtbot, banner, "model", "Use the test model")
    qtbot.waitUntil(lambda: banner.text("vocabulary") is not None, timeout=WAIT)
    assert banner.text("vocabulary") == OFFER
    assert [b.text() for b in banner.buttons("vocabulary")] == [
        "Use its vocabulary",
        "Keep mine",
        "Dismiss",
    ]

    click(qtbot, banner, "vocabulary", "Use its vocabulary")
    assert banner.text("vocabulary") is None
    test_vocabulary = {s.path for s in load(TEST_MODEL_VOCABULARY)}
    qtbot.waitUntil(lambda: tag_paths(home) == test_vocabulary, timeout=WAIT)
    # The photos are tagged with what the test model sees: every red circle is red.
    qtbot.waitUntil(lambda: {"Red", "Circle"} <= suggested(home, "_red_circle.jpg"), timeout=WAIT)
    qtbot.waitUntil(lambda: window.status.progress_label.text() == "Up to date", timeout=WAIT)
    window.show_page(window.vocab_page)
    shown = {item.text(0) for item in tag_items(window.vocab_page.tree)}
    assert {"Colours", "Red", "Shapes", "Circle"} <= shown and "Animals" not in shown
    assert banner.text("vocabulary") is None
    window.close()


def test_settings_choose_the_test_model_and_keep_mine(home, shapes, qtbot):
    window = open_without_a_model(home, shapes, qtbot)
    dialog = window.open_settings()
    dialog.model.setCurrentIndex(dialog.model.findData("test"))
    dialog.accept()
    banner = window.banner
    qtbot.waitUntil(lambda: banner.text("vocabulary") is not None, timeout=WAIT)
    assert banner.text("vocabulary") == OFFER

    click(qtbot, banner, "vocabulary", "Keep mine")
    assert banner.text("vocabulary") is None
    qtbot.waitUntil(lambda: window.status.progress_label.text() == "Up to date", timeout=WAIT)
    assert tag_paths(home) == {s.path for s in load(DEFAULT_VOCABULARY)}
    assert not (home / "data" / "vocabulary-backups").exists()
    assert banner.text("vocabulary") is None
    window.close()
