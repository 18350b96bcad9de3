"""The thumbnail grid: a virtualised list view (only the cells in view are painted or loaded)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from clipdesk.catalog.marks import Marks
from clipdesk.gui.adapters.grid_model import Cell, CellRole, IdRole, PhotoGridModel
from clipdesk.gui.views.marks_badges import (
    LABEL_DOT,
    REJECTED_OPACITY,
    paint_label_dot,
    paint_marks,
)

CAPTION = 20
PAD = 6
EMPTY = Cell("", None, "", None, 0, 0, Marks())  # a row not read (yet)


def cell_size(size: int) -> QSize:
    """The smallest cell for a thumbnail of ``size``: the square, its padding and the caption."""
    return QSize(size + 2 * PAD, size + CAPTION + 2 * PAD)


def filling_width(width: int, cell: int) -> int:
    """The width of each of the cells at least ``cell`` wide that fit across ``width``, so that
    they fill it (to within a pixel per column: the view wraps a row whose last cell reaches
    the very last pixel)."""
    usable = max(width - 1, cell)
    return usable // max(1, usable // cell)


class ThumbnailDelegate(QStyledItemDelegate):
    """A cell: the thumbnail centred in a square, the file name below, selection as a frame;
    badges for the tags, the score and the marks (a rejected photo dimmed, with a red ✕).

    The cell may be wider than the square (the grid spreads its columns over its width): the
    square stays centred in it and the caption takes the whole width."""

    def __init__(self, size: int, parent=None):
        super().__init__(parent)
        self.size = size
        self.cell_width = cell_size(size).width()

    def sizeHint(self, option, index) -> QSize:
        return QSize(self.cell_width, cell_size(self.size).height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = option.rect.adjusted(2, 2, -2, -2)
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight).lighter(170))
            painter.drawRoundedRect(r, 6, 6)
        box = QRect(0, r.y() + PAD - 2, self.size, self.size)
        box.moveLeft(r.x() + (r.width() - self.size) // 2)
        cell = index.data(CellRole) or EMPTY  # one call for everything: paint runs per cell
        name, pixmap, status, score, confirmed, to_review, marks, conflict = cell
        if pixmap is not None and not pixmap.isNull():
            scaled = pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(box.center())
            if status == "missing":
                painter.setOpacity(0.35)
            elif marks.flag == "reject":
                painter.setOpacity(REJECTED_OPACITY)
            painter.drawPixmap(target, pixmap)
            painter.setOpacity(1.0)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.AlternateBase).darker(105))
            painter.drawRoundedRect(box.adjusted(8, 8, -8, -8), 4, 4)
        if status == "missing":
            painter.setPen(QColor("#b00020"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "offline")
        if score is not None:
            self._badge(painter, box, f"{score:.2f}")
        if confirmed:  # Lightroom and digiKam mark tagged photos; so do we
            self._badge(painter, box, f"✓ {confirmed}", QColor("#2e7d32"), left=True)
        if conflict:  # its sidecar and ClipDesk changed a mark both: right-click decides
            self._badge(
                painter, box, "≠ XMP", QColor("#c62828"), left=True, line=int(confirmed > 0)
            )
        if to_review:  # a dot: suggestions wait for a decision
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#ef6c00"))
            painter.drawEllipse(box.right() - 11, box.bottom() - 11, 8, 8)
        paint_marks(painter, box, marks)
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(pal.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(r, 6, 6)
        text_rect = QRect(r.x() + 4, box.bottom() + 2, r.width() - 8, CAPTION)
        dot = LABEL_DOT + 4 if marks.label else 0  # the colour label, before the name
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        elided = option.fontMetrics.elidedText(
            name, Qt.TextElideMode.ElideMiddle, text_rect.width() - dot
        )
        if dot:
            width = option.fontMetrics.horizontalAdvance(elided) + dot
            left = text_rect.center().x() - width // 2
            paint_label_dot(painter, left, text_rect.center().y() + 1, marks.label)
            text_rect.setLeft(left + dot)
            text_rect.setWidth(width - dot + 2)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, elided
        )
        painter.restore()

    @staticmethod
    def _badge(
        painter: QPainter,
        box: QRect,
        text: str,
        colour: QColor | None = None,
        left=False,
        line: int = 0,
    ) -> None:
        painter.save()
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        w = painter.fontMetrics().horizontalAdvance(text) + 8
        x = box.left() + 2 if left else box.right() - w - 2
        h = painter.fontMetrics().height() + 2
        rect = QRect(x, box.top() + 2 + line * (h + 2), w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour or QColor(0, 0, 0, 150))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class PhotoGrid(QListView):
    """Thumbnails in rows that wrap; multi-selection; a context menu for "find similar"."""

    similar_requested = Signal(int)  # photo id
    open_requested = Signal(int)  # photo id
    conflicts_decided = Signal(list, bool)  # photo ids, take the sidecar's values
    selection_changed = Signal(list)  # selected photo ids, current first

    def __init__(self, model: PhotoGridModel, size: int = 160, parent=None):
        super().__init__(parent)
        # ListMode relays out every row on every dataChanged (one Python rowCount() call
        # each: ~200 ms at 100k rows), so each arriving thumbnail would stall the
        # window; IconMode updates only the changed cell. Batched layout spreads the one
        # O(n) layout after a reset over many short event-loop turns (~15 ms each).
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # The columns fill the viewport's width; a scroll bar that came and went with the
        # number of rows would change that width, and with it the columns, each time.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setAccessibleName("Photos")
        self._last_selection: list[int] = []
        self._delegate = ThumbnailDelegate(size, self)
        self.setItemDelegate(self._delegate)
        self.setModel(model)
        self.set_thumbnail_size(size)
        self.verticalScrollBar().setSingleStep(24)
        self.customContextMenuRequested.connect(self._menu)
        self.activated.connect(lambda i: self.open_requested.emit(int(i.data(IdRole))))
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        self.selectionModel().currentChanged.connect(self._emit_selection)

    def grid_model(self) -> PhotoGridModel:
        return self.model()  # type: ignore[return-value]

    def set_thumbnail_size(self, size: int) -> None:
        """Thumbnails of ``size``: the smallest cell; the cells widen to fill the width."""
        self._delegate.size = size
        self.setIconSize(QSize(size, size))
        self._fit_columns()
        self.scheduleDelayedItemsLayout()

    def _fit_columns(self) -> None:
        """Widen the cells so that the columns that fit span the viewport (no empty band at
        the right, as in Lightroom's and digiKam's grids)."""
        smallest = cell_size(self._delegate.size)
        width = filling_width(self.viewport().width(), smallest.width())
        self._delegate.cell_width = width
        grid = QSize(width, smallest.height())
        if grid != self.gridSize():
            self.setGridSize(grid)

    def resizeEvent(self, event) -> None:
        self._fit_columns()
        super().resizeEvent(event)

    def set_photos(
        self, ids: np.ndarray, scores: np.ndarray | None = None, keep_scroll: bool = True
    ) -> None:
        """New contents; the selection, current photo and scroll position survive, as far as
        their photos are still listed."""
        model = self.grid_model()
        selected = self.selected_ids()
        current = self.current_id()
        value = self.verticalScrollBar().value()
        model.set_photos(ids, scores)
        if model.rowCount() and selected and not self.selected_ids():
            self.select_ids(selected, current)
        if keep_scroll:
            self.verticalScrollBar().setValue(value)
        else:
            self.scrollToTop()
        # A reset clears the selection without a signal: say what is selected now (nothing,
        # when the photos shown left the grid), so that no panel keeps showing them.
        self._emit_selection()

    def selected_ids(self) -> list[int]:
        """Selected photo ids in display order."""
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        model = self.grid_model()
        return [model.photo_id(r) for r in rows if r < model.rowCount()]

    def current_id(self) -> int | None:
        index = self.currentIndex()
        return int(index.data(IdRole)) if index.isValid() else None

    def select_ids(self, ids: list[int], current: int | None = None) -> None:
        model = self.grid_model()
        selection = QItemSelection()
        for row in model.rows_of(ids).tolist():
            selection.select(model.index(row), model.index(row))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.selectionModel().select(selection, flags)
        row = model.row_of(current) if current is not None else None
        if row is not None:
            self.selectionModel().setCurrentIndex(
                model.index(row), QItemSelectionModel.SelectionFlag.NoUpdate
            )

    def move_current(self, step: int) -> bool:
        """Select the next (or previous) photo alone; False at either end."""
        model = self.grid_model()
        if not model.rowCount():
            return False
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        new = row + step if row >= 0 else 0
        if not 0 <= new < model.rowCount():
            return False
        self.setCurrentIndex(model.index(new))  # selects it alone
        self.scrollTo(model.index(new))
        return True

    def _emit_selection(self, *args) -> None:
        ids = self.selected_ids()
        current = self.current_id()
        if current in ids:
            ids.remove(current)
            ids.insert(0, current)
        if ids != self._last_selection:
            self._last_selection = ids
            self.selection_changed.emit(ids)

    def _menu(self, pos) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        pid = int(index.data(IdRole))
        menu = QMenu(self)
        menu.addAction("Find similar photos", lambda: self.similar_requested.emit(pid))
        menu.addAction("Open", lambda: self.open_requested.emit(pid))
        for action in self.conflict_actions(pid):
            menu.addAction(action)
        menu.exec(self.viewport().mapToGlobal(pos))

    def conflict_actions(self, pid: int) -> list[QAction]:
        """The decisions on sidecar conflicts, for the selection (or the photo clicked) when
        one of them has a conflict: take the sidecar's values, or keep ClipDesk's."""
        model = self.model()
        ids = self.selected_ids() if pid in self.selected_ids() else [pid]
        rows = [model.row_of(i) for i in ids]
        torn = [
            i
            for i, row in zip(ids, rows, strict=True)
            if row is not None and (cell := model.index(row).data(CellRole)) and cell.conflict
        ]
        if not torn:
            return []
        whose = f"these {len(torn)} photos" if len(torn) > 1 else "this photo"
        take = QAction(f"Sidecar conflict: take the sidecar's marks for {whose}", self)
        keep = QAction(f"Sidecar conflict: keep ClipDesk's marks for {whose}", self)
        keep.setToolTip("The next export writes them into the sidecar")
        take.triggered.connect(lambda: self.conflicts_decided.emit(torn, True))
        keep.triggered.connect(lambda: self.conflicts_decided.emit(torn, False))
        return [take, keep]
