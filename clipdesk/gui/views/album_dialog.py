"""The dialog that names a new smart album: what it will hold, in words, and a note when the
name is an album's already (saving then gives that album the new search)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QWidget

from clipdesk.gui.views.name_dialog import NamingDialog


class AlbumDialog(NamingDialog):
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
        field = QLineEdit(self)
        field.setAccessibleName("Album name")
        field.setPlaceholderText("Album name (e.g. Best of 2024)")
        self.left_out = left_out  # what of the current view an album cannot keep
        self._lay_out(intro, field, QDialogButtonBox.StandardButton.Save)
        self._typed("")

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
