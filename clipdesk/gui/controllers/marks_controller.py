"""Stars, colour labels and flags from the keyboard, as Lightroom's Library has them: 0–5 stars,
6–9 a colour label (the label the current photo has already comes off), P pick, X reject, U
unflag, on every selected photo.

The keys belong to the grid and the photo panel (beside the grid, or the large view): with the
focus in the search field or the add-tag field, digits and letters are typed as usual. The
cells show the change at once; the worker writes it, as one step that Ctrl+Z takes back, and
the rows are read again once it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QWidget

from clipdesk.catalog.marks import KEEP, Marks
from clipdesk.gui.adapters.grid_model import MarksRole
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.shortcuts import add_shortcut
from clipdesk.gui.views.library_page import LibraryPage
from clipdesk.gui.views.marks_badges import stars_text
from clipdesk.ops import marks as marks_ops
from clipdesk.ops.marks import KEY_FLAGS, KEY_LABELS, KEY_STARS, RateReport
from clipdesk.wording import plural


def in_words(stars=KEEP, label=KEEP, flag=KEEP) -> str:
    """What a key gives, as the status bar says it: '★★★★', 'red label', 'picked'."""
    parts = []
    if stars is not KEEP:
        parts.append(stars_text(stars) or "no stars")
    if label is not KEEP:
        parts.append(f"{label} label" if label else "no label")
    if flag is not KEEP:
        parts.append({"pick": "picked", "reject": "rejected"}.get(flag, "unflagged"))
    return ", ".join(parts)


class MarksController(QObject):
    message = Signal(str)
    marks_changed = Signal(tuple)  # photo ids whose marks changed (none: any photo may have)

    def __init__(self, page: LibraryPage, bridge: WorkerBridge):
        super().__init__(page)
        self.page, self.bridge = page, bridge
        for host in (page.grid, page.photo):
            self._keys(host)
        page.grid.selection_changed.connect(lambda _ids: self.show_marks())
        page.grid.conflicts_decided.connect(self.decide_conflicts)
        # The panel shows the current photo's marks as the grid has them, whatever changed them.
        page.model.dataChanged.connect(self._rows_changed)
        page.model.modelReset.connect(self.show_marks)
        page.installEventFilter(self)

    def _keys(self, host: QWidget) -> None:
        for key, stars in KEY_STARS.items():
            add_shortcut(host, [key, f"Num+{key}"], partial(self.mark, stars=stars), key)
        for key, label in KEY_LABELS.items():
            add_shortcut(host, [key, f"Num+{key}"], partial(self.toggle_label, label), key)
        for key, flag in KEY_FLAGS.items():
            add_shortcut(host, [key], partial(self.mark, flag=flag), key)

    # -- the keys -------------------------------------------------------------------------

    def mark(self, stars=KEEP, label=KEEP, flag=KEEP) -> None:
        """Give the selected photos these marks (KEEP: leave that one as it is)."""
        ids = self.page.grid.selected_ids()
        if not ids:
            self.message.emit("Select photos first: the keys mark the selected photos")
            return
        self.page.model.show_marks(ids, stars, label, flag)
        self.message.emit(f"{plural(len(ids), 'photo')}: {in_words(stars, label, flag)}")

        def done(report: RateReport) -> None:
            if not report.changed:
                text = report.describe()
                self.message.emit(text[0].upper() + text[1:])
            self.refresh(ids)

        def failed(exc: BaseException) -> None:
            self.message.emit(f"Marks not changed: {exc}")
            self.refresh(ids)  # the cells show what is stored

        job = partial(marks_ops.rate_ids, ids=ids, stars=stars, label=label, flag=flag)
        if self.bridge.submit(job, done, failed=failed) is None:
            failed(RuntimeError("another ClipDesk process has the catalog (read-only here)"))

    def decide_conflicts(self, ids: list[int], take_file: bool) -> None:
        """A sidecar conflict decided (the grid's menu): the sidecar's values become the
        photos' marks (Ctrl+Z takes it back), or ClipDesk's stay for the next export."""
        from clipdesk.ops import conflicts as conflict_ops

        def done(_changes) -> None:
            side = "the sidecar's marks" if take_file else "ClipDesk's marks (export writes them)"
            self.message.emit(f"{plural(len(ids), 'photo')}: took {side}")
            self.refresh(ids)

        def failed(exc: BaseException) -> None:
            self.message.emit(f"Conflict not decided: {exc}")

        job = partial(conflict_ops.resolve, photo_ids=list(ids), take_file=take_file)
        if self.bridge.submit(job, done, failed=failed) is None:
            failed(RuntimeError("another ClipDesk process has the catalog (read-only here)"))

    def toggle_label(self, label: str) -> None:
        """Lightroom's 6–9: the label, or none when the current photo has it already."""
        current = self.current_marks()
        self.mark(label=None if current is not None and current.label == label else label)

    # -- what is shown --------------------------------------------------------------------

    def _current_row(self) -> int | None:
        """The row of the photo the panel shows: the current one, else the first selected."""
        grid = self.page.grid
        index = grid.currentIndex()
        if index.isValid() and grid.selectionModel().isSelected(index):
            return index.row()  # without listing the selection: this runs for each redraw
        rows = [i.row() for i in grid.selectionModel().selectedIndexes()]
        return min(rows) if rows else None

    def current_marks(self) -> Marks | None:
        """The marks of the photo the panel shows, as the grid has them (the key just pressed
        is in)."""
        row = self._current_row()
        return self.page.model.index(row).data(MarksRole) if row is not None else None

    def show_marks(self) -> None:
        self.page.photo.set_marks(self.current_marks())

    def _rows_changed(self, top, bottom, *_) -> None:
        row = self._current_row()
        if row is not None and top.row() <= row <= bottom.row():
            self.show_marks()

    def refresh(self, photo_ids: Iterable[int] = ()) -> None:
        """These photos' marks changed (any photo's when none): whoever shows them reads them
        again (the grid's rows, and with them the panel, through ``marks_changed``)."""
        self.marks_changed.emit(tuple(photo_ids))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Back on the Library: what another page changed shows (the Duplicates page's
        # rejects; the worker does not report changes of marks as events).
        if watched is self.page and event.type() == QEvent.Type.Show:
            self.refresh()
        return False
