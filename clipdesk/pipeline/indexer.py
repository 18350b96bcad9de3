"""The indexing pipeline: scan -> decode -> embed -> store.

Decoding (reduced-size decode, orientation, thumbnail, the model's preprocessing) and
inference overlap, and memory stays flat: on ONNX Runtime's CPU path in lanes (lanes.py:
each core prepares photos and encodes its own batches); elsewhere a thread pool decodes
a bounded number of batches ahead of one encoder. Each batch is committed in one
transaction: a killed run loses at most the batches in flight, and the next run picks up
every photo that has no embedding yet. A bad file is recorded with its reason and
skipped. Progress is reported through a plain callback (no Qt).

Decode once: the indexer takes what the worker's thumbnail pass decoded from its bounded
cache (decoded.py) instead of decoding the photo again.
"""

from __future__ import annotations

import contextlib
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
from clipdesk.embedding.gpu import plan_ingest
from clipdesk.imaging import ImageError, ThumbnailCache, decode, read_jpeg
from clipdesk.pipeline.decoded import DecodedCache, whole_content
from clipdesk.pipeline.face_inputs import FaceInputs
from clipdesk.pipeline.identity import bytes_hash
from clipdesk.pipeline.lanes import run_lanes
from clipdesk.pipeline.scanner import ScanResult, scan
from clipdesk.progress import Phase, Progress


@dataclass
class IndexResult:
    scan: ScanResult
    embedded: int = 0
    embedded_ids: list[int] = field(default_factory=list)
    adopted_ids: list[int] = field(default_factory=list)  # took an imported vector instead
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    started: bool = True  # False: stopped while waiting for another run's index lock
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
    hash: str = ""
    raw: bytes | None = None  # a JPEG's bytes, to decode on the device (GPU plan)
    full_hash: str | None = None  # of the bytes decoded (identity.py)


ProgressCallback = Callable[[Progress], None]

DEVICE_DECODE_CHUNK = 16  # JPEGs per nvJPEG call (full size on the device until reduced)


