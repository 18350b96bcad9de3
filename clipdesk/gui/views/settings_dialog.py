"""Settings: folders, model (curated list or a local file), backend, int8, sidecar naming,
faces (People), places from GPS, words in photos.

The dialog edits a copy of :class:`clipdesk.settings.Settings`; the window saves it (under
platformdirs, or ``$CLIPDESK_HOME``) and restarts the worker when the model changed.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clipdesk.catalog.browse import FolderInfo
from clipdesk.gui.adapters.model_choices import BACKENDS, CHOICES, choice_for
from clipdesk.gui.views.tag_text import person_tag
from clipdesk.settings import Settings
from clipdesk.text import INSTALL, engine_installed

ARCHITECTURES = ("ViT-B-32", "ViT-B-32-256", "ViT-B-16", "ViT-L-14", "MobileCLIP-S2")


class SettingsDialog(QDialog):
    """OK returns the edited settings through :meth:`result_settings`."""

    add_folder_requested = Signal()
    remove_folder_requested = Signal(int, str)
    forget_faces_requested = Signal()

    def __init__(
        self, settings: Settings, folders: list[FolderInfo], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("ClipDesk settings")
        self._settings = dataclasses.replace(settings)

        self.folders = QListWidget(self)
        self.set_folders(folders)
        add = QPushButton("Add folder…", self)
        add.clicked.connect(self.add_folder_requested)
        remove = QPushButton("Remove", self)
        remove.clicked.connect(self._remove)
        fbox = QGroupBox("Watched folders", self)
        fl = QVBoxLayout(fbox)
        fl.addWidget(self.folders)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        fl.addLayout(row)

        self.model = QComboBox(self)
        self.model.setAccessibleName("Model")
        for c in CHOICES:
            self.model.addItem(c.describe(), c.name)
        self._ensure_model(settings.model)
        self.model.currentIndexChanged.connect(self._model_changed)
        local = QPushButton("Local file…", self)
        local.setToolTip("An open_clip checkpoint on disk, or a folder with open_clip_config.json")
        local.clicked.connect(self._choose_local)
        self.model_note = QLabel(self)
        self.model_note.setWordWrap(True)
        self.model_note.setStyleSheet("color:#616161;")
        self.backend = QComboBox(self)
        for key, label in BACKENDS:
            self.backend.addItem(label, key)
        self.backend.setCurrentIndex(max(0, self.backend.findData(settings.backend)))
        self.int8 = QCheckBox(
            "Use int8 on the CPU (faster, embeddings very slightly less precise)", self
        )
        self.int8.setChecked(settings.int8)
        self.naming = QComboBox(self)
        self.naming.addItem("photo.jpg.xmp: darktable, digiKam, exiftool", "ext")
        self.naming.addItem("photo.xmp: Lightroom, Camera Raw", "base")
        self.naming.setCurrentIndex(max(0, self.naming.findData(settings.sidecar_naming)))
        mrow = QHBoxLayout()
        mrow.addWidget(self.model, 1)
        mrow.addWidget(local)
        mbox = QGroupBox("Tagging", self)
        form = QFormLayout(mbox)
        form.addRow("Model", mrow)
        form.addRow("", self.model_note)
        form.addRow("Runs on", self.backend)
        form.addRow("", self.int8)
        form.addRow("Sidecars", self.naming)
        self._model_changed()

        self.faces = QCheckBox("Find faces (People)", self)
        forget = QPushButton("Forget all face data…", self)
        forget.setToolTip("Remove every face found, the groups and which faces are whose")
        forget.clicked.connect(self.forget_faces_requested)
        pbox = self._switch_box(
            "People",
            self.faces,
            settings.faces,
            "Faces are found, and grouped by likeness, on this machine: no photo, face or "
            f"name leaves it. Named people become tags ({person_tag('Name')}).",
            forget,
        )
        self.places = QCheckBox("Name places from GPS (Places|Country|Region|City)", self)
        gbox = self._switch_box(
            "Places",
            self.places,
            settings.places,
            "Photos with a GPS position get the place they were taken in as a tag, named "
            "from GeoNames' data on this machine: no position leaves it.",
        )
        self.text = QCheckBox("Read the words in photos (signs, menus, documents)", self)
        missing = ""  # without the text extra, the box keeps the setting for later
        if not engine_installed():
            missing = f" The OCR engine is not installed here: {INSTALL}, then restart ClipDesk."
        tbox = self._switch_box(
            "Words in photos",
            self.text,
            settings.text,
            "Only photos that look like they hold text are read, on this machine; search "
            f"their words with text:WORDS. Nothing is written to sidecars.{missing}",
        )

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(fbox)
        layout.addWidget(mbox)
        layout.addWidget(pbox)
        layout.addWidget(gbox)
        layout.addWidget(tbox)
        layout.addWidget(buttons)
        self.resize(640, 600)

    def _switch_box(
        self, title: str, box: QCheckBox, on: bool, note: str, button: QPushButton | None = None
    ) -> QGroupBox:
        """A group of one on/off setting: its check box (and a button beside it), then a
        grey note saying what it does (selectable: it may name a command to run)."""
        box.setChecked(on)
        label = QLabel(note, self)
        label.setWordWrap(True)
        label.setStyleSheet("color:#616161;")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        group = QGroupBox(title, self)
        rows = QVBoxLayout(group)
        row = QHBoxLayout()
        row.addWidget(box)
        row.addStretch(1)
        if button is not None:
            row.addWidget(button)
        rows.addLayout(row)
        rows.addWidget(label)
        return group

    def set_folders(self, folders: list[FolderInfo]) -> None:
        self.folders.clear()
        for f in folders:
            text = f"{f.path}  ({f.photos:,} photos)" + ("" if f.present else "  not found")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, (f.id, f.path))
            self.folders.addItem(item)

    def _remove(self) -> None:
        item = self.folders.currentItem()
        if item is not None:
            self.remove_folder_requested.emit(*item.data(Qt.ItemDataRole.UserRole))

    def _ensure_model(self, name: str) -> None:
        index = self.model.findData(name)
        if index < 0:
            self.model.addItem(choice_for(name).describe(), name)
            index = self.model.count() - 1
        self.model.setCurrentIndex(index)

    def _model_changed(self, *args) -> None:
        name = self.model.currentData()
        note = "Changing the model tags every photo again in the background."
        if name != self._settings.model:
            self.model_note.setText(note)
        else:
            self.model_note.setText(f"In use: {name}")

    def _choose_local(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose a model file",
            str(Path.home()),
            "Model files (*.safetensors *.bin *.pt *.pth open_clip_config.json);;All files (*)",
        )
        if not path:
            return
        folder = Path(path).parent
        if (folder / "open_clip_config.json").is_file():
            self._ensure_model(str(folder))
            return
        arch, ok = QInputDialog.getItem(
            self,
            "Architecture",
            f"Which architecture is {os.path.basename(path)}?",
            ARCHITECTURES,
            0,
            True,
        )
        if ok and arch:
            self._ensure_model(f"{arch}:{path}")

    def result_settings(self) -> Settings:
        s = dataclasses.replace(self._settings)
        s.model = self.model.currentData()
        s.backend = self.backend.currentData()
        s.int8 = self.int8.isChecked()
        s.sidecar_naming = self.naming.currentData()
        s.faces = self.faces.isChecked()
        s.places = self.places.isChecked()
        s.text = self.text.isChecked()
        return s
