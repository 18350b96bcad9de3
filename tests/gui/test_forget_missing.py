"""The Folders box's "Forget missing photos…": asks how many, forgets only after a yes, and
only the photos whose files are gone (issue 26, item 5)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from clipdesk.catalog import Catalog
from tests.support.gui import WAIT, wait_idle, wait_rows


def test_forget_missing_photos_after_confirming(
    library_home, shapes, open_window, qtbot, monkeypatch
):
    gone = sorted(shapes.glob("*.jpg"))[:2]
    with Catalog(library_home / "data" / "catalog.sqlite3", readonly=True) as cat:
        hashes = [cat.photo_by_path(p).hash for p in gone]
    thumbs = [library_home / "cache" / "thumbnails" / h[:2] / f"{h}.jpg" for h in hashes]
    assert all(t.exists() for t in thumbs)
    for p in gone:
        p.unlink()
    window = open_window(library_home)
    photos = window.status.photos_label
    qtbot.waitUntil(lambda: "2 offline" in photos.text(), timeout=WAIT)
    wait_rows(qtbot, window, 36)  # missing photos stay listed, greyed, until forgotten

    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    sidebar = window.library_page.sidebar
    assert sidebar.forget_action in sidebar.folders.actions()  # the folder list's menu

    sidebar.forget_action.trigger()  # with "All photos" selected: every folder
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=WAIT)
    assert asked[0].startswith("Forget 2 missing photos?") and "No file is touched" in asked[0]
    wait_idle(qtbot, window)
    assert "2 offline" in photos.text() and window.library_page.model.rowCount() == 36

    answer[0] = QMessageBox.StandardButton.Yes
    sidebar.forget_action.trigger()
    wait_rows(qtbot, window, 34)
    qtbot.waitUntil(lambda: "offline" not in photos.text(), timeout=WAIT)
    assert window.status.currentMessage().startswith("Forgot 2 missing photos")
    with Catalog(library_home / "data" / "catalog.sqlite3", readonly=True) as cat:
        assert cat.status_counts()["missing"] == 0
        assert all(cat.photo_by_path(p) is None for p in gone)
        assert len(cat.present_photos()) == 34  # every photo that is there stays
    assert not any(t.exists() for t in thumbs)  # their thumbnails went with them
