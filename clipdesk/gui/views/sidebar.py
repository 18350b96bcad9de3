"""The sidebar: watched folders (with counts, missing drives shown), the smart albums, and the
tag tree filter.

Clicking a tag cycles its filter: only photos with it → only photos without it → no filter.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clipdesk.catalog.browse import FolderInfo
from clipdesk.gui.views.album_list import AlbumList
from clipdesk.gui.views.tag_text import tag_text
from clipdesk.pathnames import shown
from clipdesk.tagging.store import TagInfo

ID = Qt.ItemDataRole.UserRole
INCLUDE, EXCLUDE = "include", "exclude"
# Before a filtered tag's name (plain signs: every font has them, not the full-width ones).
FILTER_MARKS = {INCLUDE: "+ ", EXCLUDE: "− "}
NONE_USED = (
    "No photo has a tag yet: they come as the photos are tagged. Untick Hide unused tags "
    "to see them all."
)
TAG_TIP = (
    "Click: only photos with this tag. Click again: only photos without it. Once more: no filter."
)


def unmarked(text: str) -> str:
    """A tag tree item's text without its filter mark: the tag's name."""
    for mark in FILTER_MARKS.values():
        if text.startswith(mark):
            return text[len(mark) :]
    return text


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class Sidebar(QWidget):
    folder_selected = Signal(object)  # folder id, or None for every folder
    tag_filter_changed = Signal(tuple, tuple)  # (included tag ids, excluded tag ids)
    add_folder_requested = Signal()
    remove_folder_requested = Signal(int, str)
    forget_missing_requested = Signal(object)  # folder id, or None for every folder

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.folders = QListWidget(self)
        self.folders.setAccessibleName("Folders")
        self.folders.currentItemChanged.connect(self._folder_changed)
        # Right-click on a folder (or on All photos): its missing photos, after a question.
        self.forget_action = QAction("Forget missing photos…", self.folders)
        self.forget_action.setToolTip(
            "Forget the photos whose files are gone, with their tags (no file is touched)"
        )
        self.forget_action.triggered.connect(
            lambda: self.forget_missing_requested.emit(self.selected_folder())
        )
        self.folders.addAction(self.forget_action)
        self.folders.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.add_button = QPushButton("Add folder…", self)
        self.add_button.clicked.connect(self.add_folder_requested)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Stop watching this folder (the photos are not touched)")
        self.remove_button.clicked.connect(self._remove)
        self.albums = AlbumList(_heading("Albums"), self)
        self.tags = QTreeWidget(self)
        self.tags.setAccessibleName("Tags")
        self.tags.setColumnCount(2)
        self.tags.setHeaderLabels(["Tag", "Photos"])
        self.tags.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tags.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tags.header().setStretchLastSection(False)
        self.tags.itemClicked.connect(self._tag_clicked)
        self.hide_unused = QCheckBox("Hide unused tags", self)
        self.hide_unused.setToolTip("Show only the tags some photo has (suggested or confirmed)")
        self.hide_unused.setChecked(True)
        self.hide_unused.toggled.connect(lambda _: self.set_tags(self._tag_infos))
        self.none_used = QLabel(NONE_USED, self)  # every tag hidden: say why
        self.none_used.setWordWrap(True)
        self.none_used.setStyleSheet("color: #757575;")
        self.none_used.hide()
        self.clear_filters = QPushButton("Clear tag filters", self)
        self.clear_filters.clicked.connect(self.clear_tag_filters)
        self.clear_filters.hide()

        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(_heading("Folders"))
        tl.addWidget(self.folders, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        tl.addLayout(row)
        bottom = QWidget(self)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(_heading("Tags"))
        bl.addWidget(self.none_used)
        bl.addWidget(self.tags, 1)
        bl.addWidget(self.hide_unused)
        bl.addWidget(self.clear_filters)
        self.split = split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.albums)
        split.addWidget(bottom)
        for i, stretch in enumerate((0, 0, 1)):  # a few folders and albums, a long tag tree
            split.setStretchFactor(i, stretch)
        self._sized = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(split)
        self._tag_infos: list[TagInfo] = []
        self._state: dict[int, str] = {}
        self._expanded: set[int] | None = None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._sized:  # once: the user's own splitter moves are theirs
            self._sized = True
            self.split.setSizes(self._first_sizes())

    def _first_sizes(self) -> list[int]:
        """Folders as tall as four rows (All photos and three folders), the albums as their
        box needs; the tag tree the rest."""
        row = max(self.folders.sizeHintForRow(0), self.fontMetrics().height() + 2)
        top = self.split.widget(0).layout()
        list_height = 4 * row + 2 * self.folders.frameWidth() + 2
        folders = top.sizeHint().height() - self.folders.sizeHint().height() + list_height
        albums = self.albums.sizeHint().height()
        total = sum(self.split.sizes()) or self.height()
        return [folders, albums, max(total - folders - albums, row * 8)]

    # -- folders -------------------------------------------------------------------------

    def set_folders(self, infos: list[FolderInfo]) -> None:
        current = self.selected_folder()
        self.folders.blockSignals(True)
        self.folders.clear()
        total = sum(f.photos for f in infos)
        everything = QListWidgetItem(f"All photos  ({total:,})")
        everything.setData(ID, None)
        self.folders.addItem(everything)
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for f in infos:
            name = shown(os.path.basename(f.path.rstrip(os.sep)) or f.path)
            item = QListWidgetItem(f"{name}  ({f.photos:,})")
            item.setData(ID, f.id)
            item.setToolTip(shown(f.path))
            if not f.present:
                item.setText(f"{name}  (not found)")
                item.setIcon(warn)
                item.setForeground(QBrush(QColor("#9e9e9e")))
                item.setToolTip(
                    f"{shown(f.path)}\nNot found: is the drive unplugged? Its "
                    f"{f.photos:,} photos keep their tags and come back with it "
                    "(right-click: Forget missing photos… lets them go)."
                )
            self.folders.addItem(item)
        row = next(
            (i for i in range(self.folders.count()) if self.folders.item(i).data(ID) == current), 0
        )
        self.folders.setCurrentRow(row)
        self.folders.blockSignals(False)
        self.remove_button.setEnabled(current is not None)

    def selected_folder(self) -> int | None:
        item = self.folders.currentItem()
        return item.data(ID) if item is not None else None

    def _folder_changed(self, *args) -> None:
        folder = self.selected_folder()
        self.remove_button.setEnabled(folder is not None)
        self.folder_selected.emit(folder)

    def _remove(self) -> None:
        item = self.folders.currentItem()
        if item is not None and item.data(ID) is not None:
            self.remove_folder_requested.emit(item.data(ID), item.toolTip().split("\n")[0])

    # -- tags ----------------------------------------------------------------------------

    def set_tags(self, infos: list[TagInfo]) -> None:
        """Rebuild the tree; expansion and filters survive."""
        self._tag_infos = infos
        if self._expanded is None:  # first time: top level open
            self._expanded = {t.id for t in infos if t.parent_id is None}
        elif self.tags.topLevelItemCount():
            self._expanded = {it.data(0, ID) for it in self._all_items() if it.isExpanded()}
        known = {t.id for t in infos}
        self._state = {k: v for k, v in self._state.items() if k in known}
        children: dict[int | None, list[TagInfo]] = {}
        for t in infos:
            children.setdefault(t.parent_id if t.parent_id in known else None, []).append(t)
        used: dict[int, int] = {}

        def subtotal(t: TagInfo) -> int:
            used[t.id] = t.photos + sum(subtotal(c) for c in children.get(t.id, []))
            return used[t.id]

        for t in children.get(None, []):
            subtotal(t)
        hide = self.hide_unused.isChecked()  # before any tagging too: none is used yet
        self.tags.clear()

        def add(parent, tag: TagInfo) -> None:
            if hide and not used.get(tag.id) and tag.id not in self._state:
                return
            item = QTreeWidgetItem([tag.name, f"{tag.photos:,}" if tag.photos else ""])
            item.setData(0, ID, tag.id)
            item.setToolTip(0, f"{tag_text(tag.path)}\n{TAG_TIP}")
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            if not tag.enabled:
                item.setForeground(0, QBrush(QColor("#616161")))
            (parent.addChild if parent is not None else self.tags.addTopLevelItem)(item)
            self._paint(item)
            for c in children.get(tag.id, []):
                add(item, c)
            item.setExpanded(tag.id in self._expanded)

        for t in children.get(None, []):
            add(None, t)
        self.none_used.setVisible(bool(infos) and not self.tags.topLevelItemCount())

    def _all_items(self):
        stack = [self.tags.topLevelItem(i) for i in range(self.tags.topLevelItemCount())]
        while stack:
            item = stack.pop()
            yield item
            stack.extend(item.child(i) for i in range(item.childCount()))

    def _paint(self, item: QTreeWidgetItem) -> None:
        state = self._state.get(item.data(0, ID))
        name = unmarked(item.text(0))
        font = QFont(item.font(0))
        font.setBold(state is not None)
        font.setStrikeOut(state == EXCLUDE)
        item.setFont(0, font)
        prefix = FILTER_MARKS.get(state, "")
        item.setText(0, prefix + name)
        colour = {INCLUDE: "#e8f5e9", EXCLUDE: "#ffebee"}.get(state)
        brush = QBrush(QColor(colour)) if colour else QBrush()
        item.setBackground(0, brush)
        item.setBackground(1, brush)

    def _tag_clicked(self, item: QTreeWidgetItem, column: int = 0) -> None:
        self.cycle_tag(item.data(0, ID))

    def cycle_tag(self, tag_id: int) -> None:
        """Next filter state of a tag: include → exclude → none."""
        state = self._state.get(tag_id)
        new = {None: INCLUDE, INCLUDE: EXCLUDE, EXCLUDE: None}[state]
        if new is None:
            self._state.pop(tag_id, None)
        else:
            self._state[tag_id] = new
        for item in self._all_items():
            if item.data(0, ID) == tag_id:
                self._paint(item)
        self._emit_filter()

    def clear_tag_filters(self) -> None:
        self._state.clear()
        for item in self._all_items():
            self._paint(item)
        self._emit_filter()

    def tag_filter(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        inc = tuple(k for k, v in self._state.items() if v == INCLUDE)
        exc = tuple(k for k, v in self._state.items() if v == EXCLUDE)
        return inc, exc

    def _emit_filter(self) -> None:
        inc, exc = self.tag_filter()
        self.clear_filters.setVisible(bool(inc or exc))
        self.tag_filter_changed.emit(inc, exc)
