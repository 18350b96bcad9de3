"""The model download, shown above the pages while it runs: file, bytes, rate, time left, and
a Cancel button. The download itself runs in the worker's thread (``WorkerProgress`` with
phase ``download`` arrives here through the bridge)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from clipdesk.embedding.hooks import megabytes
from clipdesk.gui.views.status_bar import time_left


def download_text(p: Any) -> str:
    """One line for a download's progress: what, how far, how fast, how long."""
    what = f"Downloading the model ({p.item})" if p.item else "Downloading the model"
    if not p.item:
        return f"{what}: asking the model hub…"
    parts = [f"{what}: {megabytes(p.done)} of {megabytes(p.total)}" if p.total else what]
    if p.rate > 0:
        parts.append(f"{megabytes(p.rate)}/s")
    left = time_left(p.eta)
    if left:
        parts.append(left)
    return " · ".join(parts)


class DownloadRow(QFrame):
    """Hidden until a download reports; Cancel asks the worker to stop it."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("downloadRow")
        self.setStyleSheet(
            "#downloadRow { background: #eaf2fb; border-bottom: 1px solid #9cc0e6; }"
            "#downloadRow QLabel { color: #0d2c4f; }"
        )
        line = QHBoxLayout(self)
        line.setContentsMargins(10, 6, 10, 6)
        self.label = QLabel("", self)
        self.label.setAccessibleName("Model download")
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(260)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the download; what is downloaded is kept for later")
        self.cancel_button.clicked.connect(self._cancel)
        line.addWidget(self.label, 1)
        line.addWidget(self.bar)
        line.addWidget(self.cancel_button)
        self.hide()

    def show_progress(self, p: Any) -> None:
        if not self.cancel_button.isEnabled():  # stopping: the last reports are stale
            return
        self.label.setText(download_text(p))
        if p.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * min(p.done, p.total) / p.total))
        else:
            self.bar.setRange(0, 0)  # busy: the size is not known yet
        self.show()

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Stopping the download…")
        self.cancel_requested.emit()

    def finish(self) -> None:
        """The download ended (done, failed or cancelled): hide, ready for the next one."""
        self.hide()
        self.cancel_button.setEnabled(True)
