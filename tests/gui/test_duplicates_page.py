"""The Duplicates page: copies found on the worker, shown side by side with their kinds (exact
copy, same picture, similar shot), one kind at a time if asked, one kept and the others
rejected (a flag in the catalog; no file touched), and the reject undone."""

from __future__ import annotations

import shutil

from PIL import Image
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon

from clipdesk.catalog import Catalog
from clipdesk.gui.views.duplicates_page import THUMB
from tests.support.gui import WAIT, wait_idle, wait_rows
from tests.support.scenes import scene_photo


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
    qtbot.waitUntil(  # the page shows it: back on the group undone, no longer done
        lambda: page.groups.currentRow() == 0 and not page.groups.item(0).text().startswith("✓"),
        timeout=WAIT,
    )
    # Nothing was deleted or changed on disk.
    assert {p.name: p.read_bytes() for p in shapes.glob("*.jpg")} == before


def first_lines(page) -> dict[str, str]:
    """Each photo shown, by file name: the first line under its thumbnail."""
    items = [page.photos.item(i) for i in range(page.photos.count())]
    return {it.text().rsplit("\n", 1)[-1]: it.text().split("\n", 1)[0] for it in items}


def show_kind(page, text: str) -> None:
    page.kinds.setCurrentIndex(page.kinds.findText(text))


def test_each_group_and_photo_says_its_kind_and_one_kind_can_be_shown(
    library_home, shapes, open_window, qtbot
):
    scene_photo().save(shapes / "scene.jpg", quality=90)
    shutil.copy(shapes / "scene.jpg", shapes / "scene_copy.jpg")  # an exact copy
    im = Image.open(shapes / "scene.jpg")
    im.save(shapes / "scene_q60.jpg", quality=60)  # the same picture, recompressed
    im.resize((360, 270)).save(shapes / "scene_small.png")  # and smaller, as a PNG
    scene_photo(dx=14, fill=(200, 60, 50)).save(shapes / "scene_moved.jpg", quality=80)
    window = open_window(library_home)
    wait_rows(qtbot, window, 41)
    wait_idle(qtbot, window)
    page, ctl = window.duplicates_page, window.duplicates_controller
    messages: list[str] = []
    ctl.message.connect(messages.append)
    window.show_page(page)
    qtbot.mouseClick(page.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.groups.count() == 1, timeout=WAIT)
    counts = "1 exact copy, 2 copies of the same picture, 1 similar shot"
    assert page.summary.text().startswith(f"1 group, 5 photos (besides the keeper: {counts}).")
    assert page.groups.item(0).text() == "Group 1: 5 photos, similar shots"
    lines = first_lines(page)
    assert lines.pop("scene.jpg") == "★ keeper"  # as large as its copy: first by name
    assert lines.pop("scene_copy.jpg") == "exact copy · 1.000"
    assert {n: line.split(" · ")[0] for n, line in lines.items()} == {
        "scene_q60.jpg": "same picture",
        "scene_small.png": "same picture",
        "scene_moved.jpg": "similar shot",
    }

    # The keeper is selected, and its thumbnail is drawn as it is, not tinted.
    keeper = page.photos.item(0)
    assert keeper.isSelected()
    side = QSize(THUMB, THUMB)
    normal = keeper.icon().pixmap(side, QIcon.Mode.Normal).toImage()
    assert keeper.icon().pixmap(side, QIcon.Mode.Selected).toImage() == normal
    shot = page.photos.viewport().grab().toImage()
    rect = page.photos.visualItemRect(keeper)
    centre = shot.pixelColor(rect.center().x(), rect.top() + normal.height() // 2 + 4)
    expected = normal.pixelColor(normal.width() // 2, normal.height() // 2)
    assert max(abs(centre.red() - expected.red()), abs(centre.blue() - expected.blue())) < 12

    # One kind: the exact copy alone beside its keeper, rejected with R.
    show_kind(page, "Exact copies")
    assert page.groups.item(0).text() == "Group 1: 2 photos, exact copies"
    assert page.summary.text().startswith("1 group, 2 photos (besides the keeper: 1 exact copy).")
    assert set(first_lines(page)) == {"scene.jpg", "scene_copy.jpg"}
    qtbot.keyClick(page.photos, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: "Rejected 1 exact copy; kept scene.jpg" in messages, timeout=WAIT)
    assert rejected_names(library_home) == {"scene_copy.jpg"}

    # The similar shot made the keeper (K): every other photo is a similar shot to it.
    show_kind(page, "Similar shots")
    assert set(first_lines(page)) == {"scene.jpg", "scene_moved.jpg"}
    page.photos.setCurrentRow(1)
    qtbot.keyClick(page.photos, Qt.Key.Key_K)
    lines = first_lines(page)
    assert page.photos.item(0).text().endswith("scene_moved.jpg") and len(lines) == 5
    assert lines.pop("scene_moved.jpg") == "★ keeper"
    assert lines.pop("scene_copy.jpg").startswith("rejected similar shot · ")
    assert all(line.startswith("similar shot · ") for line in lines.values()), lines
    assert page.groups.item(0).text() == "Group 1: 5 photos, similar shots"
    assert page.summary.text().startswith("1 group, 5 photos (besides the keeper: 4 similar")
    show_kind(page, "Same picture")
    assert page.groups.count() == 0
    assert page.summary.text() == "No group has same picture (1 group of other kinds)."
