"""Review mode's behaviour: fetch the uncertain queue, one decision per key, refill.

Each decision goes down to the worker, which decides when the touched tags retrain."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence

from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.shortcuts import add_shortcut
from clipdesk.gui.views.review_view import ReviewView
from clipdesk.gui.views.tag_text import tag_text
from clipdesk.ops import learning
from clipdesk.ops import tags as tag_ops
from clipdesk.tagging.review import ReviewItem
from clipdesk.tagging.states import TagState

QUEUE = 40


class ReviewController(QObject):
    message = Signal(str)

    def __init__(self, view: ReviewView, reader: CatalogReader, bridge: WorkerBridge):
        super().__init__(view)
        self.view, self.reader, self.bridge = view, reader, bridge
        self.queue: list[ReviewItem] = []
        self.pos = 0
        self.decided = 0
        self._history: list[int] = []  # positions decided, for undo
        self._loading = False
        self.active = False
        self._report_timer = QTimer(self, singleShot=True, interval=500)
        self._report_timer.timeout.connect(self.load_report)
        keys = {
            "yes": (["Y", "A"], lambda: self.decide(TagState.CONFIRMED)),
            "no": (["N", "R"], lambda: self.decide(TagState.REJECTED)),
            "skip": (["S", "Space", "Right"], self.skip),
            "undo": ([QKeySequence.StandardKey.Undo], self.undo),
        }
        for shortcuts, slot in keys.values():
            add_shortcut(view, shortcuts, slot)
        view.yes_button.clicked.connect(lambda: self.decide(TagState.CONFIRMED))
        view.no_button.clicked.connect(lambda: self.decide(TagState.REJECTED))
        view.skip_button.clicked.connect(self.skip)
        view.undo_button.clicked.connect(self.undo)
        reader.changed.connect(self._catalog_changed)

    def activate(self) -> None:
        """The review page is shown: fetch a fresh queue."""
        self.active = True
        self.view.setFocus()
        self.load_queue()
        self.load_report()

    def deactivate(self) -> None:
        self.active = False

    def load_queue(self) -> None:
        if self._loading:
            return
        self._loading = True
        self.view.show_message("Finding the suggestions the model is least sure of…")
        if (
            self.bridge.submit(
                lambda lib: learning.review_queue(lib, None, QUEUE),
                done=self._queued,
                failed=self._failed,
            )
            is None
        ):
            self._loading = False
            self.view.show_message("The background worker is not running")

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        self.view.show_message(f"Cannot review yet: {exc}")

    def _queued(self, items: list[ReviewItem]) -> None:
        self._loading = False
        self.queue, self.pos, self._history = items, 0, []
        self._show()

    def _show(self) -> None:
        if not self.queue:
            self.view.show_message(
                "Nothing to review: the model is sure of every suggestion (or nothing is "
                "tagged yet)."
            )
            return
        if self.pos >= len(self.queue):
            self.view.show_message(
                "Done with this round: the model learns from it, then a new round starts."
            )
            self.load_queue()
            return
        item = self.queue[self.pos]
        note = "suggested" if item.suggested else "not suggested yet"
        self.view.show_item(
            item.path,
            tag_text(item.tag),
            item.score,
            note,
            f"{self.pos + 1} of {len(self.queue)} · {self.decided} decided this session",
        )

    def current(self) -> ReviewItem | None:
        return self.queue[self.pos] if 0 <= self.pos < len(self.queue) else None

    def decide(self, state: TagState) -> None:
        item = self.current()
        if item is None:
            return
        self.bridge.submit(
            lambda lib: tag_ops.decide(lib, [item.photo_id], item.tag_id, state),
            done=lambda _: self._report_timer.start(),
        )
        self._history.append(self.pos)
        self.decided += 1
        self.message.emit(f"{'Yes' if state == TagState.CONFIRMED else 'No'}: {tag_text(item.tag)}")
        self.pos += 1
        self._show()

    def skip(self) -> None:
        if self.current() is not None:
            self.pos += 1
            self._show()

    def undo(self) -> None:
        if not self._history:
            self.message.emit("Nothing to undo in this round")
            return
        self.pos = self._history.pop()
        self.decided -= 1
        self.bridge.submit(tag_ops.undo, done=lambda _: self._report_timer.start())
        self._show()

    def load_report(self) -> None:
        self.bridge.submit(learning.learning_report, done=self.view.set_report)

    def tags_changed(self) -> None:
        """Tags changed somewhere: the learning report, once the decisions pause."""
        self._catalog_changed()

    def _catalog_changed(self) -> None:
        if self.active and not self._report_timer.isActive():
            self._report_timer.start()

    def shutdown(self) -> None:
        self._report_timer.stop()
