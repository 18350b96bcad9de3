"""Decode once: the worker's thumbnail pass (which runs first, so that the grid fills) keeps
what its decode produced in a bounded :class:`DecodedCache`, and the indexer takes it from
there instead of decoding the photo again (``decode_ahead``)."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import numpy as np

from clipdesk.embedding import Embedder
from clipdesk.imaging import DecodedImage, ImageError, ThumbnailCache, decode
from clipdesk.pipeline.face_inputs import FaceInputs
from clipdesk.pipeline.identity import full_hash

DECODED_CACHE_BYTES = 192 * 1024 * 1024  # about 170 reduced 24 MP photos, or 320 model inputs
DECODED_CACHE_ENTRIES = 1024


@dataclass
class _Decoded:
    """One photo decoded ahead of the indexer: the model input when the model was loaded
    (``pixels``, for ``model``), else the reduced image; or why it cannot be decoded."""

    hash: str
    min_side: int
    decoded: DecodedImage | None = None  # ``image`` is dropped once ``pixels`` exist
    pixels: np.ndarray | None = None
    model: str | None = None
    error: str | None = None
    full_hash: str | None = None  # of the bytes decoded (identity.py)

    @property
    def nbytes(self) -> int:
        if self.pixels is not None:
            return self.pixels.nbytes
        if self.decoded is not None and self.decoded.image is not None:
            w, h = self.decoded.image.size
            return w * h * 3
        return 256


class DecodedCache:
    """Photos decoded ahead of the indexer, keyed by photo id and content hash; bounded in
    bytes and entries. When full it refuses new entries rather than evicting: the indexer
    takes photos in the same order (by id) as the thumbnail pass put them, so keeping the
    first ones is what gets used. Entries are removed when taken. Thread-safe."""

    def __init__(
        self, max_bytes: int = DECODED_CACHE_BYTES, max_entries: int = DECODED_CACHE_ENTRIES
    ):
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._items: dict[int, _Decoded] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.refused = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def put(self, photo_id: int, entry: _Decoded) -> bool:
        size = entry.nbytes
        with self._lock:
            old = self._items.pop(photo_id, None)
            if old is not None:
                self._bytes -= old.nbytes
            if len(self._items) >= self.max_entries or self._bytes + size > self.max_bytes:
                self.refused += 1
                return False
            self._items[photo_id] = entry
            self._bytes += size
            return True

    def take(self, photo_id: int, hash_: str) -> _Decoded | None:
        with self._lock:
            entry = self._items.pop(photo_id, None)
            if entry is not None:
                self._bytes -= entry.nbytes
            if entry is None or entry.hash != hash_:
                self.misses += 1
                return None
            self.hits += 1
            return entry

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def decode_ahead(
    row: tuple[int, str, str],
    thumbnails: ThumbnailCache,
    cache: DecodedCache | None,
    embedder: Embedder | None = None,
    face_inputs: FaceInputs | None = None,
) -> bool:
    """The thumbnail pass: one decode makes the thumbnail and, in ``cache``, what the
    indexer needs (the model input when ``embedder`` is loaded, else the reduced image).
    False when the photo cannot be decoded (the indexer records why, from the cache)."""
    photo_id, path, hash_ = row
    side = max(thumbnails.size, embedder.image_size if embedder else 0)
    pixels = scaled = None
    whole = whole_content(path)  # first: the decode then reads the bytes from memory
    try:
        d = decode(path, min_side=side)
        if face_inputs is not None:  # the face step's input: decode once for it too
            face_inputs.put(photo_id, hash_, d.image)
        if embedder is not None:
            with contextlib.suppress(Exception):  # the indexer meets it again, and says why
                pixels, scaled = embedder.preprocess_scaled(d.image)
        thumbnails.save(hash_, d.image, scaled)
    except ImageError as exc:
        if cache is not None:
            cache.put(photo_id, _Decoded(hash_, side, error=str(exc)))
        return False
    except Exception:  # a full disk or a decoder bug: the indexer tries again
        return False
    if cache is not None and (embedder is None or pixels is not None):
        entry = _Decoded(hash_, side, d, full_hash=whole)
        if pixels is not None:
            entry.pixels, entry.model = pixels, embedder.name
            entry.decoded = DecodedImage(None, d.width, d.height, d.orientation, d.taken_at)
        cache.put(photo_id, entry)
    return True


def whole_content(path: str) -> str | None:
    """The file's whole-content hash, taken just before its decode, or None when it cannot
    be read (the decode then says why). Taken before, not after: a file rewritten in between
    leaves the hash of the older bytes, which the next scan sees as a change, never the
    reverse (an embedding of old bytes kept under a new hash)."""
    try:
        return full_hash(path)
    except OSError:
        return None
