"""The cues peers have: badges on thumbnails, full names in tooltips, an About box, and every
model the app knows in Settings (the test model too)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clipdesk import __version__
from clipdesk.gui.adapters.grid_model import CellRole
from clipdesk.gui.views.settings_dialog import SettingsDialog
from tests.support.gui import WAIT, chips, select, wait_rows


def test_badges_show_confirmed_tags_and_suggestions_to_review(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    model = window.library_page.model
    row = select(qtbot, window, "red_circle.jpg")
    qtbot.waitUntil(lambda: "red" in chips(window), timeout=10_000)
    cell = model.data(model.index(row), CellRole)
    name, confirmed, to_review = cell.name, cell.confirmed, cell.to_review
    assert name.endswith("red_circle.jpg") and confirmed == 0 and to_review > 0
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_A)  # accept the focused suggestion

    def counts():
        cell = model.data(model.index(row), CellRole)
        return cell.confirmed, cell.to_review

    qtbot.waitUntil(lambda: counts() == (1, to_review - 1), timeout=WAIT)
    tip = model.data(model.index(row), Qt.ItemDataRole.ToolTipRole)
    assert "1 confirmed tag" in tip and str(library_home.parent) in tip  # the full path


def test_about_names_the_version_model_backend_and_licences(library_home, open_window):
    window = open_window(library_home)
    text = window.about_text()
    assert __version__ in text and "test model" in text and "onnx" in text
    assert "MIT" in text and "never modified" in text


def test_settings_offer_every_known_model_with_the_test_model(qtbot):
    from clipdesk.settings import Settings

    dialog = SettingsDialog(Settings(), [])
    qtbot.addWidget(dialog)
    offered = [dialog.model.itemData(i) for i in range(dialog.model.count())]
    assert "test" in offered and any(m.startswith("xlm-roberta") for m in offered)
    labels = [dialog.model.itemText(i) for i in range(dialog.model.count())]
    assert all(("MB download" in t or "no download" in t) for t in labels if "Local" not in t)


def test_sort_by_date_taken_and_filter_a_date_range(library_home, open_window, qtbot):
    import sqlite3

    from PySide6.QtCore import QDate

    from tests.support.gui import names

    conn = sqlite3.connect(library_home / "data" / "catalog.sqlite3")
    rows = conn.execute("SELECT id, path FROM photos ORDER BY path").fetchall()
    with conn:  # as EXIF DateTimeOriginal would give: the first 10 in 2023, newest first
        for i, (photo_id, _) in enumerate(rows[:10]):
            taken = f"2023-05-{20 - i:02d}T10:00:00"
            conn.execute("UPDATE photos SET taken_at = ? WHERE id = ?", (taken, photo_id))
    conn.close()
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    bar = window.library_page.search
    bar.sort.setCurrentIndex(bar.sort.findData("date"))
    oldest = rows[9][1].rsplit("/", 1)[-1]  # taken 2023-05-11
    qtbot.waitUntil(lambda: names(window, 1) == [oldest], timeout=5_000)
    assert names(window)[10] == rows[10][1].rsplit("/", 1)[-1]  # undated ones after, by name
    bar.date_from.setDate(QDate(2023, 5, 15))
    bar.date_to.setDate(QDate(2023, 5, 20))
    bar.dated.setChecked(True)
    wait_rows(qtbot, window, 6)  # the 15th to the 20th
    assert "dates" in bar.filter_label.text()
    qtbot.waitUntil(
        lambda: window.status.photos_label.text().startswith("6 filtered of 36"), timeout=5_000
    )
    bar.dated.setChecked(False)
    wait_rows(qtbot, window, 36)