class Indexer:
    """Brings a catalog's embeddings for one model up to date. One per writer thread."""

    def __init__(
        self,
        catalog: Catalog,
        embedder: Embedder,
        thumbnails: ThumbnailCache | None = None,
        batch_size: int = 8,
        workers: int | None = None,
        lookahead_batches: int = 2,
        decoded: DecodedCache | None = None,
        lanes: int | None = None,
        face_inputs: FaceInputs | None = None,
    ):
        self.catalog = catalog
        self.embedder = embedder
        self.thumbnails = thumbnails
        # Lanes (lanes.py) where the encoder runs one batch per core (ONNX Runtime on the
        # CPU); else a decode pool feeding one encoder (GPUs, torch on the CPU).
        lanes = max(1, lanes or embedder.image_lanes)
        # GPU backends: larger batches, and JPEGs decoded on the device where it works.
        self.plan = plan_ingest(
            embedder.backend,
            max(1, batch_size),
            lambda: embedder.device_images is not None,
            lanes,
        )
        self.device = embedder.device_images if self.plan.decode == "nvjpeg" else None
        self.lanes = 1 if self.device is not None else lanes
        self.batch_size = self.plan.batch_size
        self.workers = workers or min(4, (os.cpu_count() or 2))
        # Batches decoded ahead; on the device plan a batch holds files' bytes (~6 MB each).
        self.lookahead = 1 if self.device is not None else max(1, lookahead_batches)
        self.model_id = catalog.model_id(embedder.name, embedder.dim)
        thumb = thumbnails.size if thumbnails else 0
        self.decode_side = max(embedder.image_size, thumb)
        self.decoded = decoded
        self.face_inputs = face_inputs  # the reduced decode, kept for the face step

    def run(
        self,
        folder_ids: list[int] | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexResult:
        progress = progress or (lambda p: None)
        progress(Progress(Phase.SCAN, 0, 0))
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
        progress(Progress(Phase.DONE, result.embedded, len(pending), failed=len(result.failed)))
        return result

    # -- the pipeline ---------------------------------------------------------

    def _prepare(self, photo_id: int, path: str, hash_: str, on_device: bool = True) -> _Prepared:
        """Runs in a worker thread: everything up to the encoder's input, and the
        whole-content hash of the bytes decoded (identity.py)."""
        thumb_error = None
        try:
            d, pixels, whole = self._take_ahead(photo_id, hash_)
            if d is None and on_device and self.device is not None:
                jpeg = read_jpeg(path)
                if jpeg is not None:  # decoded on the device with its batch
                    h = jpeg[1]
                    return _Prepared(
                        photo_id, path, None, h.width, h.height, h.orientation, h.taken_at,
                        hash=hash_, raw=jpeg[0], full_hash=bytes_hash(jpeg[0]),
                    )  # fmt: skip
            if d is None:
                whole = whole_content(path)  # first: the decode reads the bytes from memory
                d = decode(path, min_side=self.decode_side)
                if self.face_inputs is not None:
                    self.face_inputs.put(photo_id, hash_, d.image)
                pixels, scaled = self.embedder.preprocess_scaled(d.image)
                try:  # saved even when one exists: an edit that kept the sampled hash
                    # (same size, samples unchanged) must not keep the old picture's
                    if self.thumbnails is not None:
                        self.thumbnails.save(hash_, d.image, scaled)
                except OSError as exc:  # a full or read-only cache: the photo is fine
                    thumb_error = f"{self.thumbnails.root}: {exc.strerror or exc}"
            if pixels is None:
                pixels = self.embedder.preprocess(d.image)
        except ImageError as exc:
            return _Prepared(photo_id, path, error=str(exc))
        except Exception as exc:  # a decoder bug must cost one photo, not the run
            return _Prepared(photo_id, path, error=f"unexpected {type(exc).__name__}: {exc}")
        return _Prepared(
            photo_id, path, pixels, d.width, d.height, d.orientation, d.taken_at, None,
            thumb_error, full_hash=whole,
        )  # fmt: skip

    def make_missing_thumbnails(self, result: IndexResult | None = None) -> list[int]:
        return make_missing_thumbnails(self.catalog, self.thumbnails, result)

    def _take_ahead(self, photo_id: int, hash_: str):
        """(decoded, pixels, whole-content hash) from the thumbnail pass's decode, or Nones
        to decode.
        Used only when decoded at this indexer's size, so the result equals a new decode."""
        ahead = self.decoded.take(photo_id, hash_) if self.decoded is not None else None
        if ahead is None or ahead.min_side != self.decode_side:
            return None, None, None
        if ahead.error is not None:
            raise ImageError(ahead.error)
        if ahead.pixels is not None and ahead.model == self.embedder.name:
            return ahead.decoded, ahead.pixels, ahead.full_hash
        if ahead.decoded is None or ahead.decoded.image is None:
            return None, None, None
        return ahead.decoded, None, ahead.full_hash

    def _embed(self, pending, result: IndexResult, progress: ProgressCallback, cancel) -> None:
        if not pending:
            return
        if self.lanes > 1:
            self._embed_in_lanes(pending, result, progress, cancel)
        else:
            self._embed_pooled(pending, result, progress, cancel)

    def _embed_in_lanes(self, pending, result: IndexResult, progress: ProgressCallback, cancel):
        total, done, start = len(pending), 0, time.monotonic()
        finished = run_lanes(
            pending,
            lambda row: self._prepare(*row),
            lambda p: not p.error,
            self._encode_host,
            self.lanes,
            self.batch_size,
            cancel,
        )
        with contextlib.closing(finished):  # a failure here stops the lanes at once
            for d in finished:
                done += self._store(d.batch, d.failed, result, d.encoded)
                elapsed = time.monotonic() - start
                rate = done / elapsed if elapsed > 0 else 0.0
                eta = (total - done) / rate if rate > 0 else None
                progress(Progress(Phase.EMBED, done, total, rate, eta, len(result.failed)))
        result.cancelled = cancel.is_set() and done < total

    def _embed_pooled(self, pending, result: IndexResult, progress: ProgressCallback, cancel):
        total = len(pending)
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
                    progress(Progress(Phase.EMBED, done, total, rate, eta, len(result.failed)))
            if batch or failed:  # cancelled: keep what is already decoded
                self._store(batch, failed, result)
        result.cancelled = cancel.is_set() and done < total

    def _store(
        self, batch: list[_Prepared], failed: list[_Prepared], result: IndexResult, vectors=None
    ) -> int:
        """Encode ``batch`` (unless its ``vectors`` are given) and store it, and ``failed``,
        in one transaction. How many photos that was."""
        if vectors is None and any(p.raw is not None for p in batch):
            batch, vectors = self._encode_on_device(batch, failed)
        elif vectors is None and batch:
            vectors = self._encode_host(batch)
        with self.catalog.transaction():
            for i, p in enumerate(batch):
                self.catalog.set_decoded(
                    p.photo_id, p.width, p.height, p.orientation, p.taken_at, p.full_hash
                )
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

    def _encode_host(self, batch: list[_Prepared]) -> np.ndarray:
        """Vectors of photos prepared on the CPU (their model inputs, in order)."""
        return self.embedder.encode_images(np.stack([p.pixels for p in batch]))

    def _encode_on_device(self, batch: list[_Prepared], failed: list[_Prepared]):
        """The GPU plan: decode the batch's JPEG bytes on the device in one call, save their
        thumbnails, and encode them with the CPU-decoded rest. A JPEG the device cannot
        decode goes through the CPU decode. Returns (batch in vector order, vectors)."""
        # GPU-ONLY on CUDA (nvJPEG); the tests run this same code on torch's CPU device.
        raws = [p for p in batch if p.raw is not None]
        host = [p for p in batch if p.raw is None]
        on_device, pixels = [], []
        for p, image in self._device_decoded(raws):
            if image is None:  # not decodable there (progressive, CMYK...): the CPU decode
                q = self._prepare(p.photo_id, p.path, p.hash, on_device=False)
                (failed if q.error else host).append(q)
                continue
            try:
                x, thumb = self.device.prepare(image, p.orientation)
                if self.thumbnails is not None and not self.thumbnails.has(p.hash):
                    self.thumbnails.save(p.hash, thumb)
            except Exception as exc:
                p.error = f"unexpected {type(exc).__name__}: {exc}"
                failed.append(p)
                continue
            on_device.append(p)
            pixels.append(x)
        if not on_device and not host:
            return [], None
        cpu = np.stack([p.pixels for p in host]) if host else None
        vectors = self.embedder.encode_device_batch(self.device.batch(pixels, cpu))
        return on_device + host, vectors

    def _device_decoded(self, raws: list[_Prepared]):
        """(photo, full-size decoded tensor or None), DEVICE_DECODE_CHUNK files per call:
        a 24 MP photo is 72 MB decoded, so a whole batch of 128 at once would not fit."""
        for i in range(0, len(raws), DEVICE_DECODE_CHUNK):
            chunk = raws[i : i + DEVICE_DECODE_CHUNK]
            images = self.device.decode([p.raw for p in chunk])
            for p in chunk:
                p.raw = None  # the bytes are not needed any more
            yield from zip(chunk, images, strict=True)
            del images


def make_missing_thumbnails(
    catalog: Catalog, thumbnails: ThumbnailCache | None, result: IndexResult | None = None
) -> list[int]:
    """Thumbnails of photos indexed while the cache could not be written, now that it may
    be writable again; stops at the first failure (still not writable). The photos done.
    Needs no model: a run with nothing to embed catches up too."""
    if thumbnails is None:
        return []
    made = []
    for photo_id, path, hash_ in catalog.thumbs_missing():
        try:
            if not thumbnails.has(hash_):
                thumbnails.save(hash_, decode(path, min_side=thumbnails.size).image)
        except ImageError:
            pass  # the photo changed or went bad; its next scan says so
        except OSError as exc:
            if result is not None:
                result.thumbnail_error = f"{thumbnails.root}: {exc.strerror or exc}"
            break
        made.append(photo_id)
    if made:
        with catalog.transaction():
            catalog.set_thumb_missing(made, missing=False)
    return made
