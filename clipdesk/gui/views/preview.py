"""A large photo preview that decodes off the GUI thread and scales to its space."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from clipdesk.gui.adapters.thumbnails import read_image

MAX_SIDE = 2048  # decoded at most this large: plenty for a screen, quick for a 50 MP file


class _Load(QRunnable):
    def __init__(self, owner: _Relay, token: int, path: str):
        super().__init__()
        self.owner, self.token, self.path = owner, token, path

    def run(self) -> None:
        self.owner.loaded.emit(self.token, read_image(self.path, QSize(MAX_SIDE, MAX_SIDE)))


class _Relay(QObject):
    loaded = Signal(int, QImage)


class Preview(QLabel):
    """Shows one photo (or a message); the newest request wins."""

    shown = Signal(str)  # the path now on screen

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 150)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setStyleSheet("QLabel { background: #202124; color: #bdbdbd; }")
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.loaded.connect(self._on_loaded)
        self._token = 0
        self._pixmap: QPixmap | None = None
        self.path: str | None = None

    def show_photo(self, path: str | None, message: str = "") -> None:
        """Load ``path`` in the background; None shows ``message`` instead."""
        self._token += 1
        self.path = path
        if path is None:
            self._pixmap = None
            self.clear()
            self.setText(message)
            return
        self._pool.clear()  # an older request not started yet is no longer wanted
        self._pool.start(_Load(self._relay, self._token, path))

    @Slot(int, QImage)
    def _on_loaded(self, token: int, image: QImage) -> None:
        if token != self._token:
            return
        if image.isNull():
            self._pixmap = None
            self.setText("This photo cannot be shown (file missing or unreadable)")
        else:
            self._pixmap = QPixmap.fromImage(image)
            self._fit()
        self.shown.emit(self.path or "")

    def _fit(self) -> None:
        if self._pixmap is not None:
            self.setPixmap(
                self._pixmap.scaled(
                    self.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def close_loader(self) -> None:
        """Stop decoding (on exit)."""
        self._token += 1
        self._pool.clear()
        self._pool.waitForDone()
