"""The window's Export dialog writes a rejected photo's reject rating like `clipdesk export`:
the dry run lists it, and the sidecar written holds xmp:Rating -1 (exiftool reads it)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog, flags
from tests.support.gui import WAIT, select, wait_idle, wait_rows

pytestmark = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool not installed")


def test_the_export_dialog_writes_the_reject_rating(library_home, shapes, open_window, qtbot):
    with Catalog(library_home / "data" / "catalog.sqlite3") as cat:
        photo_id, path = cat.present_photos()[0]
        flags.set_reject_flag(cat, [photo_id])
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    wait_idle(qtbot, window)

    dialog = window.open_export()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith(("Dry run", "Nothing")), timeout=WAIT)
    summary = dialog.summary.text()
    assert summary.startswith("Dry run: 1 sidecar would be written")
    assert "already up to date" not in summary  # the others have no sidecar at all (issue 31)
    assert f"{path}.xmp: rating: rejected" in dialog.details.toPlainText()  # with its folder
    assert not list(shapes.glob("*.xmp"))
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Done"), timeout=WAIT)
    out = subprocess.run(
        ["exiftool", "-j", "-XMP:Rating", f"{path}.xmp"], capture_output=True, text=True
    ).stdout
    assert json.loads(out)[0]["Rating"] == -1
    dialog.close()


def test_the_export_dialog_offers_the_selection_as_it_is(library_home, open_window, qtbot):
    """None, one or several photos selected: the choice says which (never "The 0 selected
    photos"), and all photos stay the default unless several are selected."""
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    dialog = window.open_export()
    assert dialog.selected_photos.text() == "Selected photos (none is selected)"
    assert dialog.all_photos.isChecked() and not dialog.selected_photos.isEnabled()
    dialog.close()
    select(qtbot, window, "red_circle.jpg")
    dialog = window.open_export()
    assert dialog.selected_photos.text() == "The selected photo"
    assert dialog.all_photos.isChecked() and dialog.selected_photos.isEnabled()
    dialog.close()
    select(qtbot, window, "blue_square.jpg", Qt.KeyboardModifier.ControlModifier)
    dialog = window.open_export()
    assert dialog.selected_photos.text() == "The 2 selected photos"
    assert dialog.selected_photos.isChecked()
    dialog.close()
