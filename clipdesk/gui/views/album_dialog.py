"""The dialog that names a new smart album: what it will hold, in words, and a note when the
name is an album's already (saving then gives that album the new search)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


class AlbumDialog(QDialog):
    """Ask for an album's name; :meth:`name` is what the user typed, spaces tidied."""

    def __init__(
        self, holds: str, names: list[str], left_out: str = "", parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Save as album")
        self.names = list(names)
        intro = QLabel(
            f"A smart album lists the photos that match, as they change: <b>{escape(holds)}</b>",
            self,
        )
        intro.setWordWrap(True)
        self.field = QLineEdit(self)
        self.field.setAccessibleName("Album name")
        self.field.setPlaceholderText("Album name (e.g. Best of 2024)")
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #616161;")
        self.note.setMinimumHeight(self.note.fontMetrics().lineSpacing() * 2)
        self.left_out = left_out  # what of the current view an album cannot keep
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.field)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.field.textChanged.connect(self._typed)
        self._typed("")
        self.setMinimumWidth(420)

    def name(self) -> str:
        return " ".join(self.field.text().split())

    def existing(self) -> str | None:
        """The album the typed name already belongs to (names ignore case), as it is spelled."""
        typed = self.name().casefold()
        return next((n for n in self.names if n.casefold() == typed), None)

    def _typed(self, _text: str) -> None:
        existing = self.existing()
        note = (
            f"There is an album called <b>{escape(existing)}</b>: saving gives it this search."
            if existing
            else ""
        )
        self.note.setText(" ".join(p for p in (note, escape(self.left_out)) if p))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        ok.setEnabled(bool(self.name()))
