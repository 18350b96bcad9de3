"""Close the window and open it again: decisions, vocabulary edits, settings and the window's
own preferences are all as the user left them."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clipdesk.gui.views.settings_dialog import SettingsDialog
from clipdesk.settings import Settings
from tests.support.gui import WAIT, chips, choose_completion, select, stored, wait_rows


def test_restart_finds_everything_as_left(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    row = select(qtbot, window, "green_circle.jpg")
    path = window.library_page.model.brief(row).path
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    choose_completion(qtbot, window.library_page.photo.add_field, "Keep")  # "Create tag"
    qtbot.waitUntil(lambda: stored(library_home, path).get("Keep") == "confirmed", timeout=WAIT)
    window.library_page.search.size_slider.setValue(220)

    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog)
    assert dialog.model.currentData() == "test"
    dialog.naming.setCurrentIndex(dialog.naming.findData("base"))
    dialog.accept()
    window.close()
    assert Settings.load(library_home / "config" / "settings.json").sidecar_naming == "base"

    again = open_window(library_home)
    wait_rows(qtbot, again, 36)
    assert again.library_page.search.size_slider.value() == 220
    assert again.session.thumbs.size == 220
    select(qtbot, again, "green_circle.jpg")
    qtbot.waitUntil(lambda: chips(again).get("Keep") == "confirmed", timeout=10_000)
    assert again.session.settings.sidecar_naming == "base"
    assert again.open_export().naming_base.isChecked()
