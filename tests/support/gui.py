"""Helpers for the GUI tests: wait for what the user would wait for, do what they do (click a
photo, pick a completion), read what they see and what the catalog then holds."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog
from clipdesk.gui.views.sidebar import unmarked
from clipdesk.tagging.corrections import tags_of
from clipdesk.tagging.store import TagStore

WAIT = 180_000  # ms: the first test may export the test model to ONNX


def wait_rows(qtbot, window, n: int, timeout: int = WAIT) -> None:
    """Wait until the grid shows ``n`` photos."""
    model = window.library_page.model
    qtbot.waitUntil(lambda: model.rowCount() == n, timeout=timeout)


def wait_idle(qtbot, window, timeout: int = WAIT) -> None:
    """Wait until the worker has nothing queued or running."""
    worker = window.session.bridge._worker
    qtbot.waitUntil(lambda: worker.wait_idle(0.01), timeout=timeout)
    window.session.reader.notify_changed(now=True)


def names(window, n: int | None = None) -> list[str]:
    """The file names in the grid, in display order."""
    model = window.library_page.model
    rows = range(model.rowCount() if n is None else min(n, model.rowCount()))
    return [model.data(model.index(r)) for r in rows]


def tag_items(tree):
    """Every item of a QTreeWidget."""
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(item.child(i) for i in range(item.childCount()))


def click_tag(qtbot, tree, name: str):
    """Click the tree item whose tag is ``name`` (filter marks aside)."""
    item = next(it for it in tag_items(tree) if unmarked(it.text(0)) == name)
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    return item


def choose_completion(qtbot, field, typed: str, key=Qt.Key.Key_Up) -> str:
    """Type into a field with completion, move in its popup as a user does (Up from the
    field lands on the last completion, "Create tag …"; Down on the first) and press
    Enter; the completion chosen."""
    qtbot.keyClicks(field, typed)
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=5_000)
    qtbot.keyClick(popup, key)
    chosen = popup.currentIndex().data()
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    return chosen


def select(qtbot, window, name_end: str, modifier=Qt.KeyboardModifier.NoModifier) -> int:
    """Click the first photo whose name ends with ``name_end``; its row."""
    grid, model = window.library_page.grid, window.library_page.model
    row = next(i for i, n in enumerate(names(window)) if n.endswith(name_end))
    grid.scrollTo(model.index(row))
    rect = grid.visualRect(model.index(row))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())
    return row


def chips(window) -> dict[str, str]:
    """What the photo panel shows: tag name -> look (suggested, confirmed, rejected, ...)."""
    return {b.chip.name: b.kind for b in window.library_page.photo.chips.buttons}


def stored(home, path) -> dict[str, str]:
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        row = cat.photo_by_path(path)
        return {t.tag.rsplit("|", 1)[-1]: t.state for t in tags_of(cat, row.id)}


def tag_paths(home) -> set[str]:
    """Every tag path in the vocabulary."""
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        return set(TagStore(cat).names())
