"""Export to XMP sidecars: choose naming and tags, check with a dry run, write, see the report.

The export runs on the worker (it records what it wrote in the catalog, so that a tag the
user later removes is also removed from the sidecar next time), and reports progress here.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.pathnames import shown
from clipdesk.settings import Settings
from clipdesk.wording import plural

MAX_LINES = 500


class _Relay(QObject):
    progress = Signal(int, int)


def report_lines(report, limit: int = MAX_LINES) -> list[str]:
    """What the report says, photo by photo: skipped ones first, with their reasons."""
    lines = [f"skipped  {o.photo}: {o.reason}" for o in report.skipped]
    lines += [f"note  {o.photo}: {o.note}" for o in report.outcomes if o.note]
    lines += [f"note  {o.photo}: {o.rating_note}" for o in report.outcomes if o.rating_note]
    for o in report.outcomes:
        if o.outcome != "skipped" and o.changes():
            changes = ["−" + c[1:] if c.startswith("-") else c for c in o.changes()]
            lines.append(f"{shown(str(o.sidecar or o.photo))}: {' '.join(changes)}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"… and {len(lines) - limit:,} more"]
    return lines


class ExportDialog(QDialog):
    """Dry run first; then "Write sidecars" does what the dry run showed."""

    def __init__(
        self,
        bridge: WorkerBridge,
        settings: Settings,
        selected: list[str],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Export tags to XMP sidecars")
        self.bridge, self.settings = bridge, settings
        self.selected = selected
        self.report = None
        self._cancel = threading.Event()
        self._running = False
        self._relay = _Relay(self)
        self._relay.progress.connect(self._progress)

        self.naming_ext = QRadioButton("photo.jpg.xmp: darktable, digiKam, exiftool")
        self.naming_base = QRadioButton("photo.xmp: Lightroom, Camera Raw")
        (self.naming_base if settings.sidecar_naming == "base" else self.naming_ext).setChecked(
            True
        )
        self.confirmed_only = QRadioButton("Tags you confirmed (and imported keywords)")
        self.with_suggested = QRadioButton("Also suggestions above their threshold")
        self.confirmed_only.setChecked(True)
        self.all_photos = QRadioButton("All photos")
        if not selected:
            which = "Selected photos (none is selected)"
        elif len(selected) == 1:
            which = "The selected photo"
        else:
            which = f"The {len(selected):,} selected photos"
        self.selected_photos = QRadioButton(which)
        self.selected_photos.setEnabled(bool(selected))
        # One photo selected is most often just the one being looked at: all, by default.
        (self.selected_photos if len(selected) > 1 else self.all_photos).setChecked(True)
        layout = QVBoxLayout(self)
        for title, buttons in (
            ("Sidecar names", (self.naming_ext, self.naming_base)),
            ("Which tags", (self.confirmed_only, self.with_suggested)),
            ("Which photos", (self.all_photos, self.selected_photos)),
        ):
            box = QGroupBox(title, self)
            bl = QVBoxLayout(box)
            group = QButtonGroup(box)
            for b in buttons:
                group.addButton(b)
                bl.addWidget(b)
                b.toggled.connect(self._options_changed)
            layout.addWidget(box)
        note = QLabel(
            "Existing sidecars are merged, never replaced: keywords and fields from "
            "other programs stay. Photo files are never modified.",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color:#616161;")
        layout.addWidget(note)
        self.summary = QLabel("Check first: a dry run shows what would change.", self)
        self.summary.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Export report")
        self.details.setMinimumHeight(140)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.details, 1)
        self.buttons = QDialogButtonBox(self)
        self.check_button = QPushButton("Check (dry run)", self)
        self.write_button = QPushButton("Write sidecars", self)
        self.write_button.setEnabled(False)
        self.buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.write_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.check_button.clicked.connect(lambda: self.run(dry_run=True))
        self.write_button.clicked.connect(lambda: self.run(dry_run=False))
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(620, 560)

    def naming(self) -> str:
        return "base" if self.naming_base.isChecked() else "ext"

    def _options_changed(self, *args) -> None:
        if not self._running:
            self.write_button.setEnabled(False)
            self.summary.setText("Options changed: check again before writing.")

    def run(self, dry_run: bool) -> None:
        if self._running:
            return
        from clipdesk.ops import sidecars as sidecar_ops

        self._running = True
        self._cancel.clear()
        naming, suggested = self.naming(), self.with_suggested.isChecked()
        paths = list(self.selected) if self.selected_photos.isChecked() else None
        relay, cancel = self._relay, self._cancel
        options = sidecar_ops.ExportOptions(
            tuple(paths) if paths is not None else None, naming, suggested, dry_run
        )
        step = [0]

        def progress(done: int, total: int | None, outcome) -> None:
            if done - step[0] >= 25 or done == total:  # a signal per 25 photos is plenty
                step[0] = done
                relay.progress.emit(done, total or 0)

        def job(lib):  # checks the paths, and keeps a real export's naming as the default
            return sidecar_ops.export(lib, options, progress=progress, cancelled=cancel.is_set)

        for w in (self.check_button, self.write_button):
            w.setEnabled(False)
        self.close_button.setText("Cancel")
        self.summary.setText("Checking…" if dry_run else "Writing sidecars…")
        self.progress.setRange(0, 0)
        self.progress.show()
        future = self.bridge.submit(
            job, done=lambda r: self._finished(r, dry_run), failed=self._failed
        )
        if future is None:
            self._failed(RuntimeError("the background worker is not running"))

    def _progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _finished(self, report, dry_run: bool) -> None:
        self._running = False
        self.report = report
        if not dry_run:  # the worker saved it as the default: this window's copy follows
            self.settings.sidecar_naming = report.naming
        self.progress.hide()
        self.close_button.setText("Close")
        self.check_button.setEnabled(True)
        n = len(report.outcomes)
        if dry_run:
            text = (
                f"Dry run: {plural(report.written, 'sidecar')} would be written, "
                f"{plural(report.unchanged, 'photo')} with nothing new to write, "
                f"{plural(len(report.skipped), 'photo')} would be skipped."
            )
            self.write_button.setEnabled(report.written > 0)
        else:
            text = (
                f"Done: {plural(report.written, 'sidecar')} written, "
                f"{plural(report.unchanged, 'photo')} with nothing new to write, "
                f"{plural(len(report.skipped), 'photo')} skipped."
            )
        if report.cancelled:
            text += " Cancelled before the end."
        if not n:
            text = "Nothing to export: no photo has a tag of the chosen kind yet."
        self.summary.setText(text)
        self.details.setPlainText("\n".join(report_lines(report)))

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self.progress.hide()
        self.close_button.setText("Close")
        self.check_button.setEnabled(True)
        self.summary.setText(f"Export failed: {exc}")

    def reject(self) -> None:
        """Close, or while running: cancel (the export stops after the photo in flight)."""
        if self._running:
            self._cancel.set()
            self.summary.setText("Cancelling…")
            return
        super().reject()

    def closeEvent(self, event) -> None:
        if self._running:
            self._cancel.set()
            event.ignore()
            return
        super().closeEvent(event)
