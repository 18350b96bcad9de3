"""The search row's filters on marks: at least so many stars, a colour label, a flag."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from clipdesk.catalog.marks import LABELS
from clipdesk.gui.views.marks_badges import label_icon, stars_text

MIN_WIDTH = 44  # px


def _combo(parent: QWidget, tip: str, name: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setToolTip(tip)
    combo.setAccessibleName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    # Their whole text where there is room; narrower on a small screen, where the search row
    # would otherwise make the window wider than the screen.
    combo.setMinimumWidth(MIN_WIDTH)
    return combo


class MarksFilter(QWidget):
    """Three compact choices; ``changed`` carries (min stars, label, flag) as PhotoFilter
    takes them (label 'none': no label; flag 'none': neither pick nor reject)."""

    changed = Signal(int, object, object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.stars = _combo(self, "Only photos with at least this many stars (keys 0–5)", "Stars")
        self.stars.addItem("Any ★", 0)
        for n in range(1, 6):
            self.stars.addItem(f"{stars_text(n)}+" if n < 5 else stars_text(n), n)
        self.label = _combo(self, "Only photos with this colour label (keys 6–9)", "Label")
        self.label.addItem(label_icon(None), "Any label", None)
        for name in LABELS:
            self.label.addItem(label_icon(name), name.capitalize(), name)
        self.label.addItem("No label", "none")
        self.flag = _combo(self, "Only picked, rejected or unflagged photos (keys P, X, U)", "Flag")
        for text, value in (
            ("Any flag", None),
            ("Picks", "pick"),
            ("Rejects", "reject"),
            ("Unflagged", "none"),
        ):
            self.flag.addItem(text, value)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for combo in (self.stars, self.label, self.flag):
            row.addWidget(combo)
            combo.currentIndexChanged.connect(self._changed)

    def value(self) -> tuple[int, str | None, str | None]:
        return self.stars.currentData(), self.label.currentData(), self.flag.currentData()

    def set_value(self, min_stars: int = 0, label: str | None = None, flag: str | None = None):
        """Choose these (one ``changed`` for the three)."""
        for combo, value in ((self.stars, min_stars), (self.label, label), (self.flag, flag)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)  # 0: any
            combo.blockSignals(False)
        self._changed()

    def _changed(self, *_) -> None:
        self.changed.emit(*self.value())
