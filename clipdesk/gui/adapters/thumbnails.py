"""Grid thumbnails: read from the thumbnail cache off the GUI thread, kept in an LRU of pixmaps.

Pool threads only build QImages; the QPixmap is made on the GUI thread (a pixmap off the GUI
thread is the classic way to crash a Qt app). Requests are served newest first, and old ones
are dropped when the user scrolls fast, so the cells in view always load first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QImageReader, QPixmap

from clipdesk.imaging import ThumbnailCache

MAX_QUEUED = 400


def read_image(path: str, fit: QSize | None = None) -> QImage:
    """An image file as a QImage, upright, scaled down to fit ``fit``; null when unreadable.

    Safe on any thread (QImage, unlike QPixmap, is not tied to the GUI thread).
    """
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    if fit is not None:
        size = reader.size()
        if size.isValid() and (size.width() > fit.width() or size.height() > fit.height()):
            # Decoding at reduced size is much faster for JPEG than decoding and scaling.
            reader.setScaledSize(size.scaled(fit, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if (
        not image.isNull()
        and fit is not None
        and (image.width() > fit.width() or image.height() > fit.height())
    ):
        image = image.scaled(
            fit, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


def _nbytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(pixmap.depth(), 8) // 8


class _Drain(QRunnable):
    """Loads queued thumbnails until the queue is empty."""

    def __init__(self, loader: ThumbnailLoader):
        super().__init__()
        self.loader = loader

    def run(self) -> None:
        loader = self.loader
        while True:
            item = loader._next()
            if item is None:
                return
            photo_id, path, size = item
            image = read_image(path, QSize(size, size))
            loader._loaded.emit(photo_id, size, image)


class ThumbnailLoader(QObject):
    """Thumbnails by photo id; ``ready(photo_id)`` says a requested one is now available."""

    ready = Signal(int)
    _loaded = Signal(int, int, QImage)

    def __init__(
        self, cache_root: Path, size: int = 160, budget_mb: int = 64, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.cache = ThumbnailCache(cache_root)
        self.size = size
        self.budget = budget_mb << 20  # pixmap bytes kept; the oldest go first
        self._bytes = 0
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._absent: set[int] = set()  # no thumbnail yet: asked again after retry_absent()
        self._pending: set[int] = set()
        self._drains = 0
        self._queue: deque[tuple[int, str, int]] = deque()
        self._lock = threading.Lock()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._closed = False
        self._loaded.connect(self._on_loaded)

    def pixmap(self, photo_id: int, hash_: str) -> QPixmap | None:
        """The thumbnail if it is in memory; otherwise None, and it is loaded in the background."""
        pm = self._pixmaps.get(photo_id)
        if pm is not None:
            self._pixmaps.move_to_end(photo_id)
            return pm
        if photo_id in self._pending or photo_id in self._absent or self._closed:
            return None
        try:
            path = str(self.cache.path_for(hash_))
        except ValueError:
            self._absent.add(photo_id)
            return None
        self._pending.add(photo_id)
        with self._lock:
            self._queue.appendleft((photo_id, path, self.size))
            while len(self._queue) > MAX_QUEUED:  # scrolled past: let them go
                self._pending.discard(self._queue.pop()[0])
            start = self._drains < self._pool.maxThreadCount()
            if start:
                self._drains += 1
        if start:
            self._pool.start(_Drain(self))
        return None

    def _next(self) -> tuple[int, str, int] | None:
        with self._lock:
            if self._queue and not self._closed:
                return self._queue.popleft()
            self._drains -= 1  # this drain ends; counted under the lock so none is lost
            return None

    @Slot(int, int, QImage)
    def _on_loaded(self, photo_id: int, size: int, image: QImage) -> None:
        self._pending.discard(photo_id)
        if self._closed or size != self.size:
            return
        if image.isNull():
            self._absent.add(photo_id)
            return
        pixmap = QPixmap.fromImage(image)
        old = self._pixmaps.pop(photo_id, None)
        self._bytes += _nbytes(pixmap) - (_nbytes(old) if old is not None else 0)
        self._pixmaps[photo_id] = pixmap
        while self._bytes > self.budget and len(self._pixmaps) > 1:
            self._bytes -= _nbytes(self._pixmaps.popitem(last=False)[1])
        self.ready.emit(photo_id)

    def set_size(self, size: int) -> None:
        """A new cell size: thumbnails are re-read at it."""
        if size != self.size:
            self.size = size
            self._drop_all()

    def retry_absent(self) -> list[int]:
        """Thumbnails that did not exist may exist now: forget that they were missing."""
        ids = list(self._absent)
        self._absent.clear()
        return ids

    def _drop_all(self) -> None:
        with self._lock:
            self._queue.clear()
        self._pending.clear()
        self._pixmaps.clear()
        self._bytes = 0
        self._absent.clear()

    def close(self) -> None:
        """Stop loading; waits for the pool threads to finish their current image."""
        self._closed = True
        with self._lock:
            self._queue.clear()
        self._pool.waitForDone()
        self._pixmaps.clear()
        self._bytes = 0
