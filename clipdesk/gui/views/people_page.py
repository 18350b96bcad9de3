"""The People page: people and unnamed groups of faces as face crops (left); the chosen
one's faces, or "Is this Ross?" one suggested face at a time (right).

:class:`clipdesk.gui.controllers.people_controller.PeopleController` drives it.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.adapters.face_crops import FaceCrops, FaceTileModel
from clipdesk.gui.views.face_preview import FacePreview

TILE = 96  # px: a face crop in the lists
REVIEW_CROP = 200  # px: the face under review
PERSON_MIME = "application/x-clipdesk-person"

NO_FACES = (
    "No faces yet. Faces are found after the photos are tagged, and grouped by likeness: "
    "everything runs on this machine, and no photo or face leaves it."
)
FACES_OFF = "Finding faces is off: turn on “Find faces (People)” in File ▸ Settings."
HINT = (
    "<b>Enter</b> to the faces, then <b>A</b> confirm · <b>R</b> not this person · "
    "<b>F2</b> name · <b>Space</b> review · <b>Ctrl+Z</b> undo · drag a person onto another "
    "to merge"
)
REVIEW_HINT = (
    "<b>A</b> yes · <b>R</b> no · <b>← →</b> previous / next · <b>Ctrl+Z</b> undo · "
    "<b>Esc</b> back to the faces"
)


def _tiles(view: QListView, crop: int, width: int) -> QSize:
    """Lay ``view`` out as tiles ``width`` wide; the size of one tile's item."""
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setIconSize(QSize(crop, crop))
    view.setGridSize(QSize(width, crop + 46))  # two lines of caption
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setWordWrap(True)
    view.setUniformItemSizes(True)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setSpacing(2)
    return QSize(width - 8, crop + 42)


def _button(text: str, parent: QWidget, colour: str | None = None) -> QPushButton:
    b = QPushButton(text, parent)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if colour:
        b.setStyleSheet(
            f"QPushButton {{ background:{colour}; color:white; padding:6px 18px; "
            "border-radius:4px; } QPushButton:disabled { background:#bdbdbd; }"
        )
    return b


