"""The window holds its shape: however many tags a photo has, the window stays on the screen
and Accept / Reject stay visible (the chips scroll inside their panel)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint

from tests.support.gui import chips, select, wait_rows


def crowd(home, photo_name: str, suggested: int = 80, confirmed: int = 20) -> None:
    """Give one photo ``suggested`` + ``confirmed`` tags with long names."""
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    (photo_id,) = conn.execute(
        "SELECT id FROM photos WHERE path LIKE ? ORDER BY path LIMIT 1", (f"%{photo_name}",)
    ).fetchone()
    now = time.time()
    with conn:
        for i in range(suggested + confirmed):
            tag_id = conn.execute(
                "INSERT INTO tags(name, threshold, updated_at) VALUES (?, 0.5, ?)",
                (f"A rather long tag name number {i:03d}", now),
            ).lastrowid
            state, source = ("suggested", "model") if i < suggested else ("confirmed", "user")
            conn.execute(
                "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, updated_at) "
                "VALUES (?, ?, ?, ?, 0.7, ?)",
                (photo_id, tag_id, state, source, now),
            )
    conn.close()


def on_screen(window, widget) -> bool:
    """The widget is shown and wholly inside the window, and the window inside the screen."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    inside = window.rect().contains(top_left) and window.rect().contains(
        top_left + QPoint(widget.width() - 1, widget.height() - 1)
    )
    return widget.isVisible() and inside


def test_a_photo_with_a_hundred_tags_keeps_the_window_on_the_screen(
    library_home, open_window, qtbot
):
    crowd(library_home, "red_circle.jpg")
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    screen = window.screen().availableGeometry()
    select(qtbot, window, "red_circle.jpg")
    qtbot.waitUntil(lambda: len(chips(window)) >= 100, timeout=10_000)
    qtbot.wait(200)  # let layouts settle
    frame = window.frameGeometry()
    assert frame.width() <= screen.width() and frame.height() <= screen.height()
    assert window.minimumSizeHint().height() <= screen.height()
    view = window.library_page.photo
    for widget in (view.accept_button, view.reject_button, view.add_field):
        assert on_screen(window, widget), widget.text() or widget.placeholderText()
    # The chips scroll: the last one can be brought into view with the keyboard.
    for _ in range(len(chips(window))):
        view.chips.move_focus(1)
    view.chips.focus(view.chips.buttons[-1].chip.tag_id)

    def focused_in_view() -> bool:  # the chips may be re-read meanwhile: find it again
        chip = next((b for b in view.chips.buttons if b.focused), None)
        scrolled = -view.chips_scroll.verticalScrollBar().value()
        return chip is not None and view.chips_scroll.viewport().rect().intersects(
            chip.geometry().translated(0, scrolled)
        )

    qtbot.waitUntil(focused_in_view, timeout=5_000)


def _start(cmd: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


@pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("openbox")), reason="needs Xvfb and openbox"
)
@pytest.mark.parametrize("size", ["1280x800", "1920x1080"])
def test_under_a_real_window_manager_the_window_fits_the_screen(library_home, tmp_path, size):
    """What offscreen tests cannot see: Xvfb at a real screen size, openbox managing the
    window (decorations, placement), the app on Qt's xcb platform."""
    crowd(library_home, "red_circle.jpg")
    display = f":{90 + int(size.split('x')[0]) % 7}"
    xvfb = _start(["Xvfb", display, "-screen", "0", f"{size}x24", "-nolisten", "tcp"])
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    try:
        time.sleep(1.0)
        wm = _start(["openbox"], env=env)
        time.sleep(1.0)
        out = tmp_path / "probe.json"
        probe = Path(__file__).with_name("window_probe.py")
        proc = subprocess.run(
            [sys.executable, str(probe), str(library_home), "red_circle.jpg", str(out)],
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        seen = json.loads(out.read_text())
        wm.terminate()
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    width, height = (int(v) for v in size.split("x"))
    x, y, w, h = seen["frame"]
    assert seen["chips"] >= 100
    assert 0 <= x and 0 <= y and x + w <= width and y + h <= height, seen
    assert seen["accept_visible"] and seen["reject_visible"] and seen["add_field_visible"], seen
    assert seen["status_bar_visible"], seen
    # The sidebar: a few folders' rows, and the room to the tag tree (issue 31).
    assert seen["folders_height"] <= 6 * seen["folder_row"], seen
    assert seen["tags_height"] >= 3 * seen["folders_height"], seen
