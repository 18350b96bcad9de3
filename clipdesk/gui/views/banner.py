"""A message that stays until it is handled: problems that need the user (a model that cannot
be had, a folder that is gone, a job that failed), each with the actions that fix it.

Messages are keyed, so the same problem is shown once however often it is reported, and
clears itself when the cause goes (``clear(key)``) or when the user dismisses it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

Action = tuple[str, Callable[[], None]]


class Banner(QFrame):
    """A stack of keyed messages above the pages; hidden when there is none."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet(
            "#banner { background: #fff4e5; border-bottom: 1px solid #f0b36b; }"
            "#banner QLabel { color: #4a2c00; }"
        )
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self.rows: dict[str, QWidget] = {}
        self.hide()

    def show_message(self, key: str, text: str, actions: list[Action] = ()) -> None:
        """Show (or replace) the message for ``key``; it stays until handled."""
        self.clear(key)
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        label = QLabel(text, row)
        label.setWordWrap(True)
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        label.setOpenExternalLinks(True)  # where to download a model's weights by hand
        line.addWidget(label, 1)
        for caption, fn in actions:
            button = QPushButton(caption, row)
            button.clicked.connect(lambda _=False, fn=fn, key=key: (self.clear(key), fn()))
            line.addWidget(button)
        dismiss = QPushButton("Dismiss", row)
        dismiss.clicked.connect(lambda _=False, key=key: self.clear(key))
        line.addWidget(dismiss)
        row.label = label  # type: ignore[attr-defined]
        self.rows[key] = row
        self._layout.addWidget(row)
        self.show()

    def text(self, key: str) -> str | None:
        row = self.rows.get(key)
        return row.label.text() if row is not None else None  # type: ignore[attr-defined]

    def buttons(self, key: str) -> list[QPushButton]:
        row = self.rows.get(key)
        return row.findChildren(QPushButton) if row is not None else []

    def clear(self, key: str) -> None:
        row = self.rows.pop(key, None)
        if row is not None:
            self._layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        self.setVisible(bool(self.rows))
