"""The sidebar's smart albums: saved searches, each with how many photos it holds now; a
button that saves the current search and filters as one, and a menu that removes one."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ID = Qt.ItemDataRole.UserRole
NAME = Qt.ItemDataRole.UserRole + 1
EMPTY = "No albums yet. Search or filter, then save it as an album: it keeps up with the photos."


@dataclass(frozen=True)
class AlbumRow:
    """One album as the list shows it."""

    id: int
    name: str
    photos: int | None  # None: a text search, counted when it is opened (it needs the model)
    holds: str  # what it asks for, in words (the tooltip)


class AlbumList(QWidget):
    album_chosen = Signal(int)  # an album id
    save_requested = Signal()
    remove_requested = Signal(int, str)  # album id, name

    def __init__(self, heading: QLabel, parent: QWidget | None = None):
        super().__init__(parent)
        self.albums = QListWidget(self)
        self.albums.setAccessibleName("Albums")
        self.albums.currentItemChanged.connect(self._current_changed)
        self.albums.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.albums.customContextMenuRequested.connect(self._menu)
        self.empty = QLabel(EMPTY, self)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #757575;")
        self.save_button = QPushButton("Save as album…", self)
        self.save_button.setToolTip(
            "Save the search and the filters in force as a smart album: it lists the photos "
            "that match them, as they change"
        )
        self.save_button.clicked.connect(self.save_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.albums, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.save_button)
        self.set_albums([])

    def set_albums(self, rows: list[AlbumRow]) -> None:
        """The albums, in order; the one chosen stays chosen (without a signal)."""
        current = self.current_album()
        self.albums.blockSignals(True)
        self.albums.clear()
        for row in rows:
            count = "" if row.photos is None else f"  ({row.photos:,})"
            item = QListWidgetItem(f"{row.name}{count}")
            item.setData(ID, row.id)
            item.setData(NAME, row.name)
            item.setToolTip(f"{row.name}: {row.holds}\nRight-click to remove it")
            self.albums.addItem(item)
        self.albums.blockSignals(False)
        self.set_current(current)
        self.albums.setVisible(bool(rows))
        self.empty.setVisible(not rows)

    def set_current(self, album_id: int | None) -> None:
        """Mark the album the grid shows (None: none), without a signal."""
        self.albums.blockSignals(True)
        for i in range(self.albums.count()):
            if self.albums.item(i).data(ID) == album_id:
                self.albums.setCurrentRow(i)
                break
        else:
            self.albums.setCurrentRow(-1)
            self.albums.clearSelection()
        self.albums.blockSignals(False)

    def current_album(self) -> int | None:
        item = self.albums.currentItem()
        return item.data(ID) if item is not None and item.isSelected() else None

    def item(self, album_id: int) -> QListWidgetItem | None:
        for i in range(self.albums.count()):
            if self.albums.item(i).data(ID) == album_id:
                return self.albums.item(i)
        return None

    def _current_changed(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.album_chosen.emit(item.data(ID))

    def menu_for(self, item: QListWidgetItem) -> QMenu:
        """An album's right-click menu."""
        album_id, name = item.data(ID), item.data(NAME)
        menu = QMenu(self)
        menu.addAction("Show", lambda: self.album_chosen.emit(album_id))
        menu.addAction("Remove album…", lambda: self.remove_requested.emit(album_id, name))
        return menu

    def _menu(self, pos: QPoint) -> None:
        item = self.albums.itemAt(pos)
        if item is not None:
            self.menu_for(item).exec(self.albums.viewport().mapToGlobal(pos))
