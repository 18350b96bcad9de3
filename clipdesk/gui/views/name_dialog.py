"""The dialog that names a person, a cluster or a face, with completion over the people
already named; it says, as the user types, when the name is someone's already (the faces then
join that person: a merge)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.views.tag_text import person_tag


def open_over(dialog: QDialog, focus: QWidget) -> None:
    """Open ``dialog`` without blocking; once it closes, the keys go back to ``focus`` (the
    window is activated again where the platform does not do it itself)."""

    def back(_result: int) -> None:
        focus.activateWindow()
        focus.setFocus()

    dialog.finished.connect(back)
    dialog.open()


class NamingDialog(QDialog):
    """Asks for a name: an intro, the field, a note under it that ``_typed`` keeps up to date
    as the user types (is the name taken already?), and the buttons."""

    names: list[str]  # the names taken, as they are spelled

    def _lay_out(self, intro: QLabel, field: QLineEdit, ok: QDialogButtonBox.StandardButton):
        self.field = field
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #616161;")
        self.note.setMinimumHeight(self.note.fontMetrics().lineSpacing() * 2)
        self.buttons = QDialogButtonBox(ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, field, self.note, self.buttons):
            layout.addWidget(widget)
        field.textChanged.connect(self._typed)
        self.setMinimumWidth(420)

    def name(self) -> str:
        return " ".join(self.field.text().split())

    def existing(self) -> str | None:
        """The name taken that the typed one is (names ignore case), as it is spelled."""
        typed = self.name().casefold()
        return next((n for n in self.names if n.casefold() == typed), None)

    def _typed(self, _text: str) -> None:
        raise NotImplementedError


class NameDialog(NamingDialog):
    """Ask for a person's name; :meth:`name` is what the user typed, spaces tidied."""

    def __init__(
        self,
        title: str,
        prompt: str,
        names: list[str],
        current: str = "",
        optional: bool = False,
        one_face: bool = False,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.names = [n for n in names if n.casefold() != current.casefold()]
        self.optional = optional  # empty is fine: a face drawn by hand may stay unnamed
        self.one_face = one_face  # one face named, not a person or group
        label = QLabel(prompt, self)
        label.setWordWrap(True)
        field = QLineEdit(current, self)
        field.setAccessibleName("Name")
        field.setPlaceholderText("Name (e.g. Ross Geller)")
        completer = QCompleter(sorted(self.names, key=str.casefold), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        field.setCompleter(completer)
        self._lay_out(label, field, QDialogButtonBox.StandardButton.Ok)
        self._typed(current)

    def _typed(self, _text: str) -> None:
        name, existing = self.name(), self.existing()
        if existing is not None and self.one_face:
            self.note.setText(f"The face becomes one of <b>{escape(existing)}</b>’s.")
        elif existing is not None:
            self.note.setText(
                f"<b>{escape(existing)}</b> is a person already: these faces join theirs "
                "(the two become one person). Ctrl+Z on the People page takes it back."
            )
        elif name and self.one_face:
            self.note.setText(f"A new person: the photo gets the tag {escape(person_tag(name))}.")
        elif name:
            self.note.setText(f"Photos with these faces get the tag {escape(person_tag(name))}.")
        else:
            self.note.setText("Leave it empty to keep the face unnamed." if self.optional else "")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(name) or self.optional)
