"""The search row: a text query, "similar to" a photo, the filters in force, thumbnail size."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QToolButton,
    QWidget,
)

SORTS = (("name", "Name"), ("date", "Date taken"), ("date_desc", "Newest first"))


class SearchField(QLineEdit):
    """Escape clears the search."""

    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class SearchBar(QWidget):
    """Enter runs the search; the cross (or Escape) goes back to browsing."""

    search_requested = Signal(str)
    cleared = Signal()
    size_changed = Signal(int)
    order_changed = Signal(str)  # a key of catalog.browse.ORDERS
    dates_changed = Signal(object, object)  # 'YYYY-MM-DD' or None, taken from / to

    def __init__(self, size: int = 160, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = SearchField(self)
        self.field.setPlaceholderText("Search by description, e.g. “dog on a beach”  (Ctrl+F)")
        self.field.setAccessibleName("Search")
        self.field.setClearButtonEnabled(True)
        self.field.returnPressed.connect(self._submit)
        self.field.escaped.connect(self.clear)
        self.field.textChanged.connect(lambda t: t or self._cleared_by_button())
        self.similar_label = QLabel(self)
        self.similar_label.setStyleSheet(
            "QLabel { background:#e3f2fd; border-radius:8px; padding:2px 8px; }"
        )
        self.similar_label.hide()
        self.clear_similar = QToolButton(self)
        self.clear_similar.setText("✕")
        self.clear_similar.setToolTip("Back to all photos")
        self.clear_similar.clicked.connect(self.clear)
        self.clear_similar.hide()
        self.filter_label = QLabel(self)
        self.filter_label.setStyleSheet("color:#455a64;")
        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(80, 320)
        self.size_slider.setSingleStep(20)
        self.size_slider.setValue(size)
        self.size_slider.setFixedWidth(110)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.valueChanged.connect(self.size_changed)
        self.sort = QComboBox(self)
        for key, label in SORTS:
            self.sort.addItem(label, key)
        self.sort.setToolTip("Order of the photos while browsing (a search: best match first)")
        self.sort.currentIndexChanged.connect(lambda _: self.order_changed.emit(self.order()))
        self.dated = QCheckBox("Taken", self)
        self.dated.setToolTip("Only photos taken between these dates (EXIF DateTimeOriginal)")
        self.date_from, self.date_to = QDateEdit(self), QDateEdit(self)
        today = QDate.currentDate()
        for edit, date in ((self.date_from, today.addYears(-1)), (self.date_to, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(date)
            edit.setEnabled(False)
            edit.dateChanged.connect(self._dates)
        self.dated.toggled.connect(self._dates)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.similar_label)
        layout.addWidget(self.clear_similar)
        layout.addWidget(self.filter_label)
        layout.addWidget(self.sort)
        layout.addWidget(self.dated)
        layout.addWidget(self.date_from)
        layout.addWidget(QLabel("–", self))
        layout.addWidget(self.date_to)
        layout.addWidget(QLabel("Size", self))
        layout.addWidget(self.size_slider)
        self._similar_active = False

    def order(self) -> str:
        return self.sort.currentData()

    def dates(self) -> tuple[str | None, str | None]:
        if not self.dated.isChecked():
            return None, None
        return (
            self.date_from.date().toString("yyyy-MM-dd"),
            self.date_to.date().toString("yyyy-MM-dd"),
        )

    def _dates(self, *_) -> None:
        for edit in (self.date_from, self.date_to):
            edit.setEnabled(self.dated.isChecked())
        self.dates_changed.emit(*self.dates())

    def _submit(self) -> None:
        text = self.field.text().strip()
        if text:
            self._show_similar(None)
            self.search_requested.emit(text)
        else:
            self.clear()

    def _cleared_by_button(self) -> None:
        if not self._similar_active:
            self.cleared.emit()

    def show_similar(self, name: str) -> None:
        """Say that the grid shows photos similar to ``name``."""
        self.field.blockSignals(True)
        self.field.clear()
        self.field.blockSignals(False)
        self._show_similar(name)

    def _show_similar(self, name: str | None) -> None:
        self._similar_active = name is not None
        self.similar_label.setText(f"Similar to {name}" if name else "")
        self.similar_label.setVisible(name is not None)
        self.clear_similar.setVisible(name is not None)

    def set_filter_text(self, text: str) -> None:
        self.filter_label.setText(text)

    def clear(self) -> None:
        self.field.blockSignals(True)
        self.field.clear()
        self.field.blockSignals(False)
        self._show_similar(None)
        self.cleared.emit()
