"""The photo grid's model: an ordered array of photo ids, details paged in from the catalog.

A library of 100k photos costs an int64 array here plus the pages in view: rows are read
from the catalog a page (``PAGE`` rows) at a time when the view first asks for them, and
thumbnails come from the :class:`ThumbnailLoader` as they load.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Slot

from clipdesk.catalog import Catalog
from clipdesk.catalog.browse import PhotoBrief, briefs
from clipdesk.gui.thumbnails import ThumbnailLoader
from clipdesk.pathnames import shown
from clipdesk.wording import plural

# Rows read per catalog query. While the worker indexes, every change notice re-reads the
# visible pages on the GUI thread: a page of 64 rows holds a screenful, so that re-read
# stays short (benchmarks/README.md, gui_responsiveness.py).
PAGE = 64
MAX_PAGES = 256  # 16k rows cached

IdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
ScoreRole = Qt.ItemDataRole.UserRole + 3
StatusRole = Qt.ItemDataRole.UserRole + 4
ThumbRole = Qt.ItemDataRole.UserRole + 5
# A cell: (name, thumbnail or None, status, score, confirmed tags, suggestions to review)
CellRole = Qt.ItemDataRole.UserRole + 6


class PhotoGridModel(QAbstractListModel):
    """Photos in display order; ``scores`` (one per row) when they are search results."""

    def __init__(
        self,
        catalog: Callable[[], Catalog | None],
        thumbnails: ThumbnailLoader,
        parent=None,
    ):
        super().__init__(parent)
        self._catalog = catalog
        self._thumbs = thumbnails
        self._ids = np.zeros(0, np.int64)
        self._scores: np.ndarray | None = None
        self._pages: OrderedDict[int, list[PhotoBrief | None]] = OrderedDict()
        self._rows: dict[int, int] | None = None
        thumbnails.ready.connect(self._thumbnail_ready)

    # -- contents ---------------------------------------------------------------------

    def set_photos(self, ids: np.ndarray, scores: np.ndarray | None = None) -> None:
        """Show these photos in this order, keeping selection and current item where possible."""
        ids = np.asarray(ids, np.int64)
        same = len(ids) == len(self._ids) and np.array_equal(np.sort(ids), np.sort(self._ids))
        if same and np.array_equal(ids, self._ids) and _same(scores, self._scores):
            self.refresh()
            return
        if same:  # a re-order: move persistent indexes rather than reset
            self.layoutAboutToBeChanged.emit()
            old = self._ids
            self._ids, self._scores, self._rows = ids, scores, None
            self._pages.clear()
            froms, tos = [], []
            for index in self.persistentIndexList():
                row = self.row_of(int(old[index.row()])) if index.row() < len(old) else None
                froms.append(index)
                tos.append(self.index(row) if row is not None else QModelIndex())
            self.changePersistentIndexList(froms, tos)
            self.layoutChanged.emit()
            return
        self.beginResetModel()
        self._ids, self._scores, self._rows = ids, scores, None
        self._pages.clear()
        self.endResetModel()

    def refresh(self, photo_ids: list[int] | None = None) -> None:
        """Re-read these photos' details (all when None), e.g. after indexing touched them."""
        if photo_ids is None:
            self._pages.clear()
            if len(self._ids):
                self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))
            return
        for pid in photo_ids:
            row = self.row_of(pid)
            if row is not None:
                self._pages.pop(row // PAGE, None)
                index = self.index(row)
                self.dataChanged.emit(index, index)

    @property
    def ids(self) -> np.ndarray:
        return self._ids

    def photo_id(self, row: int) -> int:
        return int(self._ids[row])

    def score(self, row: int) -> float | None:
        return None if self._scores is None else float(self._scores[row])

    def row_of(self, photo_id: int) -> int | None:
        if self._rows is None:
            self._rows = {int(p): i for i, p in enumerate(self._ids.tolist())}
        return self._rows.get(photo_id)

    def brief(self, row: int) -> PhotoBrief | None:
        page_no = row // PAGE
        page = self._pages.get(page_no)
        if page is None:
            page = self._load_page(page_no)
        else:
            self._pages.move_to_end(page_no)
        return page[row - page_no * PAGE] if page else None

    def _load_page(self, page_no: int) -> list[PhotoBrief | None] | None:
        catalog = self._catalog()
        if catalog is None:
            return None
        ids = self._ids[page_no * PAGE : (page_no + 1) * PAGE].tolist()
        found = briefs(catalog, ids)
        page = [found.get(i) for i in ids]
        self._pages[page_no] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    # -- Qt model interface --------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        row = index.row()
        if not index.isValid() or row >= len(self._ids):
            return None
        if role == IdRole:
            return int(self._ids[row])
        if role == ScoreRole:
            return self.score(row)
        b = self.brief(row)
        if b is None:
            return None
        if role == CellRole:
            thumb = self._thumbs.pixmap(b.id, b.hash)
            return b.name, thumb, b.status, self.score(row), b.confirmed, b.to_review
        if role == Qt.ItemDataRole.DisplayRole:
            return b.name
        if role == ThumbRole:
            return self._thumbs.pixmap(b.id, b.hash)
        if role == PathRole:
            return b.path
        if role == StatusRole:
            return b.status
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [shown(b.path)]
            if b.width:
                lines.append(f"{b.width} × {b.height}")
            if b.status == "missing":
                lines.append("not found: its drive may be unplugged")
            if b.confirmed:
                lines.append(plural(b.confirmed, "confirmed tag"))
            if b.to_review:
                lines.append(plural(b.to_review, "suggestion") + " to review")
            score = self.score(row)
            if score is not None:
                lines.append(f"match score {score:.3f}")
            return "\n".join(lines)
        return None

    @Slot(int)
    def _thumbnail_ready(self, photo_id: int) -> None:
        row = self.row_of(photo_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [ThumbRole, CellRole])


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))
