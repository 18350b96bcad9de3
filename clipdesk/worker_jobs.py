"""What the worker's jobs do, and the types the worker publishes. No Qt.

The queue, the thread and the public API are in ``clipdesk.worker``; the bodies of
the jobs (scan, thumbnails, index, rescore, retrain, watch) are here, as a mixin of
``Worker``, so that each module stays readable on its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from clipdesk.imaging import decode
from clipdesk.indexer import Indexer, IndexResult, Progress
from clipdesk.scanner import ScanResult, scan
from clipdesk.watcher import Changes

if TYPE_CHECKING:
    from clipdesk.library import Library
    from clipdesk.watcher import FolderWatcher


class Priority(IntEnum):
    USER = 0
    THUMBNAILS = 1  # scans and thumbnails: what makes photos appear
    EMBED = 2
    RESCORE = 3


EVENT_KINDS = (
    "photo_added",
    "photo_changed",
    "photo_moved",
    "photo_missing",
    "photo_restored",
    "thumbnails_ready",
    "photo_indexed",
    "photo_failed",
    "tags_changed",
    "folder_missing",
    "folder_restored",
    "watch_mode",
    "idle",
    "error",
)


@dataclass(frozen=True)
class WorkerProgress:
    phase: str  # "scan", "thumbnails", "embed", "tagging", "idle" or "paused"
    done: int
    total: int
    rate: float = 0.0  # items per second
    eta: float | None = None  # seconds left, once a rate is known
    paused: bool = False


@dataclass(frozen=True)
class WorkerEvent:
    kind: str  # one of EVENT_KINDS
    photo_ids: tuple[int, ...] = ()  # for tags_changed, none means every photo
    path: str | None = None
    message: str | None = None


@dataclass(eq=False)
class Job:
    kind: str  # call, emit, watch, scan, thumbnails, index, rescore, retrain
    priority: int
    seq: int = 0
    fn: Callable[[Library], Any] | None = None
    future: Future | None = None
    changes: Changes | None = None  # scan: what to look at; None: every folder
    then_index: bool = False  # scan: embed what is pending even if nothing changed
    ids: set[int] | None = None  # rescore: photo ids; retrain: tag ids; None: all
    event: WorkerEvent | None = None
    not_before: float = 0.0  # monotonic time before which it must not start


THUMB_CHUNK = 32


class JobsMixin:
    """The job bodies; they run in the worker thread, the only one using ``library``."""

    library: Library
    watcher: FolderWatcher | None
    settle: float
    _indexer: Indexer | None
    _interrupt: threading.Event
    _missing_roots: set[str]

    # provided by Worker
    def _enqueue(self, job: Job) -> None: ...
    def _resume_later(self, job: Job) -> None: ...
    def _interrupted(self) -> bool: ...
    def _emit(
        self, kind: str, photo_ids=(), path: str | None = None, message: str | None = None
    ) -> None: ...
    def _publish(
        self, phase: str, done: int, total: int, rate: float = 0.0, eta: float | None = None
    ) -> None: ...
    def _set_folders(self, folders: list[tuple[int, str]], counts: dict[int, int]) -> None: ...

    def _job_watch(self, job: Job) -> None:
        self._sync_watches()

    def _sync_watches(self) -> None:
        """Watch exactly the catalog's folders (adding one may have merged others into it)."""
        folders = self.library.catalog.folders()
        self._refresh_folders(folders)
        if self.watcher is None:
            return
        known = dict(folders)
        for folder_id in set(self.watcher.modes()) - set(known):
            self.watcher.unwatch(folder_id)
        for folder_id, root in folders:
            self.watcher.watch(folder_id, root)

    def _refresh_folders(self, folders: list[tuple[int, str]] | None = None) -> None:
        cat = self.library.catalog
        counts = dict(cat.conn.execute("SELECT folder_id, COUNT(*) FROM photos GROUP BY 1"))
        self._set_folders(folders if folders is not None else cat.folders(), counts)

    def _job_scan(self, job: Job) -> None:
        cat = self.library.catalog
        folders = dict(cat.folders())
        self._publish("scan", 0, 0)
        if job.changes is None:
            ids, result = list(folders), scan(cat, None, settle=self.settle)
        else:
            ids = [i for i in job.changes if i in folders]
            paths: set[str] = set()
            for folder_id in ids:
                paths |= job.changes[folder_id] or {folders[folder_id]}
            result = scan(cat, ids, paths=paths, settle=self.settle)
        self._report_scan(result, [folders[i] for i in ids])
        if result.deferred:  # still being copied: look again once it may have settled
            later = {}
            for path in result.deferred:
                for folder_id, root in folders.items():
                    if path.startswith(root.rstrip(os.sep) + os.sep):
                        later.setdefault(folder_id, set()).add(path)
            self._enqueue(
                Job(
                    "scan",
                    job.priority,
                    changes=later,
                    not_before=time.monotonic() + max(self.settle, 0.1),
                )
            )
        if result.added or result.changed or result.restored:
            self._enqueue(Job("thumbnails", Priority.THUMBNAILS))
        if job.then_index or result.added or result.changed or result.restored or result.moved:
            self._enqueue(Job("index", Priority.EMBED))
        self._refresh_folders()

    def _report_scan(self, result: ScanResult, roots: list[str]) -> None:
        for kind, ids in (
            ("photo_added", result.added_ids),
            ("photo_changed", result.changed_ids),
            ("photo_moved", result.moved_ids),
            ("photo_missing", result.missing_ids),
            ("photo_restored", result.restored_ids),
        ):
            if ids:
                self._emit(kind, ids)
        gone = set(result.missing_folders)
        missing = self._missing_roots
        for root in roots:
            if root in gone and root not in missing:
                missing.add(root)
                self._emit("folder_missing", path=root)
            elif root not in gone and root in missing:
                missing.discard(root)
                self._emit("folder_restored", path=root)

    def _job_thumbnails(self, job: Job) -> None:
        """Thumbnails for new photos first, so that a grid fills before embedding ends."""
        thumbs = self.library.thumbnails
        rows = self.library.catalog.conn.execute(
            "SELECT id, path, hash FROM photos WHERE status = 'new' ORDER BY id"
        ).fetchall()
        todo = [r for r in rows if not thumbs.has(r[2])]

        def make(row: tuple[int, str, str]) -> bool:
            try:
                thumbs.save(row[2], decode(row[1], min_side=thumbs.size).image)
            except Exception:  # the indexer records why a photo cannot be read
                return False
            return True

        start = time.monotonic()
        with ThreadPoolExecutor(
            min(4, os.cpu_count() or 2), thread_name_prefix="clipdesk-thumb"
        ) as pool:
            for i in range(0, len(todo), THUMB_CHUNK):
                if self._interrupted():
                    self._resume_later(job)
                    return
                chunk = todo[i : i + THUMB_CHUNK]
                made = [r[0] for r, ok in zip(chunk, pool.map(make, chunk), strict=True) if ok]
                if made:
                    self._emit("thumbnails_ready", made)
                done = i + len(chunk)
                rate = done / max(time.monotonic() - start, 1e-9)
                self._publish("thumbnails", done, len(todo), rate, (len(todo) - done) / rate)

    def _job_index(self, job: Job) -> None:
        lib = self.library
        if self._indexer is None or self._indexer.catalog is not lib.catalog:
            self._indexer = Indexer(
                lib.catalog, lib.embedder, lib.thumbnails, batch_size=lib.settings.batch_size
            )
        result = IndexResult(ScanResult())
        sent = [0, 0]  # embedded ids and failures already announced

        def announce() -> None:
            new = result.embedded_ids[sent[0] :]
            if new:
                self._emit("photo_indexed", new)
            for path, reason in result.failed[sent[1] :]:
                row = lib.catalog.photo_by_path(path)
                self._emit("photo_failed", (row.id,) if row else (), path, reason)
            sent[:] = [len(result.embedded_ids), len(result.failed)]

        def progress(p: Progress) -> None:
            announce()
            if p.phase == "embed":
                self._publish("embed", p.done, p.total, p.rate, p.eta)

        # The interrupt event is the indexer's cancel: it stops at the next photo and
        # commits what is decoded, so pausing or yielding never leaves half a batch.
        self._indexer.embed_pending(progress, self._interrupt, result)
        announce()
        if result.embedded_ids:
            self._enqueue(Job("rescore", Priority.RESCORE, ids=set(result.embedded_ids)))
        if result.cancelled:
            self._resume_later(job)

    def _job_rescore(self, job: Job) -> None:
        self._publish("tagging", 0, len(job.ids) if job.ids is not None else 0)
        self.library.autotag(sorted(job.ids) if job.ids is not None else None)
        self._emit("tags_changed", sorted(job.ids) if job.ids is not None else ())

    def _job_retrain(self, job: Job) -> None:
        self._publish("tagging", 0, 0)
        tagger = self.library.tagger
        tag_ids = sorted(job.ids) if job.ids is not None else None
        tagger.retrain(tag_ids)
        tagger.rescore(None, tag_ids)
        self._emit("tags_changed")
