"""Browsing and searching the way a user does: add a folder, watch the grid fill, search."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from clipdesk.gui.adapters.grid_model import ScoreRole, ThumbRole
from tests.support.gui import WAIT, click_tag, names, wait_idle, wait_rows


def search(qtbot, window, text: str) -> None:
    field = window.library_page.search.field
    field.setFocus()
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_add_a_folder_see_thumbnails_and_search(home, shapes, open_window, qtbot, monkeypatch):
    window = open_window(home, watch=True)
    assert window.pages.currentWidget() is window.welcome_page
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(shapes))
    qtbot.mouseClick(window.welcome_page.choose, Qt.MouseButton.LeftButton)

    assert window.pages.currentWidget() is window.library_page
    wait_rows(qtbot, window, 36)
    model = window.library_page.model
    qtbot.waitUntil(lambda: model.data(model.index(0), ThumbRole) is not None, timeout=WAIT)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "36 photos" in window.status.photos_label.text(), timeout=10_000)
    assert "test" in window.status.model_label.text()
    folders = window.library_page.sidebar.folders
    qtbot.waitUntil(lambda: folders.count() == 2, timeout=10_000)
    assert "(36)" in folders.item(1).text()

    search(qtbot, window, "red circle")
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is not None, timeout=WAIT)
    top = names(window, 2)
    assert all(n.endswith("red_circle.jpg") for n in top), top
    assert "match score" in model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert model.score(0) >= model.score(1) >= model.score(model.rowCount() - 1)

    search(qtbot, window, "blue square")
    qtbot.waitUntil(lambda: names(window, 1)[0].endswith("blue_square.jpg"), timeout=WAIT)

    qtbot.keyClick(window.library_page.search.field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is None, timeout=10_000)
    assert names(window) == sorted(p.name for p in shapes.glob("*.jpg"))


def test_find_similar_and_tag_filters(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    model, grid = window.library_page.model, window.library_page.grid
    row = next(i for i, n in enumerate(names(window)) if n.endswith("green_triangle.jpg"))
    example = names(window)[row]
    grid.setCurrentIndex(model.index(row))
    qtbot.mouseClick(window.library_page.photo.similar_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.data(model.index(0), ScoreRole) is not None, timeout=WAIT)
    top = names(window, 3)
    assert example not in names(window)  # the example itself is not a result
    assert all("_green_" in n for n in top), top
    assert any(n.endswith("green_triangle.jpg") for n in top), top
    assert window.library_page.search.similar_label.isVisible()
    qtbot.mouseClick(window.library_page.search.clear_similar, Qt.MouseButton.LeftButton)
    wait_rows(qtbot, window, 36)

    # Click a tag in the tree: only photos with it; again: only photos without it.
    tree = window.library_page.sidebar.tags
    qtbot.waitUntil(lambda: tree.topLevelItemCount() > 0, timeout=10_000)
    n_red = int(click_tag(qtbot, tree, "red").text(1))
    wait_rows(qtbot, window, n_red)
    photos = window.status.photos_label
    qtbot.waitUntil(lambda: photos.text().startswith(f"{n_red} filtered of 36"), timeout=5_000)
    assert sum("_red_" in n for n in names(window)) >= n_red - 1  # the test model is good
    click_tag(qtbot, tree, "red")
    wait_rows(qtbot, window, 36 - n_red)
    assert "1 tag filter" in window.library_page.search.filter_label.text()
    click_tag(qtbot, tree, "red")
    wait_rows(qtbot, window, 36)
    qtbot.waitUntil(lambda: photos.text().startswith("36 photos"), timeout=5_000)


def test_a_missing_folder_is_shown_as_such(library_home, shapes, open_window, qtbot):
    shutil.move(shapes, shapes.with_name("unplugged"))
    window = open_window(library_home)
    folders = window.library_page.sidebar.folders
    qtbot.waitUntil(
        lambda: folders.count() == 2 and "not found" in folders.item(1).text(), timeout=WAIT
    )
    assert "unplugged" in folders.item(1).toolTip()
    wait_idle(qtbot, window)
    wait_rows(qtbot, window, 36)  # still listed, with their tags, shown as offline
    qtbot.waitUntil(lambda: "36 offline" in window.status.photos_label.text(), timeout=10_000)
