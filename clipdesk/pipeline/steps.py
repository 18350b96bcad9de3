"""The indexing pipeline, one step at a time: scan -> thumbnails -> adopt imported vectors
-> embed -> after embedding -> learn, and the fingerprint step for photos whose whole
content was never read.

The terminal runs the steps in a row (:func:`index`, for ``clipdesk add`` and ``index``);
the worker runs each as a job of its own (worker/handlers.py), so that user actions and
thumbnails go between them. Both call these functions, and each step asks the catalog
what is left to do, so a run stopped between steps is finished by the next one.

Embedding holds the index lock (locks.py): the terminal waits for it, the worker looks
again soon. A terminal run holds it from its scan on, so that two runs started together
do not both hash the same new files; the worker's scans do not wait for it, so that
photos appear in the window while a terminal run embeds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum

from clipdesk.catalog import Catalog
from clipdesk.pipeline.decoded import DecodedCache, decode_ahead
from clipdesk.pipeline.faces_step import faces as find_faces
from clipdesk.pipeline.identity import full_hash
from clipdesk.pipeline.indexer import IndexResult, ProgressCallback
from clipdesk.pipeline.library import Library, PipelineResult
from clipdesk.pipeline.locks import IndexLock
from clipdesk.pipeline.places_step import places as find_places
from clipdesk.pipeline.scanner import ScanResult, scan
from clipdesk.pipeline.text_step import read_text
from clipdesk.progress import Cancel, Phase, Progress
from clipdesk.tagging import corrections

THUMB_CHUNK = 32  # thumbnails announced together
SIDECAR_SUFFIX = ".xmp"  # a watcher's event for one: a sidecar to read again
FINGERPRINT_CHUNK = 64  # photos hashed between two short transactions


class Embedded(Enum):
    """How the embed step ended."""

    NOTHING = "nothing"  # no photo needs embedding: the model stays unloaded
    DOWNLOAD = "download"  # the weights must be downloaded first (by the worker's thread)
    BUSY = "busy"  # another process holds the index lock (the worker looks again soon)
    DONE = "done"
    CANCELLED = "cancelled"  # stopped at a photo boundary; what was embedded is kept


def index_lock(lib: Library) -> IndexLock:
    return IndexLock(lib.paths.data_dir)


def scan_folders(
    lib: Library,
    folder_ids: list[int] | None = None,
    paths: set[str] | None = None,
    settle: float = 0.0,
) -> ScanResult:
    """Compare the folders (or only ``paths`` in them) with the catalog; then read again the
    sidecars another program changed (of every photo a full scan sees, or those ``paths``
    name: a watcher's event for a ``.xmp`` file). The photos whose marks or keywords a
    sidecar changed join ``changed_ids`` (not the ``changed`` count: their files did not)."""
    sidecars = {p for p in paths or () if p.lower().endswith(SIDECAR_SUFFIX)}
    photos = None if paths is None else set(paths) - sidecars
    result = scan(lib.catalog, folder_ids, paths=photos, settle=settle)
    if paths is None or sidecars:
        synced = sync_sidecars(lib, folder_ids, sorted(sidecars) if paths is not None else None)
        result.changed_ids += sorted(set(synced) - set(result.changed_ids))
    return result


def sync_sidecars(
    lib: Library, folder_ids: list[int] | None = None, sidecars: list[str] | None = None
) -> set[int]:
    """Read again the sidecars another program changed since ClipDesk last read or wrote
    them (:mod:`clipdesk.sidecars.resync`): those of the photos in these folders (default:
    all), or those at the paths ``sidecars`` (a watcher's events). The photos it changed."""
    from clipdesk.sidecars import resync  # the XMP engine, when needed

    catalog = lib.catalog
    if sidecars is not None:
        photos = resync.photos_of_sidecars(catalog, sidecars)
    else:
        roots = [r for i, r in catalog.folders() if folder_ids is None or i in folder_ids]
        photos = [
            (i, p)
            for i, p in catalog.keywords_read_photos()
            if any(p.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
        ]
    naming = lib.settings.sidecar_naming
    changed = resync.changed_photos(catalog, photos, naming)
    if not changed:
        return set()
    return resync.resync(catalog, changed, naming).changed_ids


def thumbnails(
    lib: Library,
    decoded: DecodedCache,
    on_made: Callable[[list[int], int, int, float], None],
    cancel: Cancel | None = None,
) -> bool:
    """Thumbnails for photos not decoded yet, first, so that a grid fills before embedding
    ends; the same decode leaves the model's input (or the reduced image, before the model
    is loaded) in ``decoded`` for the embed step: one decode per photo. Then thumbnails of
    photos indexed while the cache could not be written. ``on_made(ids, done, total,
    rate)`` after each chunk; False when ``cancel`` was set (call again to go on)."""
    thumbs = lib.thumbnails
    todo = [r for r in lib.catalog.new_photos() if not thumbs.has(r[2])]
    embedder = lib.loaded_embedder  # never loads the model: thumbnails do not wait for it
    start = time.monotonic()
    with ThreadPoolExecutor(
        min(4, os.cpu_count() or 2), thread_name_prefix="clipdesk-thumb"
    ) as pool:
        for i in range(0, len(todo), THUMB_CHUNK):
            if cancel is not None and cancel.is_set():
                return False
            chunk = todo[i : i + THUMB_CHUNK]
            made = pool.map(
                lambda row: decode_ahead(row, thumbs, decoded, embedder, lib.face_inputs), chunk
            )
            ids = [r[0] for r, ok in zip(chunk, made, strict=True) if ok]
            done = i + len(chunk)
            on_made(ids, done, len(todo), done / max(time.monotonic() - start, 1e-9))
    return True


def catch_up_thumbnails(lib: Library, result: IndexResult | None = None) -> list[int]:
    """Thumbnails of photos indexed while the cache could not be written (it may be
    writable again); needs no model. The photos that have one now."""
    from clipdesk.pipeline.indexer import make_missing_thumbnails

    if not lib.catalog.thumbs_missing():
        return []
    return make_missing_thumbnails(lib.catalog, lib.thumbnails, result)


def embed(
    lib: Library,
    result: IndexResult,
    progress: ProgressCallback,
    cancel: Cancel | None = None,
    decoded: DecodedCache | None = None,
    lock: IndexLock | None = None,
) -> Embedded:
    """Adopt imported vectors, then embed every present photo without an embedding; the
    photos go into ``result.adopted_ids`` and ``result.embedded_ids``. ``lock``: one this
    caller holds already; else the step takes it, or says BUSY."""
    result.adopted_ids += lib.adopt_imported()  # from `clipdesk import-embeddings`
    if not lib.needs_embedding():  # the one place that asks
        return Embedded.NOTHING
    if lib.download_elsewhere and lib.needs_download():
        return Embedded.DOWNLOAD
    own = lock is None
    lock = lock or index_lock(lib)
    if not lock.try_acquire():
        return Embedded.BUSY
    try:
        lib.indexer(decoded).embed_pending(progress, cancel, result)
    finally:
        if own:
            lock.release()
    return Embedded.CANCELLED if result.cancelled else Embedded.DONE


def after_embedding(lib: Library, cancel: Cancel | None = None) -> PipelineResult:
    """Keywords from sidecars and photos, then suggestions, for whatever still needs them."""
    return lib.after_embedding(cancel)


@dataclass(frozen=True)
class Learned:
    """What the learn step did: the tags retrained, the photos whose suggestions changed."""

    tag_ids: list[int] = field(default_factory=list)
    photo_ids: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tag_ids)


def learn(lib: Library) -> Learned:
    """Retrain the tags whose corrections changed and re-score the library for them (where
    the model may not load: the tags whose vectors the catalog has)."""
    started = time.time()
    tag_ids = sorted(corrections.pending_learning(lib.catalog))
    if not tag_ids:
        return Learned()
    photo_ids: set[int] = set()
    if lib.has_embeddings():
        tagger = lib.tagger
        if not lib.allow_model:
            tag_ids = [t.id for t in tagger.cached(tagger.store.concepts()) if t.id in tag_ids]
            if not tag_ids:
                return Learned()
        tagger.retrain(tag_ids)
        photo_ids = tagger.rescore(None, tag_ids).photo_ids
    with lib.catalog.transaction():
        corrections.learned(lib.catalog, tag_ids, started)
    return Learned(tag_ids, sorted(photo_ids))


@dataclass
class Fingerprinted:
    """Where the fingerprint step stopped: ``after`` is the last photo id looked at."""

    after: int = 0
    hashed: int = 0
    done: bool = False


def fingerprint(
    catalog: Catalog, state: Fingerprinted | None = None, cancel: Cancel | None = None
) -> Fingerprinted:
    """Hash the whole content of indexed photos that never had it (an older release indexed
    them, or they took an imported vector): only then can a move of theirs be proved (the
    scanner takes a file for a known photo only on its whole-content hash). A chunk at a
    time, each written in one short transaction; ``cancel`` stops it between files and the
    returned state goes on from there. A file that changed since its scan is left for the
    scan (its hash is stored only where size and time still match)."""
    state = state or Fingerprinted()
    while not state.done:
        rows = catalog.unfingerprinted(state.after, FINGERPRINT_CHUNK)
        hashed = []
        for photo_id, path, size, mtime_ns in rows:
            if cancel is not None and cancel.is_set():
                break
            state.after = photo_id
            try:
                hashed.append((photo_id, size, mtime_ns, full_hash(path)))
            except OSError:
                continue  # gone or unreadable: its next scan says so
        if hashed:
            with catalog.transaction():
                catalog.set_full_hashes(hashed)
            state.hashed += len(hashed)
        if cancel is not None and cancel.is_set():
            return state
        state.done = len(rows) < FINGERPRINT_CHUNK
    return state


def index(
    lib: Library,
    folder_ids: list[int] | None = None,
    progress: ProgressCallback | None = None,
    cancel: Cancel | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[IndexResult, PipelineResult]:
    """Every step in a row, as ``clipdesk add`` and ``index`` run them: the index lock is
    waited for (``on_wait`` hears once that another run holds it) and held while scanning
    and embedding. The model loads only when a photo needs embedding (or a tag vector is
    missing for scoring). Stopped by ``cancel`` while waiting: a result marked cancelled."""
    progress = progress or (lambda p: None)
    cancel = cancel or Cancel()
    lock = index_lock(lib)
    if not lock.acquire(on_wait, cancel):
        return IndexResult(ScanResult(), cancelled=True, started=False), PipelineResult()
    try:
        progress(Progress(Phase.SCAN, 0, 0))
        result = IndexResult(scan_folders(lib, folder_ids))
        seen = result.scan.seen
        progress(Progress(Phase.SCAN, seen, seen))  # what the scan found, before the model
        # Thumbnails come with the embedding's decode; a photo with nothing to embed may
        # still lack one that the cache could not take before.
        if embed(lib, result, progress, cancel, lock=lock) is Embedded.NOTHING:
            catch_up_thumbnails(lib, result)
            progress(Progress(Phase.DONE, 0, 0))
    finally:
        lock.release()
    after = after_embedding(lib, cancel)
    if cancel.is_set():  # (Ctrl-C): the next run goes on where this one stopped
        result.cancelled = True
    else:  # tags a model-free command left for a run with the model
        learn(lib)
        after.placed = find_places(lib, cancel).placed  # GPS to place names: no model
        fingerprint(lib.catalog, cancel=cancel)
        after.faces = find_faces(lib, cancel).faces  # after the tags: they never wait
        if not cancel.is_set():  # the words last: the slowest step, on the fewest photos
            after.text = len(read_text(lib, cancel).read)
        if cancel.is_set():
            result.cancelled = True
    return result, after
