"""The photo grid's model: an ordered array of photo ids, details paged in from the catalog.

A library of 100k photos costs an int64 array here plus the pages in view: rows are read
from the catalog a page (``PAGE`` rows) at a time when the view first asks for them, and
thumbnails come from the :class:`ThumbnailLoader` as they load.

Changes stay as small as what changed: new contents that add and remove a few photos are
row insertions and removals (the selection, the current photo and every other row stay as
they are), and a refresh re-reads only the rows whose pages were read, so nothing here
touches every row of a big library.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Slot
from PySide6.QtGui import QPixmap

from clipdesk.catalog import Catalog
from clipdesk.catalog.browse import PhotoBrief, briefs
from clipdesk.catalog.marks import KEEP, Marks
from clipdesk.gui.adapters.thumbnails import ThumbnailLoader
from clipdesk.pathnames import shown
from clipdesk.wording import plural

# Rows read per catalog query: a page of 64 rows holds a screenful, so the re-read of the
# rows in view after a change stays short.
PAGE = 64
MAX_PAGES = 256  # 16k rows cached
# Above this many runs of inserted or removed rows, one reset is cheaper than the runs
# (each run is a copy of the id array and a signal the view handles).
MAX_RUNS = 64

IdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
ScoreRole = Qt.ItemDataRole.UserRole + 3
StatusRole = Qt.ItemDataRole.UserRole + 4
ThumbRole = Qt.ItemDataRole.UserRole + 5
CellRole = Qt.ItemDataRole.UserRole + 6  # a Cell: everything a cell paints, in one call
MarksRole = Qt.ItemDataRole.UserRole + 7  # the photo's Marks (stars, label, flag)


class Cell(NamedTuple):
    name: str
    thumbnail: QPixmap | None
    status: str
    score: float | None
    confirmed: int  # tags confirmed: the ✓ badge
    to_review: int  # suggestions waiting for a decision: the dot
    marks: Marks  # stars, colour label, flag: their badges
    conflict: bool = False  # a sidecar conflict waits for a decision: its badge


def marks_of(brief: PhotoBrief) -> Marks:
    return Marks(brief.stars, brief.label, brief.flag)


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
        # Pages read since their rows were last told to redraw: their rows may be on screen.
        # A page dropped from the cache for a few changed rows stays here, for the others.
        self._shown: set[int] = set()
        self._order: np.ndarray | None = None  # argsort of _ids, for row lookups
        thumbnails.ready.connect(self._thumbnail_ready)

    # -- contents ---------------------------------------------------------------------

    def set_photos(self, ids: np.ndarray, scores: np.ndarray | None = None) -> None:
        """Show these photos in this order, keeping selection and current item where possible.

        The same photos in the same order change nothing; photos added or removed with the
        others in the same order become row insertions and removals; anything else (a new
        order, a new search) moves the rows or resets the model."""
        ids = np.asarray(ids, np.int64)
        old = self._ids
        if len(ids) == len(old) and np.array_equal(ids, old) and _same(scores, self._scores):
            return
        if scores is None and self._scores is None and len(old) and self._splice(ids):
            return
        if len(ids) == len(old) and np.array_equal(np.sort(ids), np.sort(old)):
            self._reorder(ids, scores)
            return
        self.beginResetModel()
        self._set(ids, scores)
        self._forget_pages_from(0)
        self.endResetModel()

    def _set(self, ids: np.ndarray, scores: np.ndarray | None) -> None:
        self._ids, self._scores, self._order = ids, scores, None

    def _splice(self, ids: np.ndarray) -> bool:
        """Turn the current rows into ``ids`` by removing and inserting runs of rows; False
        (nothing done) when the rows kept would change order, or the runs are too many."""
        old = self._ids
        kept_old, kept_new = np.isin(old, ids), np.isin(ids, old)
        if not np.array_equal(old[kept_old], ids[kept_new]):
            return False
        removed = _runs_of(np.flatnonzero(~kept_old))
        inserted = _runs_of(np.flatnonzero(~kept_new))
        if len(removed) + len(inserted) > MAX_RUNS:
            return False
        root = QModelIndex()
        for first, last in reversed(removed):  # from the end: earlier rows keep their place
            self.beginRemoveRows(root, first, last)
            self._set(np.delete(self._ids, np.s_[first : last + 1]), None)
            self._forget_pages_from(first)
            self.endRemoveRows()
        for first, last in inserted:  # in order: each lands where the new order has it
            self.beginInsertRows(root, first, last)
            self._set(np.insert(self._ids, first, ids[first : last + 1]), None)
            self._forget_pages_from(first)
            self.endInsertRows()
        return True

    def _reorder(self, ids: np.ndarray, scores: np.ndarray | None) -> None:
        """The same photos in a new order: persistent indexes (the selection) follow them."""
        self.layoutAboutToBeChanged.emit()
        old = self._ids
        self._set(ids, scores)
        self._forget_pages_from(0)
        froms, tos = [], []
        for index in self.persistentIndexList():
            row = self.row_of(int(old[index.row()])) if index.row() < len(old) else None
            froms.append(index)
            tos.append(self.index(row) if row is not None else QModelIndex())
        self.changePersistentIndexList(froms, tos)
        self.layoutChanged.emit()

    def _forget_pages_from(self, row: int) -> None:
        """Rows from ``row`` on moved: their pages no longer match their rows (the view lays
        them out and draws them again)."""
        first = row // PAGE
        for page_no in [p for p in self._pages if p >= first]:
            del self._pages[page_no]
        self._shown = {p for p in self._shown if p < first}

    def refresh(self, photo_ids: Iterable[int] | None = None) -> None:
        """Re-read these photos' details (every photo when None), e.g. after indexing or
        tagging touched them. Only rows of pages read since they were last redrawn can be on
        screen: those are redrawn (their pages read again); the others are read when shown."""
        if photo_ids is None:
            spans = [
                (first * PAGE, min((last + 1) * PAGE, len(self._ids)) - 1)
                for first, last in _runs_of(sorted(self._shown))
            ]
            self._pages.clear()
            self._shown.clear()  # every row that may be on screen is told: it reads again
        else:
            rows = self.rows_of(photo_ids)
            rows = np.sort(rows[np.isin(rows // PAGE, list(self._shown))])
            for page_no in np.unique(rows // PAGE).tolist():
                self._pages.pop(page_no, None)
            spans = _runs_of(rows)
        for top, bottom in spans:
            self.dataChanged.emit(self.index(top), self.index(bottom))

    def show_marks(self, photo_ids: Iterable[int], stars=KEEP, label=KEEP, flag=KEEP) -> None:
        """Show new marks on these photos' cells now, while the worker writes them (a
        ``refresh`` of the same photos then reads what it stored)."""
        rows = np.sort(self.rows_of(photo_ids))
        for row in rows.tolist():
            page = self._pages.get(row // PAGE)
            brief = page[row % PAGE] if page else None
            if brief is not None:
                new = marks_of(brief).with_changes(stars, label, flag)
                page[row % PAGE] = replace(brief, stars=new.stars, label=new.label, flag=new.flag)
        for top, bottom in _runs_of(rows):
            self.dataChanged.emit(self.index(top), self.index(bottom), [CellRole, MarksRole])

    @property
    def ids(self) -> np.ndarray:
        return self._ids

    def photo_id(self, row: int) -> int:
        return int(self._ids[row])

    def score(self, row: int) -> float | None:
        return None if self._scores is None else float(self._scores[row])

    def row_of(self, photo_id: int) -> int | None:
        rows = self.rows_of([photo_id])
        return int(rows[0]) if len(rows) else None

    def rows_of(self, photo_ids: Iterable[int]) -> np.ndarray:
        """The rows of those of these photos that are in the grid (in no particular order)."""
        wanted = np.fromiter(photo_ids, np.int64)
        if not len(wanted) or not len(self._ids):
            return np.zeros(0, np.int64)
        if self._order is None:
            self._order = np.argsort(self._ids, kind="stable")
        ordered = self._ids[self._order]
        at = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
        return self._order[at[ordered[at] == wanted]]

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
        self._shown.add(page_no)
        while len(self._pages) > MAX_PAGES:  # the least recently drawn: off screen
            self._shown.discard(self._pages.popitem(last=False)[0])
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
            return Cell(
                b.name,
                thumb,
                b.status,
                self.score(row),
                b.confirmed,
                b.to_review,
                marks_of(b),
                bool(b.conflict),
            )
        if role == MarksRole:
            return marks_of(b)
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
            if b.conflict:
                lines.append("a mark changed here and in its sidecar: right-click to decide")
            if b.confirmed:
                lines.append(plural(b.confirmed, "confirmed tag"))
            if b.to_review:
                lines.append(plural(b.to_review, "suggestion") + " to review")
            marks = marks_of(b)
            if not marks.empty:
                lines.append(marks.describe())
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


def _runs_of(values) -> list[tuple[int, int]]:
    """Sorted distinct integers as (first, last) runs of consecutive ones."""
    v = np.asarray(values, np.int64)
    if not len(v):
        return []
    breaks = np.flatnonzero(np.diff(v) != 1)
    firsts = np.concatenate((v[:1], v[breaks + 1]))
    lasts = np.concatenate((v[breaks], v[-1:]))
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))
