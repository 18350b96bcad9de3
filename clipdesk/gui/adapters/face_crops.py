"""Face crops for the People page: a square around each face, cut from the photo's thumbnail
when it holds enough pixels, else from a decode of the photo at a modest size.

Pool threads cut QImages (decoding never runs on the GUI thread); the QPixmap is made on the
GUI thread and kept in an LRU. Requests are served newest first, so the tiles in view load
before those scrolled past, and a photo with several faces is decoded once for all of them.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QImage, QPixmap

from clipdesk.gui.adapters.people_reads import FaceCard
from clipdesk.imaging import ImageError, decode

MARGIN = 0.35  # of the face's size on each side: a little hair and chin, as people expect
MAX_DECODE_SIDE = 1600  # a photo decoded for a crop: a small face on a 24 MP photo still shows
ENOUGH = 0.75  # a thumbnail is used when its crop is at least this share of the tile's size
MAX_QUEUED = 300
DECODES_KEPT = 4  # decoded photos kept while their other faces are cut


def square_around(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """The pixels (left, top, right, bottom) of a square around ``box`` (0..1 of the image),
    with MARGIN on each side, moved (and at most shrunk) to stay inside the image."""
    x, y, w, h = box
    side = max(w * width, h * height) * (1 + 2 * MARGIN)
    side = max(1.0, min(side, width, height))
    cx, cy = (x + w / 2) * width, (y + h / 2) * height
    left = min(max(cx - side / 2, 0), width - side)
    top = min(max(cy - side / 2, 0), height - side)
    return round(left), round(top), round(left + side), round(top + side)


def to_qimage(image: Image.Image) -> QImage:
    """A PIL image as a QImage that owns its pixels (safe on any thread)."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


class _Decoded:
    """The last few photos decoded for crops (pool threads share it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._images: OrderedDict[tuple[str, int], Image.Image] = OrderedDict()

    def get(self, path: str, min_side: int) -> Image.Image:
        with self._lock:
            for (p, side), im in reversed(self._images.items()):
                if p == path and side >= min_side:
                    return im
        im = decode(path, min_side=min_side).image
        im.load()
        with self._lock:
            self._images[(path, min_side)] = im
            while len(self._images) > DECODES_KEPT:
                self._images.popitem(last=False)
        return im

    def clear(self) -> None:
        with self._lock:
            self._images.clear()


def cut(face: FaceCard, thumb: Path | None, size: int, decoded: _Decoded) -> QImage:
    """The face's square crop, ``size`` px: from the thumbnail when it has enough pixels,
    else from the photo decoded just large enough. Null when neither can be read."""
    source = None
    if thumb is not None:
        try:
            with Image.open(thumb) as im:
                im.load()
                source = im.convert("RGB")
        except OSError:
            source = None
    if source is not None:
        left, top, right, _ = square_around(face.box, *source.size)
        if right - left < ENOUGH * size:
            ratio = (right - left) / min(source.size)  # the square's share of the short side
            want = min(MAX_DECODE_SIDE, math.ceil(size / max(ratio, 1e-3)))
            if want > min(source.size):
                try:
                    source = decoded.get(face.path, want)
                except (ImageError, OSError):
                    pass  # the thumbnail's crop, blurred, is better than none
    else:
        try:
            source = decoded.get(face.path, 512)
        except (ImageError, OSError):
            return QImage()
    square = source.crop(square_around(face.box, *source.size))
    square = square.resize((size, size), Image.Resampling.LANCZOS)
    return to_qimage(square)


class _Drain(QRunnable):
    def __init__(self, crops: FaceCrops):
        super().__init__()
        self.crops = crops

    def run(self) -> None:
        while (item := self.crops._next()) is not None:
            face, thumb, size = item
            try:
                image = cut(face, thumb, size, self.crops._decoded)
            except Exception:  # a bad file costs its tile, never the pool thread
                image = QImage()
            self.crops._loaded.emit(face.key, size, image)


def _nbytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(pixmap.depth(), 8) // 8


class FaceCrops(QObject):
    """Face crops by :attr:`FaceCard.key`; ``ready(key)`` says a requested one is in."""

    ready = Signal(object)
    _loaded = Signal(object, int, QImage)

    def __init__(
        self,
        thumb_path: Callable[[str], Path],
        budget_mb: int = 32,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.thumb_path = thumb_path
        self.budget = budget_mb << 20
        self._bytes = 0
        self._pixmaps: OrderedDict[tuple, QPixmap] = OrderedDict()
        self._failed: set[tuple] = set()
        self._pending: set[tuple] = set()
        self._queue: deque[tuple[FaceCard, Path | None, int]] = deque()
        self._lock = threading.Lock()
        self._drains = 0
        self._decoded = _Decoded()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._closed = False
        self._loaded.connect(self._on_loaded)

    def pixmap(self, face: FaceCard, size: int) -> QPixmap | None:
        """The crop if it is in memory; otherwise None, and it is cut in the background."""
        key = (*face.key, size)
        pm = self._pixmaps.get(key)
        if pm is not None:
            self._pixmaps.move_to_end(key)
            return pm
        if key in self._pending or key in self._failed or self._closed:
            return None
        try:
            thumb = self.thumb_path(face.hash)
        except ValueError:
            thumb = None
        self._pending.add(key)
        with self._lock:
            self._queue.appendleft((face, thumb, size))
            while len(self._queue) > MAX_QUEUED:  # scrolled past: asked again when in view
                f, _, s = self._queue.pop()
                self._pending.discard((*f.key, s))
            start = self._drains < self._pool.maxThreadCount()
            if start:
                self._drains += 1
        if start:
            self._pool.start(_Drain(self))
        return None

    def _next(self) -> tuple[FaceCard, Path | None, int] | None:
        with self._lock:
            if self._queue and not self._closed:
                return self._queue.popleft()
            self._drains -= 1
            return None

    @Slot(object, int, QImage)
    def _on_loaded(self, face_key: tuple, size: int, image: QImage) -> None:
        key = (*face_key, size)
        self._pending.discard(key)
        if self._closed:
            return
        if image.isNull():
            self._failed.add(key)
            return
        pixmap = QPixmap.fromImage(image)
        self._pixmaps[key] = pixmap
        self._bytes += _nbytes(pixmap)
        while self._bytes > self.budget and len(self._pixmaps) > 1:
            self._bytes -= _nbytes(self._pixmaps.popitem(last=False)[1])
        self.ready.emit(face_key)

    def close(self) -> None:
        """Stop cutting; waits for the pool threads to finish their current crop."""
        self._closed = True
        with self._lock:
            self._queue.clear()
        self._pool.waitForDone()
        self._pixmaps.clear()
        self._decoded.clear()
        self._bytes = 0


@dataclass(frozen=True)
class Tile:
    """One tile of a face list: a face's crop, its caption, and what it stands for."""

    face: FaceCard | None  # the crop shown; None: a blank tile
    text: str
    tooltip: str
    value: Any  # a person id or a face id (Qt.UserRole)
    muted: bool = False  # shown in grey (an unnamed cluster)