class PeopleList(QListView):
    """The people and clusters as tiles; one dragged onto another asks to merge them."""

    merge_dropped = Signal(int, int)  # the person dragged, the person it was dropped on

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("People")
        self.tile = _tiles(self, TILE, TILE + 72)  # "Unnamed (12 faces)", "12 faces · 10 photos"
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)

    def startDrag(self, actions) -> None:
        index = self.currentIndex()
        if not index.isValid():
            return
        mime = QMimeData()
        mime.setData(PERSON_MIME, QByteArray(str(index.data(Qt.ItemDataRole.UserRole)).encode()))
        drag = QDrag(self)
        drag.setMimeData(mime)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QPixmap):
            drag.setPixmap(icon.scaled(64, 64))
        drag.exec(Qt.DropAction.MoveAction)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(PERSON_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if event.mimeData().hasFormat(PERSON_MIME) and index.isValid():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        data = event.mimeData().data(PERSON_MIME)
        if not index.isValid() or data.isEmpty():
            event.ignore()
            return
        dragged, target = int(bytes(data).decode()), index.data(Qt.ItemDataRole.UserRole)
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the list itself does not move
        event.accept()
        if dragged != target:
            self.merge_dropped.emit(dragged, target)


class FaceReview(QWidget):
    """ "Is this Ross?": one suggested face, large, beside its photo; one key per answer."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Face review")
        self.crop = QLabel(self)
        self.crop.setFixedSize(REVIEW_CROP, REVIEW_CROP)
        self.crop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.crop.setStyleSheet("QLabel { background: #202124; }")
        self.photo = FacePreview(self)
        self.photo.setMinimumSize(200, 200)
        self.question = QLabel(self)
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.question.setStyleSheet("font-size: 20px;")
        self.question.setWordWrap(True)
        self.detail = QLabel(self)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setStyleSheet("color: #616161;")
        self.position = QLabel(self)
        self.position.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.yes_button = _button("Yes (A)", self, "#2e7d32")
        self.no_button = _button("No (R)", self, "#c62828")
        self.back_button = _button("← Previous", self)
        self.skip_button = _button("Next →", self)
        self.undo_button = _button("Undo (Ctrl+Z)", self)
        self.done_button = _button("Done (Esc)", self)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (
            self.yes_button,
            self.no_button,
            self.back_button,
            self.skip_button,
            self.undo_button,
            self.done_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        faces = QHBoxLayout()
        faces.addWidget(self.crop, 0, Qt.AlignmentFlag.AlignTop)
        faces.addWidget(self.photo, 1)
        hint = QLabel(REVIEW_HINT, self)
        hint.setStyleSheet("color: #616161; font-size: 11px;")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(faces, 1)
        layout.addWidget(self.question)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        layout.addWidget(self.position)
        layout.addWidget(hint)

    def set_crop(self, pixmap: QPixmap | None) -> None:
        if pixmap is None:
            self.crop.clear()
        else:
            self.crop.setPixmap(pixmap)

    def show_message(self, text: str) -> None:
        """No face to decide on: say why (the buttons but Undo and Done wait)."""
        self.set_crop(None)
        self.photo.show_photo(None, "")
        self.photo.clear_faces()
        self.question.setText(text)
        self.detail.setText("")
        self.position.setText("")
        self.set_deciding(False)

    def set_deciding(self, on: bool) -> None:
        for b in (self.yes_button, self.no_button, self.back_button, self.skip_button):
            b.setEnabled(on)


class PeoplePage(QWidget):
    def __init__(self, crops: FaceCrops, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("People")
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.single_faces = QCheckBox("Show single faces", self)
        self.single_faces.setToolTip("Faces like no other face yet, each in a group of its own")
        self.single_faces.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.single_faces)

        self.people = PeopleList(self)
        self.people.setModel(FaceTileModel(crops, TILE, self.people.tile, self))
        self.people.setMinimumWidth(TILE + 60)

        # the chosen person's faces
        self.person_panel = QWidget(self)
        self.title = QLabel(self.person_panel)
        self.title.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel(self.person_panel)
        self.detail.setStyleSheet("color: #616161;")
        self.detail.setWordWrap(True)
        self.name_button = _button("Name… (F2)", self.person_panel)
        self.merge_button = _button("Merge into…", self.person_panel)
        self.review_button = _button("Review suggestions (Space)", self.person_panel)
        self.merge_button.setToolTip(
            "Merge this person or group into another (or select two and press Merge, or drag "
            "one onto the other)"
        )
        actions = QHBoxLayout()
        for b in (self.name_button, self.merge_button, self.review_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.faces = QListView(self.person_panel)
        self.faces.setAccessibleName("Faces")
        tile = _tiles(self.faces, TILE, TILE + 40)
        self.faces.setModel(FaceTileModel(crops, TILE, tile, self))
        self.faces.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.confirm_button = _button("Confirm (A)", self.person_panel, "#2e7d32")
        self.reject_button = _button("Not this person (R)", self.person_panel, "#c62828")
        self.undo_button = _button("Undo (Ctrl+Z)", self.person_panel)
        decide = QHBoxLayout()
        decide.addWidget(self.confirm_button)
        decide.addWidget(self.reject_button)
        decide.addStretch(1)
        decide.addWidget(self.undo_button)
        hint = QLabel(HINT, self.person_panel)
        hint.setStyleSheet("color: #616161; font-size: 11px;")
        hint.setWordWrap(True)
        column = QVBoxLayout(self.person_panel)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.detail)
        column.addLayout(actions)
        column.addWidget(self.faces, 1)
        column.addLayout(decide)
        column.addWidget(hint)

        self.review = FaceReview(self)
        self.empty = QLabel(self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("QLabel { color: #616161; font-size: 15px; }")
        self.empty.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.right = QStackedWidget(self)
        for w in (self.person_panel, self.review, self.empty):
            self.right.addWidget(w)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.people)
        split.addWidget(self.right)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 820])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.show_empty(NO_FACES)

    def show_empty(self, text: str) -> None:
        self.empty.setText(text)
        self.right.setCurrentWidget(self.empty)

    def show_person(self, title: str, detail: str, named: bool, to_review: int) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.name_button.setText("Rename… (F2)" if named else "Name… (F2)")
        self.review_button.setText(
            f"Review {to_review} suggestions (Space)" if to_review else "Review suggestions"
        )
        self.review_button.setEnabled(named and to_review > 0)
        self.right.setCurrentWidget(self.person_panel)

    def set_face_actions(self, confirm: bool, reject: bool, reject_text: str) -> None:
        self.confirm_button.setEnabled(confirm)
        self.reject_button.setEnabled(reject)
        self.reject_button.setText(reject_text)

    def show_review(self) -> None:
        self.right.setCurrentWidget(self.review)
        self.review.setFocus()

    @property
    def reviewing(self) -> bool:
        return self.right.currentWidget() is self.review
