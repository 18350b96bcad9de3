"""The vocabulary editor's layout: the tag tree, one tag's form, and the live strip.

Behaviour is in :mod:`clipdesk.gui.controllers.vocab_controller`.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.adapters.grid_model import PhotoGridModel
from clipdesk.gui.views.grid_view import ThumbnailDelegate

STRIP_SIZE = 96


class LiveStrip(QListView):
    """One row of thumbnails: the photos the prompts being typed match best."""

    def __init__(self, model: PhotoGridModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Best matches")
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        delegate = ThumbnailDelegate(STRIP_SIZE, self)
        self.setItemDelegate(delegate)
        self.setModel(model)
        hint = delegate.sizeHint(None, None)
        self.setFixedHeight(hint.height() + self.horizontalScrollBar().sizeHint().height() + 6)
        self.setIconSize(QSize(STRIP_SIZE, STRIP_SIZE))

    def strip_model(self) -> PhotoGridModel:
        return self.model()  # type: ignore[return-value]


class VocabEditor(QWidget):
    def __init__(self, strip_model: PhotoGridModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Vocabulary")
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Tag", "On", "Threshold", "Suggested"])
        self.tree.headerItem().setToolTip(
            3, "Photos the model suggests the tag on now; ⚠: it cannot see the tag (hover)"
        )
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.new_button = QPushButton("New tag…", self)
        self.delete_button = QPushButton("Delete", self)
        self.import_button = QPushButton("Import…", self)
        self.export_button = QPushButton("Export…", self)
        left = QWidget(self)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.tree, 1)
        row = QHBoxLayout()
        for b in (self.new_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        for b in (self.import_button, self.export_button):
            row.addWidget(b)
        ll.addLayout(row)

        self.name = QLineEdit(self)
        self.name.setToolTip("Use | for levels, e.g. Animals|Dog; renaming keeps every decision")
        self.prompts = QPlainTextEdit(self)
        self.prompts.setAccessibleName("Prompts")
        self.prompts.setPlaceholderText(
            "One description per line, e.g.\na photo of a dog\na dog playing outside\n\n"
            "Empty: “a photo of a <name>” and similar."
        )
        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(0.01, 0.99)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setToolTip(
            "How sure the model must be before it suggests the tag (0.5: even odds)"
        )
        self.enabled = QCheckBox("Suggest this tag", self)
        self.save_button = QPushButton("Save (Ctrl+S)", self)
        self.revert_button = QPushButton("Revert", self)
        self.state_label = QLabel(self)
        self.state_label.setStyleSheet("color:#616161;")
        self.evidence_label = QLabel(self)  # how often it is suggested, or why not
        self.evidence_label.setWordWrap(True)
        self.evidence_label.setAccessibleName("Suggestions")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Prompts", self.prompts)
        form.addRow("Threshold", self.threshold)
        form.addRow("", self.enabled)
        form.addRow("", self.evidence_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state_label, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        self.strip = LiveStrip(strip_model, self)
        self.strip_label = QLabel("Best matches for these prompts, updated as you type", self)
        self.strip_label.setStyleSheet("color:#616161;")
        self.form_box = QGroupBox("Tag", self)
        fl = QVBoxLayout(self.form_box)
        fl.addLayout(form)
        fl.addLayout(buttons)
        fl.addWidget(self.strip_label)
        fl.addWidget(self.strip)
        fl.addStretch(1)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.form_box)
        split.setSizes([380, 700])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
