"""The search row: a query (the language of ``clipdesk/search/query.py``), "like" an example photo
(with or without text), the album shown, the weaker matches the cut-off hid ("Show N more"),
the filters in force (marks, dates), the order, thumbnail size."""

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
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.views.marks_filter import MarksFilter
from clipdesk.search.query import QuerySyntaxError, parse

SORTS = (
    ("name", "By name"),
    ("date", "By date taken"),
    ("date_desc", "Newest first"),
    ("stars", "By stars"),
    ("label", "By label"),
)
BEST = "best"  # a search's own order, offered while one is shown: best match first
CHIP_STYLE = "QLabel { background:#e3f2fd; border-radius:8px; padding:2px 8px; }"
PLACEHOLDER = "Search, e.g.  beach -people   “red car” +sunset   dog:2 park  (Ctrl+F)"
SYNTAX_HELP = (
    "<b>Search syntax</b><br>"
    "<code>dog on a beach</code> plain words: one description<br>"
    "<code>beach -people</code> leave out what a word names<br>"
    '<code>"red car" +sunset</code> a quoted phrase; + requires a term<br>'
    "<code>dog:2 beach -people:0.5</code> weigh terms<br>"
    '<code>text:menu beach</code> <code>text:"open 24"</code> words read in the photo '
    "(any case, part of a word too); <code>-text:menu</code> leaves them out<br>"
    "“Find similar” on a photo, then type text: photos like it with what the text says.<br>"
    "Weaker matches are hidden: “Show N more” lists them."
)


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

    search_requested = Signal(str)  # the query's text; with an example shown, "like it" too
    cleared = Signal()
    show_more_requested = Signal()
    size_changed = Signal(int)
    order_changed = Signal(str)  # a key of catalog.browse.ORDERS
    dates_changed = Signal(object, object)  # 'YYYY-MM-DD' or None, taken from / to
    marks_changed = Signal(int, object, object)  # min stars, label, flag (MarksFilter)
    album_closed = Signal()  # the album's ✕: back to the library

    def __init__(self, size: int = 160, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = SearchField(self)
        self.field.setPlaceholderText(PLACEHOLDER)
        self.field.setToolTip(SYNTAX_HELP)
        self.field.setAccessibleName("Search")
        self.field.setClearButtonEnabled(True)
        self.field.returnPressed.connect(self._submit)
        self.field.escaped.connect(self.clear)
        self.field.textChanged.connect(self._text_changed)
        self.similar_label = QLabel(self)
        self.similar_label.setStyleSheet(CHIP_STYLE)
        self.similar_label.hide()
        self.album_label = QLabel(self)
        self.album_label.setStyleSheet(CHIP_STYLE)
        self.album_label.hide()
        self.close_album = QToolButton(self)
        self.close_album.setText("✕")
        self.close_album.setToolTip("Leave the album: back to all photos")
        self.close_album.clicked.connect(self.album_closed)
        self.close_album.hide()
        self.clear_similar = QToolButton(self)
        self.clear_similar.setText("✕")
        self.clear_similar.setToolTip("Back to all photos")
        self.clear_similar.clicked.connect(self.clear)
        self.clear_similar.hide()
        # A query that cannot be read: the reason stays until the text changes.
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet("color:#b71c1c;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.more_button = QToolButton(self)
        self.more_button.setToolTip("List the photos that match less well than the cut-off")
        self.more_button.clicked.connect(self.show_more_requested)
        self.more_button.hide()
        self.filter_label = QLabel(self)
        self.filter_label.setStyleSheet("color:#455a64;")
        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(80, 320)
        self.size_slider.setSingleStep(20)
        self.size_slider.setValue(size)
        self.size_slider.setMinimumWidth(60)
        self.size_slider.setMaximumWidth(110)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.valueChanged.connect(self.size_changed)
        self.sort = QComboBox(self)
        for key, label in SORTS:
            self.sort.addItem(label, key)
        self.sort.setToolTip("Order of the photos (a search: best match first, or as chosen)")
        self.sort.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.sort.setMinimumContentsLength(7)
        self.sort.currentIndexChanged.connect(lambda _: self.order_changed.emit(self.order()))
        self.marks = MarksFilter(self)
        self.marks.changed.connect(self.marks_changed)
        self.dated = QCheckBox("Taken", self)
        self.dated.setToolTip("Only photos taken between these dates (EXIF DateTimeOriginal)")
        self.date_from, self.date_to = QDateEdit(self), QDateEdit(self)
        today = QDate.currentDate()
        for edit, date in ((self.date_from, today.addYears(-1)), (self.date_to, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(date)
            edit.setVisible(False)  # shown with "Taken": the bar stays narrow until then
            edit.dateChanged.connect(self._dates)
        self.dated.toggled.connect(self._dates)
        # Two rows, so that the window stays narrow enough for a small screen.
        rows = QVBoxLayout(self)
        rows.setContentsMargins(6, 6, 6, 0)
        rows.setSpacing(4)
        top, bottom = QHBoxLayout(), QHBoxLayout()
        rows.addLayout(top)
        rows.addLayout(bottom)
        top.addWidget(self.album_label)
        top.addWidget(self.close_album)
        top.addWidget(self.field, 1)
        top.addWidget(self.similar_label)
        top.addWidget(self.clear_similar)
        top.addWidget(self.more_button)
        top.addWidget(self.filter_label)
        top.addWidget(self.marks)
        rows.addWidget(self.error_label)
        bottom.addWidget(self.sort)
        bottom.addWidget(self.dated)
        bottom.addWidget(self.date_from)
        self.dash = QLabel("–", self)
        self.dash.setVisible(False)
        bottom.addWidget(self.dash)
        bottom.addWidget(self.date_to)
        bottom.addStretch(1)
        bottom.addWidget(QLabel("Size", self))
        bottom.addWidget(self.size_slider)
        self._similar_active = False
        self._browse_order = SORTS[0][0]  # the order chosen before a search offered its own

    def order(self) -> str:
        """A key of catalog.browse.ORDERS, or BEST while a search shows its best first."""
        return self.sort.currentData()

    def set_searching(self, on: bool) -> None:
        """A search shown offers "Best match" (best first) and takes it, until another order is
        chosen; back to browsing, the order chosen before comes back (or the one chosen
        during the search stays). Quietly: the caller lists the grid anyway."""
        offered = self.sort.itemData(0) == BEST
        self.sort.blockSignals(True)
        if on and not offered:
            self._browse_order = self.order()
            self.sort.insertItem(0, "Best match", BEST)
            self.sort.setCurrentIndex(0)
        elif not on and offered:
            best = self.order() == BEST
            self.sort.removeItem(0)
            if best:
                self.sort.setCurrentIndex(max(0, self.sort.findData(self._browse_order)))
        self.sort.blockSignals(False)

    def dates(self) -> tuple[str | None, str | None]:
        if not self.dated.isChecked():
            return None, None
        return (
            self.date_from.date().toString("yyyy-MM-dd"),
            self.date_to.date().toString("yyyy-MM-dd"),
        )

    def _dates(self, *_) -> None:
        for widget in (self.date_from, self.dash, self.date_to):
            widget.setVisible(self.dated.isChecked())
        self.dates_changed.emit(*self.dates())

    def _submit(self) -> None:
        text = self.field.text().strip()
        if not text:
            if self._similar_active:  # the example alone, again
                self.search_requested.emit("")
            else:
                self.clear()
            return
        try:
            query = parse(text)
            if not query.positive and not query.words and not self._similar_active:
                raise QuerySyntaxError(
                    "only terms to leave out: say what to find too, as in beach -people"
                )
        except QuerySyntaxError as exc:
            self.show_error(str(exc))
            return
        self.show_error(None)
        self.search_requested.emit(text)

    def show_error(self, text: str | None) -> None:
        """Why a query could not be run; it stays until the text changes."""
        self.error_label.setText(text or "")
        self.error_label.setVisible(bool(text))

    def _text_changed(self, text: str) -> None:
        self.show_error(None)
        if not text:
            self._cleared_by_button()

    def _cleared_by_button(self) -> None:
        if not self._similar_active:
            self.cleared.emit()

    def show_similar(self, name: str) -> None:
        """Say that the grid shows photos like ``name``; text typed now narrows them."""
        self.field.blockSignals(True)
        self.field.clear()
        self.field.blockSignals(False)
        self.show_error(None)
        self._show_similar(name)

    def _show_similar(self, name: str | None) -> None:
        self._similar_active = name is not None
        self.similar_label.setText(f"Like {name}" if name else "")
        self.similar_label.setToolTip(
            "Photos like this one; type text to say what else they show (Enter)" if name else ""
        )
        self.similar_label.setVisible(name is not None)
        self.clear_similar.setVisible(name is not None)

    @property
    def similar_active(self) -> bool:
        return self._similar_active

    def set_hidden(self, n: int) -> None:
        """How many weaker matches the cut-off hid (0: the button goes)."""
        self.more_button.setText(f"Show {n:,} more")
        self.more_button.setVisible(n > 0)

    def show_album(self, name: str | None) -> None:
        """Say which album the grid shows (None: none); its search is its own, so the field
        is emptied."""
        if name is not None:
            self.field.blockSignals(True)
            self.field.clear()
            self.field.blockSignals(False)
            self.show_error(None)
            self.set_hidden(0)
            self._show_similar(None)
        self.album_label.setText(f"Album: {name}" if name else "")
        self.album_label.setVisible(name is not None)
        self.close_album.setVisible(name is not None)

    def set_filter_text(self, text: str) -> None:
        self.filter_label.setText(text)

    def clear(self) -> None:
        self.field.blockSignals(True)
        self.field.clear()
        self.field.blockSignals(False)
        self.show_error(None)
        self.set_hidden(0)
        self._show_similar(None)
        self.cleared.emit()
