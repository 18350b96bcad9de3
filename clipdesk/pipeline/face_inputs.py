"""Decode once, for faces too: the reduced image a photo's decode made for its embedding (the
indexer) or its thumbnail (the worker's thumbnail pass) is kept here, bounded in bytes,
until the face step takes it after the tags. A photo not here (the bound was reached, or
another process embedded it) is decoded again by the face step (``benchmarks/faces.py``,
docs/faces.md: a 24 MP JPEG's reduced decode is about 50 ms, its faces 13 ms plus about
14 ms per face)."""

from __future__ import annotations

import threading

from PIL import Image

FACE_INPUTS_BYTES = 192 * 1024 * 1024  # about 170 reduced 24 MP photos (750x500 RGB)


class FaceInputs:
    """Reduced images by photo id and sampled content hash; refuses new ones when full (the
    face step takes photos in the order they were decoded, so the first ones are what it
    uses). Thread-safe."""

    def __init__(self, max_bytes: int = FACE_INPUTS_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: dict[int, tuple[str, Image.Image, int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def put(self, photo_id: int, hash_: str, image: Image.Image | None) -> bool:
        if image is None:
            return False
        size = image.width * image.height * len(image.getbands())
        with self._lock:
            old = self._items.pop(photo_id, None)
            if old is not None:
                self._bytes -= old[2]
            if self._bytes + size > self.max_bytes:
                return False
            self._items[photo_id] = (hash_, image, size)
            self._bytes += size
            return True

    def take(self, photo_id: int, hash_: str) -> Image.Image | None:
        with self._lock:
            item = self._items.pop(photo_id, None)
            if item is not None:
                self._bytes -= item[2]
            if item is None or item[0] != hash_:
                self.misses += 1
                return None
            self.hits += 1
            return item[1]

    def clear(self) -> None:
        """Drop every image kept (faces were turned off: nothing will take them)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
