"""Settings that turn a step on or off while the window runs (faces, places, words): the
running worker follows at once, without a restart, and a step turned back on catches up
with the photos that came meanwhile. Places stand for the three (their step is the
cheapest to run here); a photo given GPS by exiftool is copied into the library."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from tests.support.files import photo_file
from tests.support.gui import WAIT, wait_idle, wait_rows
from tests.support.sidecars import EXIFTOOL, exiftool

pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")


def _places(home) -> list[str]:
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        rows = conn.execute(
            "SELECT t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
            "WHERE pt.source = 'gps'"
        ).fetchall()
    finally:
        conn.close()
    return [name for (name,) in rows]


def test_places_turned_off_then_on_in_settings_name_the_photo_that_came_meanwhile(
    library_home, shapes, open_window, qtbot
):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    wait_idle(qtbot, window)
    settings = window.session.settings
    window._apply_settings(dataclasses.replace(settings, places=False))
    photo = photo_file(shapes / "zz_paris.jpg", (30, 60, 200))
    exiftool(
        "-q", "-overwrite_original", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
        "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", photo,
    )  # fmt: skip
    window.session.bridge.request_index()
    wait_idle(qtbot, window)
    assert _places(library_home) == []  # indexed, but no place named while off
    window._apply_settings(dataclasses.replace(settings, places=True))
    qtbot.waitUntil(lambda: "Paris" in _places(library_home), timeout=WAIT)
