"""The People page's behaviour: list the people and clusters, show one's faces, name, merge,
confirm and reject faces, "Is this Ross?" one suggestion at a time, and undo.

Reads and actions are functions of the Library run on the worker (the actions in
:mod:`clipdesk.ops.people`), so a read after an action sees it. The lists are read again
after each action, and when the worker reports new faces or changed People tags.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape
from itertools import count
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QInputDialog, QMessageBox

from clipdesk.gui.adapters import people_reads
from clipdesk.gui.adapters.face_crops import FaceCrops, Tile
from clipdesk.gui.adapters.people_reads import FaceCard, PersonCard
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.face_review import FaceReview, _alike, _file
from clipdesk.gui.controllers.shortcuts import add_shortcut
from clipdesk.gui.views.name_dialog import NameDialog, open_over
from clipdesk.gui.views.people_page import FACES_OFF, NO_FACES, PeoplePage
from clipdesk.gui.views.tag_text import person_tag
from clipdesk.ops import people as people_ops
from clipdesk.pathnames import shown
from clipdesk.wording import plural

SETTLE_MS = 400  # the worker reports faces a chunk at a time: read the lists once they pause
STATE_WORDS = {"confirmed": "✓ confirmed", "suggested": "suggested", "clustered": "grouped"}


def person_label(p: PersonCard) -> str:
    return p.name if p.name else f"Unnamed ({plural(p.faces, 'face')})"


UNDONE = {  # ops.people.undo's record of an action, by its first word, as the user named it
    "name": "the naming",
    "merge": "the merge",
    "confirm": "the confirmed face",
    "reject": "the “not this person”",
    "add": "the face drawn by hand",
}


def undone(what: str | None) -> str:
    if not what:
        return "Nothing to undo"
    return f"Undone: {UNDONE.get(what.split(' ', 1)[0], what)}"


class PeopleController(QObject):
    message = Signal(str)

    def __init__(
        self,
        page: PeoplePage,
        bridge: WorkerBridge,
        crops: FaceCrops,
        faces_on: Callable[[], bool],
    ):
        super().__init__(page)
        self.page, self.bridge, self.crops, self.faces_on = page, bridge, crops, faces_on
        self.people_model = page.people.model()
        self.face_model = page.faces.model()
        self.people: list[PersonCard] = []
        self.person: PersonCard | None = None
        self.faces: list[FaceCard] = []
        self.active = False
        self._stale = True
        self._follow: int | None = None  # the person to select once the list is read
        self._face_row = 0  # the face row to keep selected once the faces are read
        self._tokens = count(1)
        self._list_token = self._faces_token = 0
        self.dialog: Any = None  # the name or merge dialog open now (tests fill it in)
        self.review = FaceReview(
            page, bridge, crops, lambda: self.person, self.message.emit, self._changed, self.reload
        )
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.reload)
        self._connect()

    def _connect(self) -> None:
        page, review = self.page, self.page.review
        page.single_faces.toggled.connect(lambda _: self._show_list())
        page.people.selectionModel().currentChanged.connect(lambda *_: self._person_chosen())
        page.people.selectionModel().selectionChanged.connect(lambda *_: self._merge_text())
        page.people.merge_dropped.connect(self.merge_pair)
        page.faces.selectionModel().currentChanged.connect(lambda *_: self._face_chosen())
        page.name_button.clicked.connect(self.ask_name)
        page.merge_button.clicked.connect(self.merge)
        page.review_button.clicked.connect(self.start_review)
        page.confirm_button.clicked.connect(self.confirm_face)
        page.reject_button.clicked.connect(self.reject_face)
        page.undo_button.clicked.connect(self.undo)
        review.yes_button.clicked.connect(lambda: self.review.answer(True))
        review.no_button.clicked.connect(lambda: self.review.answer(False))
        review.back_button.clicked.connect(partial(self.review.step, -1))
        review.skip_button.clicked.connect(partial(self.review.step, 1))
        review.undo_button.clicked.connect(self.undo)
        review.done_button.clicked.connect(self.review.end)
        self.crops.ready.connect(self.review.crop_ready)
        add_shortcut(page, [QKeySequence.StandardKey.Undo], self.undo, "Undo the last action")
        add_shortcut(page, ["F2"], self.ask_name, "Name")
        for keys, slot in (
            (["A"], self.confirm_face),
            (["R", "Delete"], self.reject_face),
            (["Space"], self.start_review),
        ):
            add_shortcut(page.person_panel, keys, slot)
        add_shortcut(page.people, ["Space"], self.start_review)
        add_shortcut(page.people, ["Return", "Enter"], page.faces.setFocus, "To the faces")
        for keys, slot in (
            (["A", "Y"], lambda: self.review.answer(True)),
            (["R", "N"], lambda: self.review.answer(False)),
            (["Right", "S", "Space"], partial(self.review.step, 1)),
            (["Left"], partial(self.review.step, -1)),
            (["Escape"], self.review.end),
        ):
            add_shortcut(review, keys, slot)

    # -- the page ---------------------------------------------------------------------------

    def activate(self) -> None:
        """The page is shown: read the lists if anything changed while it was hidden."""
        self.active = True
        if self.page.reviewing:
            self.page.review.setFocus()
        else:
            self.page.people.setFocus()
        if self._stale:
            self.reload()

    def deactivate(self) -> None:
        self.active = False

    def faces_found(self, photo_ids=()) -> None:
        """The worker looked at these photos' faces: the lists, once its reports pause."""
        self._changed()

    def tags_changed(self, tag_ids=()) -> None:
        """Tags changed: the lists, when they were People tags (or any tag: none named)."""
        people_tags = {p.tag_id for p in self.people if p.tag_id is not None}
        if not tag_ids or people_tags.intersection(tag_ids):
            self._changed()

    def _changed(self) -> None:
        self._stale = True
        if self.active and not self._settle.isActive():
            self._settle.start()

    def reload(self) -> None:
        """Read the people (and the chosen person's faces) again."""
        self._settle.stop()
        self._stale = False
        token = self._list_token = next(self._tokens)
        submitted = self.bridge.submit(
            lambda lib: people_reads.people_cards(lib, 1),
            done=lambda cards: self._listed(token, cards),
            failed=lambda exc: self.message.emit(f"Cannot read the people: {exc}"),
        )
        if submitted is None:
            self.page.show_empty("The background worker is not running")

    def _listed(self, token: int, cards: list[PersonCard]) -> None:
        if token != self._list_token:
            return
        self.people = cards
        self._show_list()

    def _shown_people(self) -> list[PersonCard]:
        singles = self.page.single_faces.isChecked()
        return [p for p in self.people if p.name or p.faces >= 2 or singles]

    def _show_list(self) -> None:
        shown_now = self._shown_people()
        keep = self._follow if self._follow is not None else self._current_id()
        self._follow = None
        selected = set(self._selected_ids())
        tiles = [
            Tile(
                p.cover,
                f"{person_label(p)}\n"
                + (f"{plural(p.faces, 'face')} · " if p.name else "")
                + plural(p.photos, "photo"),
                self._tooltip(p),
                p.id,
                muted=not p.name,
            )
            for p in shown_now
        ]
        self.people_model.set_tiles(tiles)
        self._summary()
        if not shown_now:
            self.person = None
            self.page.show_empty(NO_FACES if self.faces_on() else FACES_OFF)
            return
        row = self.people_model.row_of(keep) if keep is not None else None
        view, sel = self.page.people, self.page.people.selectionModel()
        sel.setCurrentIndex(
            self.people_model.index(row or 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        for pid in selected - {keep}:  # a second person chosen for a merge stays chosen
            other = self.people_model.row_of(pid)
            if other is not None:
                sel.select(self.people_model.index(other), QItemSelectionModel.SelectionFlag.Select)
        view.scrollTo(view.currentIndex())  # the reset cleared it: currentChanged showed it

    def _tooltip(self, p: PersonCard) -> str:
        what = person_tag(p.name) if p.name else "Not named yet: Name… (F2) to name them"
        more = f"\n{plural(p.suggested, 'suggested face')} to review" if p.suggested else ""
        return f"{what}\n{plural(p.faces, 'face')} on {plural(p.photos, 'photo')}{more}"

    def _summary(self) -> None:
        named = sum(1 for p in self.people if p.name)
        groups = sum(1 for p in self.people if not p.name and p.faces >= 2)
        singles = sum(1 for p in self.people if not p.name and p.faces < 2)
        parts = [f"{plural(named, 'person', 'people')} named", plural(groups, "unnamed group")]
        if singles:
            hidden = "" if self.page.single_faces.isChecked() else " (hidden)"
            parts.append(f"{plural(singles, 'single face')}{hidden}")
        self.page.summary.setText(
            " · ".join(parts) + ". Faces are found and grouped on this machine."
        )

    def _current_id(self) -> int | None:
        index = self.page.people.currentIndex()
        return index.data(Qt.ItemDataRole.UserRole) if index.isValid() else None

    def _selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.page.people.selectionModel().selectedIndexes())
        return [self.people_model.tiles[r].value for r in rows]

    def _card(self, person_id: int | None) -> PersonCard | None:
        return next((p for p in self.people if p.id == person_id), None)

    # -- one person -------------------------------------------------------------------------

    def _person_chosen(self) -> None:
        person = self._card(self._current_id())
        changed = person is None or self.person is None or person.id != self.person.id
        self.person = person
        if person is None:
            return
        if changed:
            self._face_row = 0
            if self.page.reviewing:
                self.end_review()
        title = escape(person.name) if person.name else "Unnamed group"
        detail = f"{plural(person.faces, 'face')} on {plural(person.photos, 'photo')}"
        if person.suggested:
            detail += f" · {plural(person.suggested, 'suggested face')} to review"
        if not person.name:
            detail += f" · name them to tag their photos {person_tag('Name')}"
        if not self.page.reviewing:
            self.page.show_person(title, detail, bool(person.name), person.suggested)
        self._load_faces(person.id)

    def _load_faces(self, person_id: int) -> None:
        token = self._faces_token = next(self._tokens)
        self.bridge.submit(
            lambda lib: people_reads.person_faces(lib, person_id),
            done=lambda faces: self._faces_read(token, faces),
        )

    def _faces_read(self, token: int, faces: list[FaceCard]) -> None:
        if token != self._faces_token:
            return
        self.faces = faces
        self.face_model.set_tiles(
            [
                Tile(
                    f,
                    f"{STATE_WORDS.get(f.state, f.state)}\n{_alike(f) or _file(f.path)}",
                    f"{shown(f.path)}\n{STATE_WORDS.get(f.state, f.state)} {_alike(f)}".strip(),
                    f.id,
                    muted=f.state == "clustered",
                )
                for f in faces
            ]
        )
        if faces:
            row = min(self._face_row, len(faces) - 1)
            self.page.faces.setCurrentIndex(self.face_model.index(row))
        self._face_chosen()

    def current_face(self) -> FaceCard | None:
        index = self.page.faces.currentIndex()
        row = index.row() if index.isValid() else -1
        return self.faces[row] if 0 <= row < len(self.faces) else None

    def _face_chosen(self) -> None:
        face, person = self.current_face(), self.person
        named = person is not None and person.name is not None
        not_text = f"Not {person.name} (R)" if named else "Not in this group (R)"
        self.page.set_face_actions(
            confirm=face is not None and named and face.state != "confirmed",
            reject=face is not None,
            reject_text=not_text,
        )

    # -- actions ----------------------------------------------------------------------------

    def _run(self, job, done_text: Callable[[Any], str], follow: Callable[[Any], int | None]):
        """Run an action on the worker; then say what it did and read the lists again."""

        def done(result: Any) -> None:
            self._follow = follow(result)
            self.message.emit(done_text(result))
            self.reload()

        self.bridge.submit(job, done=done, failed=lambda exc: self.message.emit(f"Not done: {exc}"))

    def ask_name(self) -> None:
        """Name the chosen person or group (a name someone has already merges the two)."""
        person = self.person
        if person is None or self.page.reviewing:
            return
        names = [p.name for p in self.people if p.name]
        what = "person" if person.name else f"group of {plural(person.faces, 'face')}"
        self.dialog = NameDialog(
            "Rename" if person.name else "Name",
            f"Who is this {what}?",
            names,
            current=person.name or "",
            parent=self.page,
        )
        self.dialog.accepted.connect(partial(self._named, person, self.dialog))
        open_over(self.dialog, self.page.people)

    def _named(self, person: PersonCard, dialog: NameDialog) -> None:
        name, merged = dialog.name(), dialog.existing()
        if not name or name == person.name:
            return
        tag = person_tag(name)
        self._run(
            lambda lib: people_ops.name(lib, person.id, name),
            lambda _: f"Merged into {merged}" if merged else f"Named {name}: tag {tag}",
            lambda result: result["person"],
        )

    def _merge_text(self) -> None:
        two = len(self._selected_ids()) == 2
        self.page.merge_button.setText("Merge the two" if two else "Merge into…")

    def merge(self) -> None:
        """Two people chosen: merge them (into the named one, else the larger); one: ask
        which person or group it goes into."""
        chosen = self._selected_ids()
        if len(chosen) == 2:
            keep, other = chosen  # the list shows the named first, then the largest
            self.merge_pair(other, keep)
            return
        person = self.person
        if person is None:
            return
        others = [p for p in self._shown_people() if p.id != person.id]
        if not others:
            self.message.emit("There is nobody else to merge with")
            return
        labels = {f"{person_label(p)} · {plural(p.photos, 'photo')}": p.id for p in others}
        self.dialog = QInputDialog(self.page)
        self.dialog.setWindowTitle("Merge")
        self.dialog.setLabelText(f"Merge {person_label(person)} into:")
        self.dialog.setComboBoxItems(list(labels))
        self.dialog.setOkButtonText("Merge")
        self.dialog.setMinimumWidth(380)
        self.dialog.textValueSelected.connect(
            lambda text: self.merge_pair(person.id, labels[text]) if text in labels else None
        )
        open_over(self.dialog, self.page.people)

    def merge_pair(self, other: int, keep: int) -> None:
        """``other``'s faces become ``keep``'s (dragged onto it, or chosen)."""
        a, b = self._card(other), self._card(keep)
        if a is None or b is None or a.id == b.id:
            return
        self._run(
            lambda lib: people_ops.merge(lib, keep, other),
            lambda _: f"Merged {person_label(a)} into {person_label(b)} (Ctrl+Z takes it back)",
            lambda result: result["person"],
        )

    def confirm_face(self) -> None:
        face, person = self.current_face(), self.person
        if face is None or person is None or not person.name or face.state == "confirmed":
            return
        self._face_row = self.page.faces.currentIndex().row()
        self._run(
            lambda lib: people_ops.confirm_face(lib, face.id),
            lambda _: f"Confirmed: {person.name}",
            lambda result: result["person"],
        )

    def reject_face(self) -> None:
        face, person = self.current_face(), self.person
        if face is None or person is None:
            return
        self._face_row = self.page.faces.currentIndex().row()
        who = person.name or "this group"
        self._run(
            lambda lib: people_ops.reject_face(lib, face.id),
            lambda _: f"Not {who}: the face is taken out (Ctrl+Z takes it back)",
            lambda _: person.id,
        )

    def undo(self) -> None:
        if self.page.reviewing:
            self.review.step_back()

        def done(what: str | None) -> None:
            self.message.emit(undone(what))
            self.reload()

        self.bridge.submit(people_ops.undo, done=done)

    # -- "Is this Ross?" (face_review.py) --------------------------------------------------

    def start_review(self) -> None:
        self.review.start()

    @property
    def queue(self) -> list[FaceCard]:
        return self.review.queue

    # -- all faces ---------------------------------------------------------------------------

    def faces_switched(self) -> None:
        """The faces setting changed (the session told the worker's library): the People
        page shows it."""
        self._changed()

    def forget_all(self) -> QMessageBox:
        """Ask, then remove every face, group and face decision (the People tags stay)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Forget all face data",
            "Remove every face ClipDesk found, the groups, and which faces are whose?\n\n"
            "The People tags stay on the photos they were confirmed on. Faces are looked for "
            "again only while “Find faces” is on. This cannot be undone.",
            QMessageBox.StandardButton.Cancel,
            self.page,
        )
        forget = box.addButton("Forget face data", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def forgotten(n: int) -> None:
            self.message.emit(f"Face data forgotten: {plural(n, 'face')}")
            self.reload()

        def chosen(button) -> None:
            if button is forget:
                self.bridge.submit(people_ops.forget, done=forgotten)

        box.buttonClicked.connect(chosen)
        self.dialog = box
        box.open()
        return box

    def shutdown(self) -> None:
        self._settle.stop()
        self.page.review.photo.close_loader()
