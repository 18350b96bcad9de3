"""The photo panel's layout: a large preview, the tags as chips, an add-tag field, key hints.

Behaviour (decisions, navigation, undo) lives in :mod:`clipdesk.gui.controllers.tagging_controller`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clipdesk.catalog.marks import Marks
from clipdesk.gui.views.face_preview import FacePreview
from clipdesk.gui.views.marks_badges import REJECTED_OPACITY, marks_html
from clipdesk.gui.views.tag_chips import ChipArea
from clipdesk.tagging import tagpath

HINT = (
    "<b>A</b> accept · <b>R</b> reject · <b>↑ ↓</b> or <b>[ ]</b> choose tag · "
    "<b>← →</b> photo · <b>T</b> add tag · <b>0–5</b> stars · <b>6–9</b> label · "
    "<b>P X U</b> pick, reject, unflag · <b>Ctrl+Z</b> undo · "
)
ENTER = {False: "<b>Enter</b> large view", True: "<b>Enter</b> or <b>Esc</b> back to the grid"}


class AddTagField(QLineEdit):
    """A one-line field with completion over the vocabulary; Escape gives up.

    Enter takes the highlighted completion, or the one tag the text names; a new tag is
    made only when the user picks "Create tag …" (the last completion), never by a typo.
    """

    submitted = Signal(str)  # an existing tag's path
    create_requested = Signal(str)  # the path of a tag to create
    unknown = Signal(str)  # Enter on text that names no tag (or several)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText("Add a tag… (T)")
        self.setClearButtonEnabled(True)
        self.known: list[str] = []
        self._taken_from_popup = False  # the completer may pass its Enter on too
        self.names = QStringListModel(self)
        completer = QCompleter(self.names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(completer)
        completer.activated.connect(self._picked)
        self.textEdited.connect(self._offer_create)
        self.returnPressed.connect(self._submit)

    def set_names(self, names: list[str]) -> None:
        self.known = list(names)
        self._offer_create(self.text())

    def _offer_create(self, text: str) -> None:
        path = tagpath.clean(text)
        names = list(self.known)
        if path and path.casefold() not in {n.casefold() for n in names}:
            names.append(create_label(path))
        self.names.setStringList(names)

    def _picked(self, text: str) -> None:
        self._taken_from_popup = True
        QTimer.singleShot(0, lambda: setattr(self, "_taken_from_popup", False))
        self._take(text)

    def _submit(self) -> None:
        if self._taken_from_popup:
            return
        text = self.text()
        if tagpath.resolve(text.strip(), self.known) is None:
            # "Create tag …" is the only completion: Enter takes it, as it would take the
            # only completion that names a tag (a typo of a tag has that tag to complete).
            folded = text.casefold()  # the completer's own match: contains, any case
            matches = [n for n in self.names.stringList() if folded in n.casefold()]
            if len(matches) == 1 and created_path(matches[0]) is not None:
                text = matches[0]
        self._take(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not self.completer().popup().isVisible():
            self.clear()
            self.cancelled.emit()
            return
        super().keyPressEvent(event)

    def _take(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        create = created_path(text)
        if create is not None:
            self.create_requested.emit(create)
        elif (path := tagpath.resolve(text, self.known)) is not None:
            self.submitted.emit(path)
        else:
            self.unknown.emit(text)
            return  # keep the text: the user picks a completion or "Create tag"
        QTimer.singleShot(0, self.clear)  # after the completer has set its text
        self._offer_create("")


CREATE = "Create tag “{}”…"


def create_label(path: str) -> str:
    """The completion that creates a tag, saying where it goes in the tree."""
    return CREATE.format(path)


def created_path(text: str) -> str | None:
    """The path in a "Create tag" completion, else None."""
    head, tail = CREATE.split("{}")
    if text.startswith(head) and text.endswith(tail):
        return text[len(head) : len(text) - len(tail)]
    return None


class ChipScroll(QScrollArea):
    """The chips in a panel as tall as they need, up to a share of the photo panel; past it
    they scroll (the focused chip is kept in view), so a photo with a hundred tags never
    pushes the window, or Accept and Reject, off the screen."""

    MAX_SHARE = 0.45  # of the photo panel's height

    def __init__(self, chips: ChipArea, parent: QWidget):
        super().__init__(parent)
        self.setWidget(chips)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        chips.focus_moved.connect(lambda button: self.ensureWidgetVisible(button, 0, 4))

    def content_height(self) -> int:
        # At the full width: when the chips fit, no scroll bar takes any of it.
        return self.widget().heightForWidth(max(self.width(), 50))

    def fit(self) -> None:
        """As tall as the chips, but no more than MAX_SHARE of the panel."""
        panel = self.parentWidget().height() if self.parentWidget() else 600
        cap = max(60, int(panel * self.MAX_SHARE))
        self.setMaximumHeight(min(self.content_height() + 2, cap))
        self.setMinimumHeight(min(self.content_height() + 2, 60))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()


class PhotoView(QWidget):
    """The photo (or selection) in focus and its tags. Enter / Escape leave the large view."""

    leave_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Photo")
        self.preview = FacePreview(self)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.marks = QLabel(self)  # the current photo's stars, label and flag
        self.marks.setAccessibleName("Marks")
        self.marks.setToolTip(
            "0–5 stars · 6–9 red, yellow, green, blue label · P pick, X reject, U unflag"
        )
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chips = ChipArea()
        self.chips_scroll = ChipScroll(self.chips, self)  # bounded: scrolls, never grows the window
        self.empty_tags = QLabel("No tags yet: they appear once the photo is tagged.", self)
        self.empty_tags.setStyleSheet("color: #757575;")
        self.add_field = AddTagField(self)
        self.words = QLabel(self)  # the words read in the photo (issue 30), when there are some
        self.words.setAccessibleName("Words in the photo")
        self.words.setWordWrap(True)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.words.setToolTip("Read in the photo on this machine; search them with text:WORDS")
        self.words.hide()
        self.accept_button = QPushButton("Accept (A)", self)
        self.reject_button = QPushButton("Reject (R)", self)
        self.similar_button = QPushButton("Find similar", self)
        self.draw_face_button = QPushButton("Draw a face", self)
        self.draw_face_button.setCheckable(True)
        self.draw_face_button.setToolTip(
            "Drag a box around a face the detector missed (or Shift+drag on the photo); "
            "right-click a box to confirm, reject or name its face"
        )
        self.draw_face_button.toggled.connect(self.preview.set_drawing)
        self.preview.drawing_changed.connect(self.draw_face_button.setChecked)
        self.draw_face_button.hide()  # in the large view only, with the faces
        for b in (
            self.accept_button,
            self.reject_button,
            self.similar_button,
            self.draw_face_button,
        ):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        buttons.addWidget(self.draw_face_button)
        buttons.addWidget(self.similar_button)
        self.hint = QLabel(HINT + ENTER[False], self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #616161; font-size: 11px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.marks)
        layout.addWidget(self.caption)
        layout.addWidget(self.words)
        layout.addWidget(self.empty_tags)
        layout.addWidget(self.chips_scroll)
        layout.addWidget(self.add_field)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        self.show_nothing()

    def set_large(self, on: bool) -> None:
        """The large view shows the faces (and the button to draw one), and its hint says
        how to leave it; the panel beside the grid does neither."""
        self.hint.setText(HINT + ENTER[on])
        self.draw_face_button.setVisible(on)
        if not on:
            self.preview.set_drawing(False)
            self.preview.clear_faces()

    def show_nothing(self) -> None:
        """No photo (none selected, or the grid empty): no photo, caption, marks or tags."""
        self.preview.show_photo(None, "Select a photo to see it here with its tags")
        self.caption.setText("")
        self.set_marks(None)
        self.set_words(None)
        self.chips.set_chips([])
        self.empty_tags.hide()  # "No tags yet" is about a photo
        self.chips_scroll.hide()
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.add_field, self.accept_button, self.reject_button, self.similar_button):
            w.setEnabled(on)

    def show_selection(self, path: str | None, caption: str) -> None:
        """The current photo (None: nothing to show) and a caption about the selection."""
        self.preview.show_photo(path, "Photo not found")
        self.caption.setText(caption)
        self._set_enabled(True)

    def set_marks(self, marks: Marks | None) -> None:
        """The shown photo's marks (None: no photo); a rejected photo is dimmed."""
        self.marks.setText(marks_html(marks) if marks is not None else "")
        self.marks.setVisible(marks is not None)
        rejected = marks is not None and marks.flag == "reject"
        if rejected and self.preview.graphicsEffect() is None:
            dim = QGraphicsOpacityEffect(self.preview, opacity=REJECTED_OPACITY)
            self.preview.setGraphicsEffect(dim)
        elif not rejected and self.preview.graphicsEffect() is not None:
            self.preview.setGraphicsEffect(None)

    def set_words(self, text: str | None) -> None:
        """The words read in the shown photo (None or '': none to show)."""
        if text:
            lines = "<br>".join(html.escape(line) for line in text.splitlines())
            self.words.setText(f"<span style='color:#616161'>Words in the photo:</span> {lines}")
        self.words.setVisible(bool(text))

    def set_chips(self, chips, focus: int | None = None) -> None:
        self.chips.set_chips(chips, focus)
        self.empty_tags.setVisible(not chips)
        self.chips_scroll.setVisible(bool(chips))
        self.chips_scroll.fit()
        QTimer.singleShot(0, self.chips_scroll.fit)  # again once the layout has settled

    def set_tag_names(self, names: list[str]) -> None:
        self.add_field.set_names(names)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.chips_scroll.fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Up:
            self.chips.move_focus(-1)
        elif event.key() == Qt.Key.Key_Down:
            self.chips.move_focus(1)
        elif event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.leave_requested.emit()
        else:
            super().keyPressEvent(event)
