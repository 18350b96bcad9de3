"""What the keyboard and buttons of the photo panel do: decide, add, undo, move.

Decisions apply to every selected photo. The chips change at once (the user sees the key
press land), the write goes to the worker, and the chips are re-read when it is stored.
The worker retrains the touched tags a few seconds after the last decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from clipdesk.catalog import photo_text
from clipdesk.gui.adapters.grid_model import PathRole
from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.shortcuts import add_shortcut
from clipdesk.gui.views.grid_view import PhotoGrid
from clipdesk.gui.views.photo_view import PhotoView
from clipdesk.gui.views.tag_text import tag_text
from clipdesk.ops import tags as tag_ops
from clipdesk.ops.errors import OpError
from clipdesk.ops.tags import UndoReport
from clipdesk.tagging.states import TagSource, TagState
from clipdesk.tagging.store import TagStore
from clipdesk.wording import plural


class TaggingController(QObject):
    """Connects the grid's selection to the photo view, and the keys to decisions."""

    message = Signal(str)
    similar_requested = Signal(int)

    def __init__(
        self,
        view: PhotoView,
        grid: PhotoGrid,
        reader: CatalogReader,
        bridge: WorkerBridge,
        host: QWidget,
    ):
        super().__init__(host)
        self.view, self.grid, self.reader, self.bridge = view, grid, reader, bridge
        self.ids: list[int] = []
        grid.selection_changed.connect(self.show_ids)
        view.accept_button.clicked.connect(self.accept)
        view.reject_button.clicked.connect(self.reject)
        view.similar_button.clicked.connect(self._similar)
        view.add_field.submitted.connect(self.add_tag)
        view.add_field.create_requested.connect(self.add_tag)
        view.add_field.unknown.connect(
            lambda text: self.message.emit(
                f"“{text}” is not a tag: pick a completion, or “Create tag” to make a new one"
            )
        )
        view.add_field.cancelled.connect(self._back_to_grid)
        reader.changed.connect(self.refresh)
        self.actions = self._make_actions(host)

    def _make_actions(self, host: QWidget) -> dict[str, QAction]:
        keys = {
            "accept": (["A"], self.accept, "Accept the focused suggestion"),
            "reject": (["R"], self.reject, "Reject the focused tag"),  # X: the reject flag
            "next_tag": (["]"], partial(self.view.chips.move_focus, 1), "Next tag"),
            "prev_tag": (["["], partial(self.view.chips.move_focus, -1), "Previous tag"),
            "next": (["Right", "Space"], partial(self.move, 1), "Next photo"),
            "prev": (["Left", "Backspace"], partial(self.move, -1), "Previous photo"),
            "add": (["T", "+"], self.focus_add_field, "Add a tag"),
            "undo": ([QKeySequence.StandardKey.Undo], self.undo, "Undo the last decision"),
        }
        return {
            name: add_shortcut(host, shortcuts, slot, text)
            for name, (shortcuts, slot, text) in keys.items()
        }

    # -- what is shown ------------------------------------------------------------------

    def show_ids(self, ids: list[int]) -> None:
        """The grid's selection changed (current photo first)."""
        self.ids = list(ids)
        if not ids:
            self.view.show_nothing()
            return
        model = self.grid.grid_model()
        row = model.row_of(ids[0])
        path = model.data(model.index(row), PathRole) if row is not None else None
        if len(ids) == 1:
            caption = path or ""
        else:
            caption = f"<b>{len(ids):,} photos selected</b>: decisions apply to all of them"
        self.view.show_selection(path, caption)
        self.refresh_chips()
        self.refresh_words()

    def tags_changed(self, photo_ids: Iterable[int] = ()) -> None:
        """Tags changed on these photos (every photo when none): the chips, if shown."""
        ids = set(photo_ids)
        if self.ids and (not ids or not ids.isdisjoint(self.ids)):
            self.refresh_chips(self.view.chips.focused_tag)

    def refresh(self) -> None:
        """The catalog changed: re-read the chips, the words and the tag names."""
        self.refresh_chips()
        self.refresh_words()
        catalog = self.reader.catalog()
        if catalog is not None:
            self.view.set_tag_names(TagStore(catalog).names())

    def refresh_words(self) -> None:
        """The words read in the photo shown alone (a selection of several shows none)."""
        if len(self.ids) != 1:
            self.view.set_words(None)
            return
        photo_id = self.ids[0]

        def words(catalog) -> str | None:
            try:
                return photo_text.text_of(catalog, photo_id)[1]
            except LookupError:  # forgotten since
                return None

        self.reader.read(words, self.view.set_words, key="words")

    def refresh_chips(self, focus: int | None = None) -> None:
        if not self.ids:
            return
        catalog = self.reader.catalog()
        if catalog is None:
            return
        if len(self.ids) <= 2000:
            self.view.set_chips(TagStore(catalog).chips(self.ids), focus)
        else:
            ids = list(self.ids)
            self.reader.read(lambda c: TagStore(c).chips(ids), self.view.set_chips, key="chips")

    # -- decisions ------------------------------------------------------------------------

    def accept(self) -> None:
        self._decide(TagState.CONFIRMED)

    def reject(self) -> None:
        self._decide(TagState.REJECTED)

    def _decide(self, state: TagState) -> None:
        chip = self.view.chips.focused()
        if chip is None or not self.ids:
            self.message.emit("No tag to decide on: select a photo with suggestions")
            return
        ids, tag_id = list(self.ids), chip.tag_id
        # Show the decision now; the write follows on the worker.
        chips = [
            replace(c, state=state, source=TagSource.USER, count=len(ids))
            if c.tag_id == tag_id
            else c
            for c in self.view.chips.chips()
        ]
        self.view.set_chips(chips, tag_id)
        self.view.chips.focus(self.view.chips.next_suggestion_after(tag_id) or tag_id)
        verb = "Accepted" if state == TagState.CONFIRMED else "Rejected"
        self.message.emit(f"{verb} “{chip.name}” on {plural(len(ids), 'photo')}")
        self.bridge.submit(
            lambda lib: tag_ops.decide(lib, ids, tag_id, state),
            done=lambda _n: self._written(),
        )

    def add_tag(self, path: str) -> None:
        """Confirm the tag at ``path`` on the selection (created when new: the field only
        asks for a new one when the user chose "Create tag")."""
        if not self.ids:
            return
        try:
            text = tag_ops.typed_path(path)  # a name no tag may have: said here, at once
        except OpError as exc:
            self.message.emit(str(exc)[0].upper() + str(exc)[1:])
            return
        ids = list(self.ids)
        self.message.emit(f"Added “{tag_text(text)}” to {plural(len(ids), 'photo')}")
        self.bridge.submit(
            lambda lib: tag_ops.add_tag(lib, ids, text),
            done=lambda _tag_id: self._written(),
        )
        QTimer.singleShot(0, self._back_to_grid)  # once the completion popup has closed

    def undo(self) -> None:
        def undone(report: UndoReport) -> None:
            shown = tuple(tag_text(t) for t in report.tags)
            text = replace(report, tags=shown).describe()
            self.message.emit(text[0].upper() + text[1:])
            self._written()

        self.bridge.submit(tag_ops.undo, done=undone)

    def _written(self) -> None:
        focus = self.view.chips.focused_tag
        self.reader.notify_changed(now=True)
        self.refresh_chips(focus)

    # -- moving around -------------------------------------------------------------------

    def move(self, step: int) -> None:
        if not self.grid.move_current(step):
            self.message.emit("That was the last photo" if step > 0 else "This is the first photo")

    def focus_add_field(self) -> None:
        self.view.add_field.clear()  # each T starts a fresh entry
        self.view.add_field.setFocus()

    def _back_to_grid(self) -> None:
        target = self.grid if self.grid.isVisible() else self.view
        target.setFocus()

    def _similar(self) -> None:
        if self.ids:
            self.similar_requested.emit(self.ids[0])
