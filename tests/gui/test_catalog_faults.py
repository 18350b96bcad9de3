"""A catalog the window cannot use says so in a message that stays, naming the fix; no
traceback, no silent empty window (issue 13, item 5)."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog


def _catalog(home):
    path = home / "data" / "catalog.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _damaged(path):
    path.write_bytes(b"this is no database, " * 300)


def _too_new(path):
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()  # checkpointed now, not when the connection is collected


def _empty(path):
    path.touch()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_damaged, ["is damaged", "clipdesk repair"]),
        (_empty, ["is empty", "clipdesk repair"]),
        (_too_new, ["schema version 99", "update ClipDesk"]),
    ],
)
def test_a_catalog_fault_is_a_message_that_stays(home, open_window, qtbot, capfd, make, words):
    path = _catalog(home)
    make(path)
    before = path.read_bytes()
    window = open_window(home)
    qtbot.waitUntil(lambda: window.banner.text("catalog") is not None, timeout=10000)
    text = window.banner.text("catalog")
    for w in words:
        assert w in text, text
    assert window.banner.isVisible()
    qtbot.wait(300)  # it stays
    assert window.banner.text("catalog") == text
    assert not window.session.bridge.running  # nothing writes to it
    assert "Traceback" not in capfd.readouterr().err
    assert path.read_bytes() == before  # never replaced or migrated


def test_a_damaged_catalog_met_by_the_worker_is_one_line_not_a_traceback(home, caplog):
    """The worker opening a damaged catalog (e.g. damaged after the window looked) reports
    the fix as an event and logs one line, not a traceback."""
    import logging

    from clipdesk.worker import Worker

    _damaged(_catalog(home))
    events = []
    w = Worker(home, model="test", backend="onnx", watch=False, on_event=events.append)
    with caplog.at_level(logging.WARNING):
        w.start()
        w._thread.join(30)
    w.stop()
    messages = [e.message for e in events if e.kind == "error"]
    assert messages and "clipdesk repair" in messages[0], messages
    assert not any(r.exc_info for r in caplog.records)


def test_check_again_picks_up_a_catalog_fixed_while_the_window_is_open(
    library_home, open_window, qtbot
):
    """The user fixes the catalog in a terminal while the window shows the problem (here: puts
    a good copy back, as after `clipdesk repair`); "Check again" clears the banner, and the
    window reads the catalog and starts its worker as at a normal start."""
    from tests.support.gui import WAIT, wait_rows

    path = _catalog(library_home)
    good = library_home / "good.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    conn.close()
    good.write_bytes(path.read_bytes())
    _damaged(path)
    window = open_window(library_home)
    qtbot.waitUntil(lambda: window.banner.text("catalog") is not None, timeout=10000)
    assert window.library_page.model.rowCount() == 0

    def check_again() -> None:
        (button,) = [b for b in window.banner.buttons("catalog") if b.text() == "Check again"]
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    check_again()  # not fixed yet: the message is still there, nothing started
    assert "is damaged" in (window.banner.text("catalog") or "")
    assert not window.session.bridge.running

    fixed = path.with_name("fixed.tmp")
    fixed.write_bytes(good.read_bytes())
    fixed.replace(path)  # a new file in its place, as `clipdesk repair` leaves it
    check_again()
    assert window.banner.text("catalog") is None
    wait_rows(qtbot, window, 36)  # the photos appear
    qtbot.waitUntil(lambda: window.session.bridge.running, timeout=WAIT)
