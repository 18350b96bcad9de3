"""The cues peers have: badges on thumbnails, full names in tooltips, an About box, and every
model the app knows in Settings (the test model too)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clipdesk import __version__
from clipdesk.gui.grid_model import CellRole
from clipdesk.gui.settings_dialog import SettingsDialog
from tests.gui.helpers import WAIT, wait_rows
from tests.gui.test_tagging import chips, select


def test_badges_show_confirmed_tags_and_suggestions_to_review(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    model = window.library_page.model
    row = select(qtbot, window, "red_circle.jpg")
    qtbot.waitUntil(lambda: "red" in chips(window), timeout=10_000)
    name, _, _, _, confirmed, to_review = model.data(model.index(row), CellRole)
    assert name.endswith("red_circle.jpg") and confirmed == 0 and to_review > 0
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_A)  # accept the focused suggestion

    def counts():
        cell = model.data(model.index(row), CellRole)
        return cell[4], cell[5]

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
