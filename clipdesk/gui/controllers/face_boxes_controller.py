"""The faces on the large view: read the shown photo's faces on the worker, draw their boxes,
and act on a box's menu (confirm, not this person, name) or on a box drawn by hand."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Signal

from clipdesk.gui.adapters import people_reads
from clipdesk.gui.adapters.grid_model import PathRole
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.views.face_preview import FaceAction, FaceBox
from clipdesk.gui.views.library_page import LibraryPage
from clipdesk.gui.views.name_dialog import NameDialog, open_over
from clipdesk.gui.views.tag_text import person_tag
from clipdesk.ops import people as people_ops

UNDO_HINT = "Ctrl+Z takes it back"


class FaceBoxesController(QObject):
    message = Signal(str)
    people_changed = Signal()  # an action here changed the faces: the People page reads again

    def __init__(self, page: LibraryPage, bridge: WorkerBridge):
        super().__init__(page)
        self.page, self.bridge = page, bridge
        self.preview = page.photo.preview
        self.photo_id: int | None = None
        self.path: str | None = None
        self.faces: dict[int, FaceBox] = {}
        self.names: list[str] = []
        self.dialog: NameDialog | None = None
        self._token = 0
        page.grid.selection_changed.connect(self._selected)
        page.large_changed.connect(lambda _: self.load())
        self.preview.face_action.connect(self.act)
        self.preview.face_drawn.connect(self.drawn)

    def _selected(self, ids: list[int]) -> None:
        self.photo_id = ids[0] if len(ids) == 1 else None
        self.path = None
        if self.photo_id is not None:
            model = self.page.grid.grid_model()
            row = model.row_of(self.photo_id)
            self.path = model.data(model.index(row), PathRole) if row is not None else None
        self.load()

    def faces_changed(self, photo_ids=()) -> None:
        """Faces (or their people) changed on these photos (every photo when none)."""
        if self.photo_id is not None and (not photo_ids or self.photo_id in photo_ids):
            self.load()

    def load(self) -> None:
        """Read the shown photo's faces (only in the large view)."""
        self._token += 1
        photo_id, path, token = self.photo_id, self.path, self._token
        if not self.page.large or photo_id is None or path is None:
            self.preview.clear_faces()
            return
        self.bridge.submit(
            lambda lib: people_reads.photo_faces(lib, photo_id),
            done=lambda read: self._read(token, path, read),
        )

    def _read(self, token: int, path: str, read: people_reads.PhotoFaces) -> None:
        if token != self._token:
            return
        self.names = read.names
        boxes = [
            FaceBox(f["id"], tuple(f["box"]), f["person"], f["state"], f["person_id"] is not None)
            for f in read.faces
        ]
        self.faces = {b.id: b for b in boxes}
        self.preview.set_faces(path, boxes)

    # -- acting on a face ---------------------------------------------------------------------

    def act(self, face_id: int, action: FaceAction) -> None:
        face = self.faces.get(face_id)
        if face is None:
            return
        if action is FaceAction.CONFIRM:
            self._run(partial(people_ops.confirm_face, face_id=face_id), f"Confirmed: {face.name}")
        elif action is FaceAction.REJECT:
            who = face.name or "its group"
            self._run(partial(people_ops.reject_face, face_id=face_id), f"Not {who} ({UNDO_HINT})")
        else:
            dialog = self.dialog = NameDialog(
                "Name this face", "Who is this?", self.names, one_face=True, parent=self.page
            )
            dialog.accepted.connect(partial(self._named, face_id, dialog))
            open_over(dialog, self.page.photo)

    def _named(self, face_id: int, dialog: NameDialog) -> None:
        name = dialog.name()
        if name:
            job = partial(people_ops.confirm_face, face_id=face_id, as_name=name)
            self._run(job, f"This is {name}: tag {person_tag(name)}")

    def drawn(self, box: tuple) -> None:
        """A box drawn by hand: ask who it is (or nobody yet) and add the face."""
        photo_id = self.photo_id
        if photo_id is None:
            return
        dialog = self.dialog = NameDialog(
            "Add a face",
            "Who is this? The face is added to the photo either way.",
            self.names,
            optional=True,
            one_face=True,
            parent=self.page,
        )
        dialog.accepted.connect(lambda: self._add(photo_id, box, dialog.name() or None))
        open_over(dialog, self.page.photo)

    def _add(self, photo_id: int, box: tuple, name: str | None) -> None:
        job = partial(people_ops.add_face, photo_id=photo_id, box=box, as_name=name)
        self._run(job, f"Face added: {name}" if name else "Face added (not named yet)")

    def _run(self, job, text: str) -> None:
        def done(result) -> None:
            self.message.emit(text)
            self.load()
            self.people_changed.emit()

        self.bridge.submit(job, done=done, failed=lambda exc: self.message.emit(f"Not done: {exc}"))