class FaceTileModel(QAbstractListModel):
    """Tiles of face crops; each crop is asked for when its tile is painted."""

    def __init__(self, crops: FaceCrops, size: int, tile: QSize, parent: QObject | None = None):
        super().__init__(parent)
        self.crops, self.size, self.tile = crops, size, tile  # the crop, the tile with text
        self.tiles: list[Tile] = []
        self._rows: dict[Hashable, list[int]] = {}
        self._blank = QPixmap(size, size)
        self._blank.fill(QColor("#e0e0e0"))
        crops.ready.connect(self._ready)

    def set_tiles(self, tiles: list[Tile]) -> None:
        self.beginResetModel()
        self.tiles = list(tiles)
        self._rows = {}
        for row, t in enumerate(self.tiles):
            if t.face is not None:
                self._rows.setdefault(t.face.key, []).append(row)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.tiles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or index.row() >= len(self.tiles):
            return None
        t = self.tiles[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return t.text
        if role == Qt.ItemDataRole.DecorationRole:
            pm = self.crops.pixmap(t.face, self.size) if t.face is not None else None
            return pm if pm is not None else self._blank
        if role == Qt.ItemDataRole.ToolTipRole:
            return t.tooltip
        if role == Qt.ItemDataRole.UserRole:
            return t.value
        if role == Qt.ItemDataRole.ForegroundRole and t.muted:
            return QColor("#616161")
        if role == Qt.ItemDataRole.SizeHintRole:  # else the caption wraps at the crop's width
            return self.tile
        return None

    def row_of(self, value: Any) -> int | None:
        return next((i for i, t in enumerate(self.tiles) if t.value == value), None)

    @Slot(object)
    def _ready(self, face_key: tuple) -> None:
        for row in self._rows.get(face_key, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
