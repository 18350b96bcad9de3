"""The indexing pipeline: scan -> decode -> embed -> store.

Decoding (reduced-size decode, orientation, thumbnail, the model's preprocessing)
runs in a thread pool a bounded number of batches ahead of the encoder, so that
decoding and inference overlap and memory stays flat. Each batch is committed in
one transaction: a killed run loses at most the batch in flight, and the next run
picks up every photo that has no embedding yet. A bad file is recorded with its
reason and skipped. Progress is reported through a plain callback (no Qt).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.imaging import ImageError, ThumbnailCache, decode
from clipdesk.scanner import ScanResult, scan


@dataclass(frozen=True)
class Progress:
    phase: str  # "scan", "embed" or "done"
    done: int
    total: int
    failed: int = 0
    rate: float = 0.0  # photos per second in this phase
    eta: float | None = None  # seconds left, once a rate is known


@dataclass
class IndexResult:
    scan: ScanResult
    embedded: int = 0
    embedded_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    # Why thumbnails could not be saved (the cache, not the photos): None when they could.
    thumbnail_error: str | None = None


@dataclass
class _Prepared:
    photo_id: int
    path: str
    pixels: np.ndarray | None = None
    width: int = 0
    height: int = 0
    orientation: int = 1
    taken_at: str | None = None
    error: str | None = None
    thumb_error: str | None = None  # the thumbnail cache failed: not the photo's fault


ProgressCallback = Callable[[Progress], None]


class Indexer:
    """Brings a catalog's embeddings for one model up to date. One per writer thread."""

    def __init__(
        self,
        catalog: Catalog,
        embedder: Embedder,
        thumbnails: ThumbnailCache | None = None,
        batch_size: int = 16,
        workers: int | None = None,
        lookahead_batches: int = 2,
    ):
        self.catalog = catalog
        self.embedder = embedder
        self.thumbnails = thumbnails
        self.batch_size = max(1, batch_size)
        self.workers = workers or min(4, (os.cpu_count() or 2))
        self.lookahead = max(1, lookahead_batches)
        self.model_id = catalog.model_id(embedder.name, embedder.dim)
        thumb = thumbnails.size if thumbnails else 0
        self.decode_side = max(embedder.image_size, thumb)

    def run(
        self,
        folder_ids: list[int] | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexResult:
        progress = progress or (lambda p: None)
        progress(Progress("scan", 0, 0))
        return self.embed_pending(progress, cancel, IndexResult(scan(self.catalog, folder_ids)))

    def embed_pending(
        self,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        result: IndexResult | None = None,
    ) -> IndexResult:
        """Embed every present photo that has no embedding yet (no scan); ``cancel`` stops
        the run at the next photo, keeping what is decoded (the worker scans on its own)."""
        progress = progress or (lambda p: None)
        cancel = cancel or threading.Event()
        result = result or IndexResult(ScanResult())
        pending = self.catalog.pending(self.model_id)
        self._embed(pending, result, progress, cancel)
        self.make_missing_thumbnails(result)
        progress(Progress("done", result.embedded, len(pending), len(result.failed)))
        return result

    # -- the pipeline ---------------------------------------------------------

    def _prepare(self, photo_id: int, path: str, hash_: str) -> _Prepared:
        """Runs in a worker thread: everything up to the encoder's input."""
        thumb_error = None
        try:
            d = decode(path, min_side=self.decode_side)
            try:
                if self.thumbnails is not None and not self.thumbnails.has(hash_):
                    self.thumbnails.save(hash_, d.image)
            except OSError as exc:  # a full or read-only cache: the photo is fine
                thumb_error = f"{self.thumbnails.root}: {exc.strerror or exc}"
            pixels = self.embedder.preprocess(d.image)
        except ImageError as exc:
            return _Prepared(photo_id, path, error=str(exc))
        except Exception as exc:  # a decoder bug must cost one photo, not the run
            return _Prepared(photo_id, path, error=f"unexpected {type(exc).__name__}: {exc}")
        return _Prepared(
            photo_id, path, pixels, d.width, d.height, d.orientation, d.taken_at, None, thumb_error
        )

    def make_missing_thumbnails(self, result: IndexResult | None = None) -> int:
        """Thumbnails of photos indexed while the cache could not be written, now that it may
        be writable again; stops at the first failure (still not writable). How many made."""
        if self.thumbnails is None:
            return 0
        made = []
        for photo_id, path, hash_ in self.catalog.thumbs_missing():
            try:
                if not self.thumbnails.has(hash_):
                    self.thumbnails.save(hash_, decode(path, min_side=self.thumbnails.size).image)
            except ImageError:
                pass  # the photo changed or went bad; its next scan says so
            except OSError as exc:
                if result is not None:
                    result.thumbnail_error = f"{self.thumbnails.root}: {exc.strerror or exc}"
                break
            made.append(photo_id)
        if made:
            with self.catalog.transaction():
                self.catalog.set_thumb_missing(made, missing=False)
        return len(made)

    def _embed(self, pending, result: IndexResult, progress: ProgressCallback, cancel) -> None:
        total = len(pending)
        if not total:
            return
        todo = iter(pending)
        window: deque[Future[_Prepared]] = deque()
        limit = self.batch_size * (self.lookahead + 1)
        batch: list[_Prepared] = []
        failed: list[_Prepared] = []
        start = time.monotonic()
        done = 0
        with ThreadPoolExecutor(self.workers, thread_name_prefix="clipdesk-decode") as pool:

            def fill() -> None:
                while len(window) < limit and not cancel.is_set():
                    item = next(todo, None)
                    if item is None:
                        return
                    window.append(pool.submit(self._prepare, *item))

            fill()
            while window:
                if cancel.is_set():
                    for f in window:
                        f.cancel()
                    break
                prepared = window.popleft().result()
                fill()
                (failed if prepared.error else batch).append(prepared)
                if len(batch) >= self.batch_size or not window:
                    done += self._store(batch, failed, result)
                    batch, failed = [], []
                    elapsed = time.monotonic() - start
                    rate = done / elapsed if elapsed > 0 else 0.0
                    eta = (total - done) / rate if rate > 0 else None
                    progress(Progress("embed", done, total, len(result.failed), rate, eta))
            if batch or failed:  # cancelled: keep what is already decoded
                self._store(batch, failed, result)
        result.cancelled = cancel.is_set() and done < total

    def _store(self, batch: list[_Prepared], failed: list[_Prepared], result: IndexResult) -> int:
        vectors = (
            self.embedder.encode_images(np.stack([p.pixels for p in batch])) if batch else None
        )
        with self.catalog.transaction():
            for i, p in enumerate(batch):
                self.catalog.set_decoded(p.photo_id, p.width, p.height, p.orientation, p.taken_at)
                self.catalog.put_embedding(p.photo_id, self.model_id, vectors[i])
            for p in failed:
                self.catalog.mark_failed(p.photo_id, p.error or "unknown error")
            no_thumb = [p for p in batch if p.thumb_error]
            self.catalog.set_thumb_missing(p.photo_id for p in no_thumb)
        if no_thumb:
            result.thumbnail_error = no_thumb[0].thumb_error
        result.embedded += len(batch)
        result.embedded_ids.extend(p.photo_id for p in batch)
        result.failed.extend((p.path, p.error or "") for p in failed)
        return len(batch) + len(failed)
