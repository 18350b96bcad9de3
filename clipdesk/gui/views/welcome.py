"""First run: ask for a photo folder, and say which model will run where, and what downloads."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clipdesk.embedding.prebuilt import missing_torch_stack, prebuilt_root
from clipdesk.embedding.readymade import source_for
from clipdesk.gui.adapters.model_choices import BACKENDS, choice_for, needs_download


def plan_text(
    model: str, backend: str, int8: bool, weights_dir: Path, torch_missing: bool | None = None
) -> str:
    """What will run, where, and what it downloads first (rich text). ``torch_missing``:
    the light install (no torch or open_clip; found out here when None), which runs only a
    model whose ONNX export it has: the test model's ships in the package."""
    choice = choice_for(model)
    if torch_missing is None:
        torch_missing = bool(missing_torch_stack())
    where = dict(BACKENDS).get(backend, backend)
    if backend == "auto" and (prebuilt_root() is not None or torch_missing):
        where = "the CPU (ONNX Runtime)"  # the bundle or the light install: no torch, no GPU
    elif backend == "auto":
        where = "your NVIDIA or Apple GPU if there is one, otherwise the CPU (ONNX Runtime)"
    if int8 and backend in ("auto", "onnx"):
        where += ", int8 on the CPU"
    ready = torch_missing and source_for(model) is not None  # a ready-made export downloads
    if torch_missing and model != "test" and prebuilt_root() is None and not ready:
        return (
            f"Tagging is set to use <b>{choice.label}</b>, which this installation cannot run "
            "yet: ClipDesk turns a model into an ONNX graph once, with torch, and torch is not "
            "installed. Install it with <code>pip&nbsp;install&nbsp;'clipdesk[export]'"
            "</code> and start ClipDesk again; or try ClipDesk now with its small test model "
            "(<i>Change model or backend…</i> below, then <i>ClipDesk's small test model</i>)."
        )
    if needs_download(model, weights_dir):
        size = f"{choice.size_mb:,} MB" if choice.size_mb else "the model weights"
        if ready:
            size += " (its ready-made ONNX export)"
        download = (
            f"First use downloads {size} into <code>{weights_dir}</code>; "
            "the thumbnails appear meanwhile."
        )
    else:
        download = "Nothing needs downloading."
    return (
        f"Tagging uses <b>{choice.label}</b>; speed: {choice.speed}. It runs on {where}. {download}"
    )


class WelcomePage(QWidget):
    """Shown while the catalog has no folders."""

    folder_chosen = Signal(str)
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("Welcome to ClipDesk", self)
        title.setStyleSheet("font-size: 26px; font-weight: 600;")
        intro = QLabel(
            "ClipDesk tags your photos by what they show, lets you search them by "
            "description, and writes the tags to XMP sidecars that Lightroom, darktable and "
            "digiKam read. Everything runs on this computer, and your photo files are never "
            "modified.",
            self,
        )
        intro.setWordWrap(True)
        self.choose = QPushButton("Choose a photo folder…", self)
        self.choose.setStyleSheet("QPushButton { font-size: 15px; padding: 8px 24px; }")
        self.choose.setMinimumHeight(44)
        self.choose.setDefault(True)
        self.choose.clicked.connect(self._choose)
        self.plan = QLabel(self)
        self.plan.setWordWrap(True)
        self.plan.setTextFormat(Qt.TextFormat.RichText)
        self.plan.setStyleSheet("color: #424242;")
        change = QPushButton("Change model or backend…", self)
        change.setFlat(True)
        change.setStyleSheet("QPushButton { color: #1565c0; text-align: left; }")
        change.clicked.connect(self.settings_requested)
        box = QWidget(self)
        box.setFixedWidth(640)  # a fixed width lets the wrapped labels take their full height
        bl = QVBoxLayout(box)
        bl.setSpacing(16)
        bl.addWidget(title)
        bl.addWidget(intro)
        bl.addWidget(self.choose, 0, Qt.AlignmentFlag.AlignLeft)
        bl.addWidget(self.plan)
        bl.addWidget(change, 0, Qt.AlignmentFlag.AlignLeft)
        for label in (intro, self.plan):  # wrapped text: as tall as its width needs
            label.setMinimumHeight(max(0, label.heightForWidth(box.width() - 24)))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def set_plan(self, model: str, backend: str, int8: bool, weights_dir: Path) -> None:
        self.plan.setText(plan_text(model, backend, int8, weights_dir))
        width = self.plan.parentWidget().width() - 24
        self.plan.setMinimumHeight(max(0, self.plan.heightForWidth(width)))

    def _choose(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a photo folder", str(Path.home()))
        if path:
            self.folder_chosen.emit(path)
