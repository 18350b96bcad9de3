"""Review mode: the suggestions the model is least sure of, one decision per key press.

Beside the photo, a table shows what the model has learned so far: per tag, how many
suggestions the user confirmed and rejected, and the held-out precision of its head.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.views.preview import Preview
from clipdesk.gui.views.tag_text import tag_text

MIN_WIDTH, MAX_WIDTH = 330, 520  # the learned box: its table's columns, its longest tag


class ReviewView(QWidget):
    """The layout; :class:`..controllers.review_controller.ReviewController` drives it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Review")
        self.preview = Preview(self)
        self.question = QLabel(self)
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.question.setStyleSheet("font-size: 20px;")
        self.detail = QLabel(self)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setStyleSheet("color: #616161;")
        self.position = QLabel(self)
        self.position.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.yes_button = QPushButton("Yes (Y)", self)
        self.no_button = QPushButton("No (N)", self)
        self.skip_button = QPushButton("Skip (S)", self)
        self.undo_button = QPushButton("Undo (Ctrl+Z)", self)
        self.yes_button.setStyleSheet(
            "QPushButton { background:#2e7d32; color:white; padding:6px 18px; border-radius:4px; }"
        )
        self.no_button.setStyleSheet(
            "QPushButton { background:#c62828; color:white; padding:6px 18px; border-radius:4px; }"
        )
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.yes_button, self.no_button, self.skip_button, self.undo_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(b)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.preview, 1)
        left.addWidget(self.question)
        left.addWidget(self.detail)
        left.addLayout(buttons)
        left.addWidget(self.position)

        self.learned = QTableWidget(0, 4, self)
        self.learned.setAccessibleName("What the model learned")
        self.learned.setHorizontalHeaderLabels(["Tag", "Confirmed", "Rejected", "Precision"])
        self.learned.verticalHeader().hide()
        self.learned.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.learned.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.learned.setWordWrap(False)  # "Animals › Sheep" on one line; the box widens for it
        self.learned.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.learned.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.learned_note = QLabel(
            "Each decision teaches the tag's own classifier. Precision is measured on "
            "decisions held out from training; it appears once a tag has a few of each.",
            self,
        )
        self.learned_note.setWordWrap(True)
        self.learned_note.setStyleSheet("color: #616161;")
        box = QGroupBox("What the model learned", self)
        bl = QVBoxLayout(box)
        bl.addWidget(self.learned, 1)
        bl.addWidget(self.learned_note)
        box.setMinimumWidth(MIN_WIDTH)
        self.learned_box = box

        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(box)

    def show_item(
        self, path: str, tag: str, score: float, threshold_note: str, position: str
    ) -> None:
        self.preview.show_photo(path)
        self.question.setText(f"Is this <b>{tag}</b>?")
        self.detail.setText(f"The model says {round(score * 100)}% · {threshold_note}")
        self.position.setText(position)
        self._buttons(True)

    def show_message(self, text: str) -> None:
        self.preview.show_photo(None, "")
        self.question.setText(text)
        self.detail.setText("")
        self.position.setText("")
        self._buttons(False)

    def _buttons(self, on: bool) -> None:
        for b in (self.yes_button, self.no_button, self.skip_button):
            b.setEnabled(on)

    def set_report(self, rows: list[dict]) -> None:
        self.learned.setRowCount(len(rows))
        for i, r in enumerate(rows):
            p = r.get("precision")
            cells = [
                tag_text(r["tag"]),
                str(r["confirmed"]),
                str(r["rejected"]),
                "–" if p is None else f"{p:.0%}",
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.learned.setItem(i, c, item)
        self._fit_tags()

    def _fit_tags(self) -> None:
        """Widen the box so that the longest tag fits on its line (up to MAX_WIDTH)."""
        table, header = self.learned, self.learned.horizontalHeader()
        columns = sum(
            max(table.sizeHintForColumn(c), header.sectionSizeHint(c))
            for c in range(table.columnCount())
        )
        chrome = table.verticalScrollBar().sizeHint().width() + 2 * table.frameWidth()
        margins = self.learned_box.layout().contentsMargins()
        wanted = columns + chrome + margins.left() + margins.right() + 4
        self.learned_box.setMinimumWidth(min(max(MIN_WIDTH, wanted), MAX_WIDTH))
