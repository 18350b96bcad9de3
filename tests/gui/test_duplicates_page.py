"""The Duplicates page: copies found on the worker, shown side by side, one kept and the
others rejected (a flag in the catalog; no file touched), and the reject undone."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog
from tests.support.gui import WAIT, wait_idle, wait_rows


def rejected_names(home) -> set[str]:
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        rows = cat.conn.execute("SELECT path FROM photos WHERE rejected = 1").fetchall()
    return {r[0].rsplit("/", 1)[-1] for r in rows}


def test_keep_one_copy_and_reject_the_others(library_home, shapes, open_window, qtbot):
    originals = sorted(shapes.glob("*.jpg"))[:2]
    for src in originals:  # a half-size and a recompressed copy of two photos
        im = Image.open(src)
        im.resize((im.width // 2, im.height // 2)).save(shapes / f"{src.stem}_small.jpg")
        im.save(shapes / f"{src.stem}_q40.jpg", quality=40)
    before = {p.name: p.read_bytes() for p in shapes.glob("*.jpg")}
    window = open_window(library_home)
    wait_rows(qtbot, window, 40)
    wait_idle(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    page, ctl = window.duplicates_page, window.duplicates_controller
    assert window.pages.currentWidget() is page
    qtbot.mouseClick(page.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.groups.count() == 2, timeout=WAIT)
    assert page.summary.text().startswith("2 groups, 6 photos")

    # The first group's photos side by side, the keeper (full size) first and starred.
    assert page.photos.count() == 3
    texts = [page.photos.item(i).text() for i in range(3)]
    assert texts[0].startswith("★ keeper") and not texts[0].endswith("_small.jpg")
    group = ctl.current()
    stem = group.keeper.path.rsplit("/", 1)[-1][:-4].removesuffix("_q40")
    assert {m.path.rsplit("/", 1)[-1] for m in group.members} == {
        f"{stem}.jpg",
        f"{stem}_small.jpg",
        f"{stem}_q40.jpg",
    }
    # Choose the small copy as the keeper instead (K), then reject the others (R).
    page.photos.setCurrentRow([i for i, t in enumerate(texts) if t.endswith("_small.jpg")][0])
    qtbot.keyClick(page.photos, Qt.Key.Key_K)
    assert page.photos.item(0).text().endswith("_small.jpg")
    qtbot.keyClick(page.photos, Qt.Key.Key_R)
    others = {f"{stem}.jpg", f"{stem}_q40.jpg"}
    qtbot.waitUntil(lambda: rejected_names(library_home) == others, timeout=WAIT)
    assert page.groups.currentRow() == 1  # on to the next group
    assert page.groups.item(0).text().startswith("✓")

    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rejected_names(library_home) == set(), timeout=WAIT)
    assert page.groups.currentRow() == 0 and not page.groups.item(0).text().startswith("✓")
    # Nothing was deleted or changed on disk.
    assert {p.name: p.read_bytes() for p in shapes.glob("*.jpg")} == before
