"""The People page's "Is this Ross?": a named person's suggested faces, one at a time, the
most alike first; A says yes (confirm_face), R says no (reject_face), arrows move, and past
the round's end it looks for the suggestions there are now. Its state is the round's own;
the page's controller (people_controller.py) owns it and hands it the person chosen."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape

from PySide6.QtCore import QObject

from clipdesk.gui.adapters import people_reads
from clipdesk.gui.adapters.face_crops import FaceCrops
from clipdesk.gui.adapters.people_reads import FaceCard, PersonCard
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.views.face_preview import FaceBox
from clipdesk.gui.views.people_page import NO_FACES, REVIEW_CROP, PeoplePage
from clipdesk.ops import people as people_ops
from clipdesk.pathnames import shown
from clipdesk.wording import plural


def _file(path: str) -> str:
    return shown(path).rsplit("/", 1)[-1]


def _alike(face: FaceCard) -> str:
    """How alike the face is to its person (a confirmed face is the person: nothing said)."""
    if face.similarity is None or face.state == "confirmed":
        return ""
    return f"{round(face.similarity * 100)}% alike"


class FaceReview(QObject):
    def __init__(
        self,
        page: PeoplePage,
        bridge: WorkerBridge,
        crops: FaceCrops,
        person: Callable[[], PersonCard | None],
        message: Callable[[str], None],
        changed: Callable[[], None],
        reload: Callable[[], None],
    ):
        super().__init__(page)
        self.page, self.bridge, self.crops = page, bridge, crops
        self.person, self.message, self.changed, self.reload = person, message, changed, reload
        self.queue: list[FaceCard] = []
        self.pos = 0
        self.decided = 0
        self._history: list[int] = []  # positions decided this round, for undo
        self._skipped: set[int] = set()

    def step_back(self) -> None:
        """Undo while reviewing: back to the face last decided (its action is undone)."""
        if self._history:
            self.pos = self._history.pop()
            self.decided -= 1
            self.show_face()

    def start(self) -> None:
        """The chosen person's suggested faces, one at a time, the most alike first."""
        person = self.person()
        if person is None or not person.name or self.page.reviewing:
            return
        if not person.suggested:
            self.message(f"No suggested faces of {person.name} to review")
            return
        self.queue, self.pos, self._history, self._skipped = [], 0, [], set()
        self.decided = 0
        self.page.show_review()
        self.page.review.show_message(f"Finding the faces that look like {person.name}…")
        self._load_queue(person)

    def _load_queue(self, person: PersonCard) -> None:
        def queued(items: list[FaceCard]) -> None:
            if not self.page.reviewing or self.person() is None or self.person().id != person.id:
                return
            self.queue = [f for f in items if f.id not in self._skipped]
            self.pos, self._history = 0, []
            self.show_face()

        self.bridge.submit(lambda lib: people_reads.review_queue(lib, person.id), done=queued)

    def show_face(self) -> None:
        review, person = self.page.review, self.person()
        if person is None:
            return
        if not self.queue:
            review.show_message(
                f"Nothing left to review for {escape(person.name or '')}: "
                f"{plural(self.decided, 'decision')} this time. Esc goes back to the faces."
            )
            return
        if self.pos >= len(self.queue):  # the round's end: Undo and ← still reach it
            review.show_message(
                f"That was the last of these: {plural(self.decided, 'decision')} so far. "
                "Next → looks for new suggestions (each yes brings more); Esc goes back."
            )
            review.back_button.setEnabled(True)
            review.skip_button.setEnabled(True)
            return
        face = self.queue[self.pos]
        review.set_crop(self.crops.pixmap(face, REVIEW_CROP))
        review.photo.show_photo(face.path, "This photo cannot be shown")
        review.photo.set_faces(
            face.path, [FaceBox(face.id, face.box, person.name, "suggested", True)], face.id
        )
        review.question.setText(f"Is this <b>{escape(person.name or '')}</b>?")
        review.detail.setText(" · ".join(x for x in (_alike(face), _file(face.path)) if x))
        review.position.setText(
            f"{self.pos + 1} of {len(self.queue)} · {plural(self.decided, 'decision')} made"
        )
        review.set_deciding(True)
        review.back_button.setEnabled(self.pos > 0)

    def crop_ready(self, key: tuple) -> None:
        if self.page.reviewing and 0 <= self.pos < len(self.queue):
            face = self.queue[self.pos]
            if face.key == key:
                self.page.review.set_crop(self.crops.pixmap(face, REVIEW_CROP))

    def answer(self, yes: bool) -> None:
        """Yes: the face is the person (confirm_face); no: it is not (reject_face)."""
        if not self.page.reviewing or not 0 <= self.pos < len(self.queue):
            return
        face, name = self.queue[self.pos], self.person().name if self.person() else ""
        if yes:
            job = partial(people_ops.confirm_face, face_id=face.id)
        else:
            job = partial(people_ops.reject_face, face_id=face.id)
        self.bridge.submit(
            job,
            done=lambda _: self.changed(),
            failed=lambda exc: self.message(f"Not done: {exc}"),
        )
        self.message(f"{'Yes' if yes else 'No'}: {name}")
        self._history.append(self.pos)
        self.decided += 1
        self.pos += 1
        self.show_face()

    def step(self, by: int) -> None:
        """Move through the round; past its end, look for the suggestions there are now."""
        if not self.page.reviewing or not self.queue or self.person() is None:
            return
        if self.pos + by > len(self.queue):
            decided = {self.queue[p].id for p in self._history}
            self._skipped |= {f.id for f in self.queue} - decided
            self.page.review.show_message("Looking for new suggestions…")
            self._load_queue(self.person())
        elif self.pos + by >= 0:
            self.pos += by
            self.show_face()

    def end(self) -> None:
        if not self.page.reviewing:
            return
        self.page.review.photo.show_photo(None, "")
        self.queue = []
        person = self.person()
        if person is None:
            self.page.show_empty(NO_FACES)
            return
        self.page.right.setCurrentWidget(self.page.person_panel)
        self.page.people.setFocus()
        self.reload()
