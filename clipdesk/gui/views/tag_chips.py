"""Tag chips: one small button per tag, its look saying suggested, confirmed, rejected, imported.

- suggested: dashed amber outline and the model's score ("red 82%");
- confirmed: filled green with a check mark;
- rejected: grey, struck through, with a cross;
- imported (from a sidecar or the photo): filled blue with an arrow.
The focused chip (the one the keyboard acts on) has a thick outline.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import QLayout, QPushButton, QSizePolicy, QWidget, QWidgetItem

from clipdesk.gui.views.tag_text import tag_text
from clipdesk.tagging.states import TagSource, TagState
from clipdesk.tagging.store import Chip


class ChipKind(str, Enum):
    """A chip's look: its tag state, or imported (a confirmed keyword from a sidecar)."""

    SUGGESTED = TagState.SUGGESTED.value
    CONFIRMED = TagState.CONFIRMED.value
    REJECTED = TagState.REJECTED.value
    IMPORTED = TagSource.IMPORTED.value
    GPS = TagSource.GPS.value  # a place from the photo's GPS position

    def __str__(self) -> str:
        return self.value


STYLES = {
    ChipKind.SUGGESTED: "background:#fff8e1; color:#6d4c00; border:1px dashed #c79100;",
    ChipKind.CONFIRMED: "background:#2e7d32; color:white; border:1px solid #1b5e20;",
    ChipKind.REJECTED: "background:#eeeeee; color:#757575; border:1px solid #bdbdbd;"
    " text-decoration:line-through;",
    ChipKind.IMPORTED: "background:#1565c0; color:white; border:1px solid #0d47a1;",
    ChipKind.GPS: "background:#00695c; color:white; border:1px solid #004d40;",
}
MARKS = {
    ChipKind.SUGGESTED: "",
    ChipKind.CONFIRMED: "✓ ",
    ChipKind.REJECTED: "✕ ",
    ChipKind.IMPORTED: "⤓ ",
    ChipKind.GPS: "◎ ",  # in DejaVu Sans (⌖ is not)
}
TIPS = {
    ChipKind.SUGGESTED: "Suggested by the model",
    ChipKind.CONFIRMED: "Confirmed by you",
    ChipKind.REJECTED: "Rejected by you",
    ChipKind.IMPORTED: "Imported from a sidecar or the photo",
    ChipKind.GPS: "From GPS: the place the photo's position is in",
}
FOCUS = "border:3px solid #ff6f00;"


def chip_kind(chip: Chip) -> ChipKind:
    """Which look a chip gets: its state, except that imported keywords look imported."""
    if chip.source == TagSource.IMPORTED and chip.state == TagState.CONFIRMED:
        return ChipKind.IMPORTED
    if chip.source == TagSource.GPS and chip.state == TagState.CONFIRMED:
        return ChipKind.GPS
    return ChipKind(chip.state)


def chip_text(chip: Chip) -> str:
    """The label: a mark, the tag's leaf name, the score or how many of the photos."""
    kind = chip_kind(chip)
    text = f"{MARKS[kind]}{chip.name}"
    if kind is ChipKind.SUGGESTED and chip.score is not None:
        text += f"  {round(chip.score * 100)}%"
    if chip.of > 1:
        text += f"  {chip.count}/{chip.of}"
    return text


class ChipButton(QPushButton):
    """A chip; clicking it focuses it (the keyboard then accepts or rejects it)."""

    def __init__(self, chip: Chip, parent: QWidget | None = None):
        super().__init__(chip_text(chip), parent)
        self.chip = chip
        self.kind = chip_kind(chip)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(
            f"{tag_text(chip.path)}\n{TIPS[self.kind]}"
            + (f" (score {chip.score:.2f})" if chip.score is not None else "")
        )
        self.set_focused(False)

    def set_focused(self, focused: bool) -> None:
        self.focused = focused
        style = STYLES[self.kind] + (FOCUS if focused else "")
        self.setStyleSheet(f"QPushButton {{ {style} border-radius:10px; padding:3px 10px; }}")


class FlowLayout(QLayout):
    """Lays widgets out left to right, wrapping to new lines (Qt's flow layout example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list[QWidgetItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i: int):
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i: int):
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect: QRect, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        gap = self.spacing()
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() and line > 0:
                x, y, line = rect.x(), y + line + gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap
            line = max(line, hint.height())
        return y + line - rect.y()


class ChipArea(QWidget):
    """All chips of the photos in view; one of the suggested ones has the keyboard focus."""

    chip_clicked = Signal(int)  # tag id
    focus_moved = Signal(QWidget)  # the focused chip's button, to scroll it into view

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Preferred, not Minimum: a scroll area takes a Minimum widget's size hint as its least
        # height, and Qt's hint for a flow is its height at its narrowest (a chip a line).
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._layout = FlowLayout(self)
        self.buttons: list[ChipButton] = []
        self.focused_tag: int | None = None

    def set_chips(self, chips: list[Chip], focus: int | None = None) -> None:
        """Show these chips; focus stays on the same tag if it is still there."""
        for b in self.buttons:
            self._layout.removeWidget(b)
            b.hide()  # at once: deleteLater only runs when the event loop comes round
            b.deleteLater()
        self.buttons = [ChipButton(c, self) for c in chips]
        for b in self.buttons:
            b.clicked.connect(lambda _=False, t=b.chip.tag_id: self._clicked(t))
            self._layout.addWidget(b)
            b.show()
        keep = focus if focus is not None else self.focused_tag
        if keep is None or not any(b.chip.tag_id == keep for b in self.buttons):
            keep = self._first_suggested(0)
        self.focus(keep)
        self.updateGeometry()

    def chips(self) -> list[Chip]:
        return [b.chip for b in self.buttons]

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout.heightForWidth(width)

    def focused(self) -> Chip | None:
        return next((b.chip for b in self.buttons if b.focused), None)

    def focus(self, tag_id: int | None) -> None:
        self.focused_tag = tag_id
        for b in self.buttons:
            b.set_focused(b.chip.tag_id == tag_id)
            if b.chip.tag_id == tag_id:
                self.focus_moved.emit(b)

    def move_focus(self, step: int) -> None:
        """Focus the next (or previous) chip."""
        if not self.buttons:
            return
        ids = [b.chip.tag_id for b in self.buttons]
        i = ids.index(self.focused_tag) if self.focused_tag in ids else -step
        self.focus(ids[(i + step) % len(ids)])

    def next_suggestion_after(self, tag_id: int) -> int | None:
        """The first suggested chip after ``tag_id`` (wrapping), for moving on after a decision."""
        ids = [b.chip.tag_id for b in self.buttons]
        start = ids.index(tag_id) + 1 if tag_id in ids else 0
        return self._first_suggested(start, skip=tag_id)

    def _first_suggested(self, start: int, skip: int | None = None) -> int | None:
        n = len(self.buttons)
        for k in range(n):
            b = self.buttons[(start + k) % n]
            if b.chip.state == TagState.SUGGESTED and b.chip.tag_id != skip:
                return b.chip.tag_id
        return self.buttons[0].chip.tag_id if self.buttons and skip is None else None

    def _clicked(self, tag_id: int) -> None:
        self.focus(tag_id)
        self.chip_clicked.emit(tag_id)
