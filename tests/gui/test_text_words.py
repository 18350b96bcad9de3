"""Words in photos in the window (issue 30): a `text:` search in the search bar lists the
photos whose words hold it, and the photo panel shows the words read in the photo selected.
The words are put in the catalog as the text step stores them (its OCR is tested in
tests/integration/test_text.py)."""

from __future__ import annotations

import sqlite3
import time

from PySide6.QtCore import Qt

from tests.support.gui import WAIT, names, wait_rows


def _read(home, words: dict[str, str]) -> None:
    """Store ``words`` (file name -> the text read) as the text step does."""
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    with conn:
        for name, text in words.items():
            (photo_id,) = conn.execute(
                "SELECT id FROM photos WHERE path LIKE ?", (f"%{name}",)
            ).fetchone()
            conn.execute(
                "INSERT INTO photo_text(photo_id, text, likeness, engine, at) VALUES (?,?,?,?,?)",
                (photo_id, text, None, "test", time.time()),
            )
            conn.execute("UPDATE photos SET text_read = 1 WHERE id = ?", (photo_id,))
    conn.close()


def test_search_by_words_and_see_the_words_of_a_photo(library_home, shapes, open_window, qtbot):
    first, second = sorted(p.name for p in shapes.glob("*.jpg"))[:2]
    _read(library_home, {first: "MENU du jour\nSoupe", second: "OPEN 24 HOURS"})
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    field = window.library_page.search.field
    field.setFocus()
    qtbot.keyClicks(field, 'text:"open 24"')
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: names(window) == [second], timeout=WAIT)
    assert not window.library_page.search.error_label.isVisible()

    field.clear()
    qtbot.keyClicks(field, "text:soup")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: names(window) == [first], timeout=WAIT)
    grid, model = window.library_page.grid, window.library_page.model
    grid.setCurrentIndex(model.index(0))
    words = window.library_page.photo.words
    qtbot.waitUntil(words.isVisible, timeout=WAIT)
    assert "MENU du jour" in words.text() and "Soupe" in words.text()

    qtbot.keyClick(field, Qt.Key.Key_Escape)  # back to every photo: one without words
    wait_rows(qtbot, window, 36)
    row = names(window).index(sorted(p.name for p in shapes.glob("*.jpg"))[5])
    grid.setCurrentIndex(model.index(row))
    qtbot.waitUntil(lambda: not words.isVisible(), timeout=WAIT)
