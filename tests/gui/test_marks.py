"""Stars, colour labels and flags in the Library (issue 28, items 1 and 4): Lightroom's keys on
the selection, Ctrl+Z, the badges' data, the filters and the sort, and smart albums saved from
the sidebar that follow the photos' marks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from clipdesk.catalog import Catalog
from clipdesk.catalog.albums import albums
from clipdesk.catalog.marks import Marks, marks_of, set_marks
from clipdesk.gui.adapters.grid_model import CellRole, MarksRole, ScoreRole
from clipdesk.ops import duplicates as dup_ops
from tests.support.cli import run
from tests.support.gui import WAIT, chips, names, select, wait_rows


def catalog_path(home: Path) -> Path:
    return home / "data" / "catalog.sqlite3"


def stored(home: Path, ids) -> dict[int, Marks]:
    """The marks the catalog holds for these photos (None: every photo that has any)."""
    with Catalog(catalog_path(home), readonly=True) as cat:
        return marks_of(cat, ids)


def mark_before(home: Path, shapes: Path, **wanted: dict) -> dict[str, int]:
    """Give photos (by the end of their file name) marks before the window opens; their ids."""
    ids = {}
    with Catalog(catalog_path(home)) as cat:
        for end, marks in wanted.items():
            path = next(p for p in sorted(shapes.glob("*.jpg")) if p.name.endswith(f"{end}.jpg"))
            ids[path.name] = cat.photo_by_path(path).id
            set_marks(cat, [ids[path.name]], **marks)
    return ids


def row_of(window, name: str) -> int:
    return names(window).index(name)


def test_keys_mark_the_selection_and_ctrl_z_takes_it_back(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    page = window.library_page
    grid, model = page.grid, page.model
    first = select(qtbot, window, "red_circle.jpg")
    second = select(qtbot, window, "blue_square.jpg", Qt.KeyboardModifier.ControlModifier)
    ids = [model.photo_id(first), model.photo_id(second)]
    qtbot.waitUntil(lambda: bool(chips(window)), timeout=WAIT)
    tags_before = chips(window)
    messages: list[str] = []
    window.marks_controller.message.connect(messages.append)

    def press(key, want: Marks) -> None:
        qtbot.keyClick(grid, key)
        qtbot.waitUntil(lambda: set(stored(library_home, ids).values()) == {want}, timeout=WAIT)

    qtbot.keyClick(grid, Qt.Key.Key_3)
    assert messages[-1] == "2 photos: ★★★"
    assert model.index(first).data(MarksRole) == Marks(3)  # at once, before it is stored
    qtbot.waitUntil(lambda: set(stored(library_home, ids).values()) == {Marks(3)}, timeout=WAIT)
    press(Qt.Key.Key_8, Marks(3, "green"))
    assert messages[-1] == "2 photos: green label"
    press(Qt.Key.Key_8, Marks(3))  # the label they have: it comes off, as in Lightroom
    press(Qt.Key.Key_6, Marks(3, "red"))
    press(Qt.Key.Key_P, Marks(3, "red", "pick"))
    press(Qt.Key.Key_X, Marks(3, "red", "reject"))
    assert messages[-1] == "2 photos: rejected"
    assert chips(window) == tags_before  # X is the reject flag, no longer a tag's reject
    press(Qt.Key.Key_U, Marks(3, "red"))
    press(Qt.Key.Key_0, Marks(0, "red"))

    # Ctrl+Z takes back one step at a time: in the catalog, the cells and the photo panel.
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: stored(library_home, ids)[ids[0]] == Marks(3, "red"), timeout=WAIT)
    qtbot.waitUntil(lambda: model.index(first).data(MarksRole) == Marks(3, "red"), timeout=5_000)
    assert "★★★" in page.photo.marks.text() and "Red" in page.photo.marks.text()
    said = window.status.currentMessage()
    assert said == "Undid “no stars” on 2 photos", said
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    want = Marks(3, "red", "reject")
    qtbot.waitUntil(lambda: stored(library_home, ids)[ids[1]] == want, timeout=WAIT)
    qtbot.waitUntil(lambda: "Rejected" in page.photo.marks.text(), timeout=5_000)

    # What the grid gives its cells to draw, and says when the pointer rests on one.
    cell = model.data(model.index(second), CellRole)
    assert cell.marks == want and cell.name.endswith("blue_square.jpg")
    assert "★★★ red reject" in model.data(model.index(second), Qt.ItemDataRole.ToolTipRole)


def test_keys_act_only_in_the_grid_and_the_large_view(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    page = window.library_page
    row = select(qtbot, window, "green_triangle.jpg")
    photo_id = page.model.photo_id(row)

    field = page.search.field  # digits and P, X, U are typed, not marks
    field.setFocus()
    qtbot.keyClicks(field, "2024 px u6")
    assert field.text() == "2024 px u6"
    tags = page.sidebar.tags
    tags.setFocus()
    qtbot.keyClick(tags, Qt.Key.Key_4)
    qtbot.wait(300)
    assert stored(library_home, None) == {}  # nothing was marked

    qtbot.keyClick(page.grid, Qt.Key.Key_Return)  # the large view
    assert page.large and page.photo.hasFocus()
    qtbot.keyClick(page.photo, Qt.Key.Key_5)
    qtbot.keyClick(page.photo, Qt.Key.Key_9)
    want = Marks(5, "blue")
    qtbot.waitUntil(lambda: stored(library_home, None) == {photo_id: want}, timeout=WAIT)
    qtbot.waitUntil(lambda: "★★★★★" in page.photo.marks.text(), timeout=5_000)
    assert "Blue" in page.photo.marks.text()


def test_filters_narrow_the_grid_and_the_sort_puts_stars_first(
    library_home, shapes, open_window, qtbot
):
    marked = mark_before(
        library_home,
        shapes,
        red_circle={"stars": 5, "label": "red", "flag": "pick"},
        blue_square={"stars": 3, "label": "blue"},
        green_triangle={"stars": 1, "flag": "reject"},
    )
    best, good, poor = marked
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    bar = window.library_page.search
    cell = window.library_page.model.index(row_of(window, best)).data(CellRole)
    assert cell.marks == Marks(5, "red", "pick")  # the badges' data, read from the catalog

    bar.marks.stars.setCurrentIndex(bar.marks.stars.findData(3))
    wait_rows(qtbot, window, 2)
    assert set(names(window)) == {best, good} and "★★★+" in bar.filter_label.text()
    qtbot.waitUntil(
        lambda: window.status.photos_label.text().startswith("2 filtered of 36"), timeout=5_000
    )
    bar.marks.label.setCurrentIndex(bar.marks.label.findData("blue"))
    wait_rows(qtbot, window, 1)
    assert names(window) == [good]
    bar.marks.set_value(flag="reject")  # any stars, any label
    qtbot.waitUntil(lambda: names(window) == [poor], timeout=5_000)
    assert bar.filter_label.text() == "rejects"
    bar.marks.flag.setCurrentIndex(bar.marks.flag.findData("none"))
    wait_rows(qtbot, window, 34)  # neither picked nor rejected
    bar.marks.set_value()
    wait_rows(qtbot, window, 36)

    bar.sort.setCurrentIndex(bar.sort.findData("stars"))
    qtbot.waitUntil(lambda: names(window, 3) == [best, good, poor], timeout=5_000)
    bar.sort.setCurrentIndex(bar.sort.findData("label"))
    qtbot.waitUntil(lambda: names(window, 2) == [good, best], timeout=5_000)  # blue, red


def test_an_album_saved_from_the_sidebar_follows_the_stars(
    library_home, shapes, open_window, qtbot, monkeypatch
):
    marked = mark_before(library_home, shapes, red_circle={"stars": 5}, blue_square={"stars": 4})
    best, good = marked
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    page = window.library_page
    bar, view = page.search, page.sidebar.albums
    assert view.empty.isVisible() and not view.albums.isVisible()

    bar.marks.stars.setCurrentIndex(bar.marks.stars.findData(4))
    wait_rows(qtbot, window, 2)
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    dialog = window.albums_controller.dialog
    assert dialog is not None and dialog.isVisible()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled()  # a name first
    qtbot.keyClicks(dialog.field, "Best of")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.albums.count() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: view.albums.item(0).text() == "Best of  (2)", timeout=5_000)
    assert "★★★★+" in view.albums.item(0).toolTip()

    bar.marks.set_value()  # every photo again; then the album, from the sidebar
    wait_rows(qtbot, window, 36)
    item = view.albums.item(0)
    qtbot.mouseClick(
        view.albums.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.albums.visualItemRect(item).center(),
    )
    wait_rows(qtbot, window, 2)
    assert set(names(window)) == {best, good}
    assert bar.album_label.isVisible() and bar.album_label.text() == "Album: Best of"

    # Two stars for one of them: it leaves the album, and the count follows.
    select(qtbot, window, best)
    qtbot.keyClick(page.grid, Qt.Key.Key_2)
    wait_rows(qtbot, window, 1)
    assert names(window) == [good]
    qtbot.waitUntil(lambda: view.albums.item(0).text() == "Best of  (1)", timeout=WAIT)

    # Out of the album (its ✕), five stars for another photo: the album takes it in.
    qtbot.mouseClick(bar.close_album, Qt.MouseButton.LeftButton)
    wait_rows(qtbot, window, 36)
    assert not bar.album_label.isVisible() and view.current_album() is None
    newcomer = names(window)[row_of(window, best) + 1]
    select(qtbot, window, newcomer)
    qtbot.keyClick(page.grid, Qt.Key.Key_5)
    qtbot.waitUntil(lambda: view.albums.item(0).text() == "Best of  (2)", timeout=WAIT)
    view.albums.setCurrentRow(0)
    wait_rows(qtbot, window, 2)
    assert set(names(window)) == {good, newcomer}

    # Its menu removes it (after a yes); the grid goes back to the library.
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _parent, _title, text, *a, **k: asked.append(text) or QMessageBox.StandardButton.Yes,
    )
    menu = view.menu_for(view.albums.item(0))
    next(a for a in menu.actions() if a.text() == "Remove album…").trigger()
    qtbot.waitUntil(lambda: view.albums.count() == 0, timeout=WAIT)
    assert asked and "photos stay as they are" in asked[0]
    wait_rows(qtbot, window, 36)
    assert not bar.album_label.isVisible()
    with Catalog(catalog_path(library_home), readonly=True) as cat:
        assert albums(cat) == []


def test_an_album_of_a_text_search_is_searched_when_opened(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    page = window.library_page
    bar, view, model = page.search, page.sidebar.albums, page.model
    bar.field.setFocus()
    qtbot.keyClicks(bar.field, "red circle")
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is not None, timeout=WAIT)
    found = names(window)

    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    dialog = window.albums_controller.dialog
    qtbot.keyClicks(dialog.field, "Red circles")
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.albums.count() == 1, timeout=WAIT)
    assert view.albums.item(0).text() == "Red circles"  # counted when opened: it needs the model
    assert "“red circle”" in view.albums.item(0).toolTip()

    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)  # back to browsing, by name
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is None, timeout=WAIT)
    view.albums.setCurrentRow(0)
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is not None, timeout=WAIT)
    assert names(window) == found  # best match first, as the search bar's search
    assert bar.album_label.text() == "Album: Red circles" and bar.field.text() == ""


def test_a_copy_rejected_on_the_duplicates_page_shows_rejected_in_the_library(
    library_home, open_window, qtbot
):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    model = window.library_page.model
    keeper, copy = 0, 1  # rows
    assert model.index(copy).data(MarksRole) == Marks()
    window.show_page(window.duplicates_page)
    done: list[int] = []
    ids = model.photo_id(keeper), model.photo_id(copy)
    window.session.bridge.submit(lambda lib: dup_ops.keep_one(lib, ids[0], [ids[1]]), done.append)
    qtbot.waitUntil(lambda: done == [1], timeout=WAIT)

    window.show_page(window.library_page)  # the same reject flag, the same badge
    qtbot.waitUntil(lambda: model.index(copy).data(MarksRole).flag == "reject", timeout=5_000)
    assert model.data(model.index(copy), CellRole).marks == Marks(flag="reject")


def test_a_sidecar_conflict_shows_on_its_photo_and_is_decided_there(
    library_home, shapes, open_window, qtbot
):
    """A mark changed in ClipDesk and, differently, in the sidecar by another program: the
    cell's badge says so, and the grid's menu takes the sidecar's value (issue 28, item 3)."""
    if not shutil.which("exiftool"):
        pytest.skip("exiftool not installed")
    photo = next(p for p in sorted(shapes.glob("*.jpg")) if p.name.endswith("red_circle.jpg"))
    run("rate", str(photo), "--stars", "2")
    run("export")
    [sidecar] = shapes.glob(f"{photo.stem}*.xmp")
    run("rate", str(photo), "--stars", "4")  # here
    subprocess.run(  # and there, in another program
        ["exiftool", "-q", "-overwrite_original", "-XMP-xmp:Rating=1", str(sidecar)], check=True
    )
    run("--model", "test", "index")
    assert "1 photo has sidecar conflicts" in run("status").stdout

    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    grid, model = window.library_page.grid, window.library_page.model
    row = row_of(window, photo.name)
    pid = model.photo_id(row)
    assert model.index(row).data(CellRole).conflict
    assert "right-click to decide" in model.index(row).data(Qt.ItemDataRole.ToolTipRole)
    other = model.photo_id(row_of(window, next(n for n in names(window) if n != photo.name)))
    assert grid.conflict_actions(other) == []  # no conflict there: nothing to decide

    take, keep = grid.conflict_actions(pid)
    assert "take the sidecar's marks" in take.text() and "keep ClipDesk's" in keep.text()
    take.trigger()
    qtbot.waitUntil(lambda: stored(library_home, [pid])[pid].stars == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: not model.index(row).data(CellRole).conflict, timeout=WAIT)
    assert "conflicts" not in run("status").stdout
