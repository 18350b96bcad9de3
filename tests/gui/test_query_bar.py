"""The search bar speaks the query language: a hint, a reason that stays for a query that
cannot be read, "Show N more" for the weaker matches, and "Find similar" with text."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from clipdesk.gui.adapters.grid_model import ScoreRole
from tests.support.gui import WAIT, names, wait_rows


def search(qtbot, window, text: str) -> None:
    field = window.library_page.search.field
    field.setFocus()
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_the_bar_hints_at_the_syntax_and_explains_a_query_it_cannot_read(
    library_home, open_window, qtbot
):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    bar = window.library_page.search
    assert "-people" in bar.field.placeholderText() and "dog:2" in bar.field.placeholderText()
    assert "Search syntax" in bar.field.toolTip()

    search(qtbot, window, "dog:abc")
    assert bar.error_label.isVisible()
    assert "the weight after ':' is a number" in bar.error_label.text()
    qtbot.wait(200)
    assert window.library_page.model.rowCount() == 36  # nothing was searched
    assert bar.error_label.isVisible()  # the reason stays ...
    qtbot.keyClick(bar.field, Qt.Key.Key_Backspace)
    assert not bar.error_label.isVisible()  # ... until the user edits the query

    search(qtbot, window, "-red")
    assert "say what to find too" in bar.error_label.text()


def test_weaker_matches_are_hidden_behind_show_more(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    bar, model = window.library_page.search, window.library_page.model

    search(qtbot, window, "red")  # 6 red photos (2 per shape) among 36
    qtbot.waitUntil(lambda: bar.more_button.isVisible(), timeout=WAIT)
    shown = model.rowCount()
    assert 5 <= shown <= 8 and sum("_red_" in n for n in names(window)) >= 5, names(window)
    assert bar.more_button.text() == f"Show {36 - shown} more"
    qtbot.mouseClick(bar.more_button, Qt.MouseButton.LeftButton)
    wait_rows(qtbot, window, 36)
    assert not bar.more_button.isVisible()
    assert model.score(0) >= model.score(35)

    search(qtbot, window, "giraffe")  # a word the test model never learned
    qtbot.waitUntil(lambda: bar.more_button.text() == "Show 36 more", timeout=WAIT)
    wait_rows(qtbot, window, 0)
    page = window.library_page
    assert page.grid_stack.currentWidget() is page.empty
    assert "No photo matches “giraffe” well" in page.empty.text()
    qtbot.mouseClick(bar.more_button, Qt.MouseButton.LeftButton)
    wait_rows(qtbot, window, 36)  # the closest, for a user who asks

    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is None, timeout=10_000)
    assert not bar.more_button.isVisible()


def test_find_similar_then_text_finds_photos_like_it_with_what_the_text_says(
    library_home, open_window, qtbot
):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    model, grid = window.library_page.model, window.library_page.grid
    bar = window.library_page.search
    row = next(i for i, n in enumerate(names(window)) if n.endswith("green_triangle.jpg"))
    grid.setCurrentIndex(model.index(row))
    qtbot.mouseClick(window.library_page.photo.similar_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is not None, timeout=WAIT)
    assert all("_green_" in n for n in names(window, 2)), names(window, 3)
    assert bar.similar_label.isVisible() and bar.similar_label.text().startswith("Like ")

    search(qtbot, window, "red")
    qtbot.waitUntil(lambda: names(window, 1)[0].endswith("red_triangle.jpg"), timeout=WAIT)
    # The example's shape, the text's colour first: then the example's other triangles.
    assert all(n.endswith("_triangle.jpg") for n in names(window, 3)), names(window, 4)
    assert bar.similar_label.isVisible()  # still like the example, narrowed by the text

    qtbot.mouseClick(bar.clear_similar, Qt.MouseButton.LeftButton)
    wait_rows(qtbot, window, 36)
    assert not bar.similar_label.isVisible()


def add_copies(home: Path, copies: int) -> int:
    """Catalogue ``copies`` hard links of every photo as its original is (embedding and
    all), the way a large library of look-alikes would be; the number of photos then."""
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    cols = [r[1] for r in conn.execute("PRAGMA table_info(photos)") if r[1] not in ("id", "path")]
    vec_cols = [r[1] for r in conn.execute("PRAGMA table_info(embeddings)") if r[1] != "photo_id"]
    originals = conn.execute("SELECT id, path FROM photos").fetchall()
    with conn:
        for k in range(copies):
            for photo_id, path in originals:
                copy = Path(path).with_name(f"{Path(path).stem}_{k:04d}.jpg")
                os.link(path, copy)
                row = conn.execute(
                    f"INSERT INTO photos (path, {', '.join(cols)}) "
                    f"SELECT ?, {', '.join(cols)} FROM photos WHERE id = ?",
                    (str(copy), photo_id),
                )
                conn.execute(
                    f"INSERT INTO embeddings (photo_id, {', '.join(vec_cols)}) "
                    f"SELECT ?, {', '.join(vec_cols)} FROM embeddings WHERE photo_id = ?",
                    (row.lastrowid, photo_id),
                )
    (n,) = conn.execute("SELECT COUNT(*) FROM photos").fetchone()
    conn.close()
    return n


def test_the_window_lists_every_match_and_hides_what_the_terminal_hides(
    library_home, open_window, qtbot
):
    total = add_copies(library_home, 340)  # 12,276 photos: "red" finds over 2,000
    window = open_window(library_home)
    wait_rows(qtbot, window, total)
    bar, model = window.library_page.search, window.library_page.model

    search(qtbot, window, "red")
    qtbot.waitUntil(lambda: bar.more_button.isVisible(), timeout=WAIT)
    shown = model.rowCount()
    reds = total // 36 * 6  # every red photo (2 of each shape in 36), all listed
    assert shown > 2000 and sum("_red_" in n for n in names(window)) == reds, shown
    assert bar.more_button.text() == f"Show {total - shown:,} more"

    terminal = subprocess.run(
        [sys.executable, "-m", "clipdesk", "--home", str(library_home), "--model", "test"]
        + ["search", "red"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert len(terminal.stdout.splitlines()) == 20  # the best 20 of the same matches
    assert terminal.stderr.splitlines() == [
        f"{shown - 20:,} more matches past --limit 20",
        f"{total - shown:,} weaker matches hidden; --all shows them",
    ]

    qtbot.mouseClick(bar.more_button, Qt.MouseButton.LeftButton)
    wait_rows(qtbot, window, total)  # the whole library, best first
    assert not bar.more_button.isVisible()
    assert model.score(0) >= model.score(shown) >= model.score(total - 1)
