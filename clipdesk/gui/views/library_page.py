"""The library page's layout: sidebar | search row over the grid | photo panel."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from clipdesk.gui.adapters.grid_model import PhotoGridModel
from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.thumbnails import ThumbnailLoader
from clipdesk.gui.views.grid_view import PhotoGrid
from clipdesk.gui.views.photo_view import PhotoView
from clipdesk.gui.views.search_bar import SearchBar
from clipdesk.gui.views.sidebar import Sidebar


class LibraryPage(QWidget):
    """Browse, search and tag. Enter on a photo toggles the large photo view."""

    large_changed = Signal(bool)

    def __init__(
        self,
        reader: CatalogReader,
        thumbs: ThumbnailLoader,
        size: int,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.sidebar = Sidebar(self)
        self.search = SearchBar(size, self)
        self.model = PhotoGridModel(reader.catalog, thumbs, self)
        self.grid = PhotoGrid(self.model, size, self)
        self.empty = QLabel(self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("QLabel { color: #616161; font-size: 15px; }")
        self.grid_stack = QStackedWidget(self)
        self.grid_stack.addWidget(self.grid)
        self.grid_stack.addWidget(self.empty)
        center = QWidget(self)
        cl = QVBoxLayout(center)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.search)
        cl.addWidget(self.grid_stack, 1)
        self.photo = PhotoView(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.photo)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([230, 700, 380])
        self.splitter.setChildrenCollapsible(False)
        self.center = center
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.large = False

    def show_empty(self, message: str | None) -> None:
        """A message in place of the grid (no photos yet, nothing matches), or the grid."""
        if message:
            self.empty.setText(message)
            self.grid_stack.setCurrentWidget(self.empty)
        else:
            self.grid_stack.setCurrentWidget(self.grid)

    def set_large(self, large: bool) -> None:
        """The photo panel alone (large), or beside the grid."""
        self.large = large
        self.sidebar.setVisible(not large)
        self.center.setVisible(not large)
        self.photo.set_large(large)
        (self.photo if large else self.grid).setFocus()
        self.large_changed.emit(large)
