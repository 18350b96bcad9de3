"""The background worker: one thread that owns the catalog's writer connection. No Qt.

Jobs run one at a time from a priority queue: user actions first, then scans and
thumbnails (photos appear), then embeddings, then tag re-scoring. A long job (the
indexer, thumbnails) stops at the next batch boundary when something more urgent
arrives, when the user pauses, or on shutdown, and is queued again to resume: every
batch is one transaction, so nothing is ever half-written. Watcher events become
scan jobs, coalesced while they wait. Progress and events go to plain callbacks,
called from the worker thread; the GUI marshals them onto its own thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import Any

from clipdesk.embedding import ModelSpec
from clipdesk.indexer import Indexer
from clipdesk.library import FolderNotFound, Library
from clipdesk.paths import app_paths
from clipdesk.scanner import normalise_folder
from clipdesk.watcher import Changes, FolderWatcher, WatchMode, merge_changes
from clipdesk.worker_jobs import EVENT_KINDS, Job, JobsMixin, Priority, WorkerEvent, WorkerProgress
from clipdesk.worker_state import WorkerAlreadyRunning, WorkerLock, clear_state, write_state

log = logging.getLogger(__name__)

# Jobs that stop at a batch boundary when something more urgent comes, and resume.
_INTERRUPTIBLE = ("thumbnails", "index")


class Worker(JobsMixin):
    """The background service: watching, scanning, thumbnails, indexing and tagging."""

    def __init__(
        self,
        home: str | Path | None = None,
        model: str | ModelSpec | None = None,
        backend: str | None = None,
        int8: bool | None = None,
        on_progress: Callable[[WorkerProgress], None] | None = None,
        on_event: Callable[[WorkerEvent], None] | None = None,
        watch: bool = True,
        poll_interval: float = 30.0,
        debounce: float = 1.0,
    ):
        self._lib_args = (home, model, backend, int8)
        self.paths = app_paths(home)
        self.on_progress = on_progress or (lambda p: None)
        self.on_event = on_event or (lambda e: None)
        self.settle = debounce / 2  # files younger than this may still be being copied
        self.watcher = (
            FolderWatcher(self._on_changes, self._on_mode, poll_interval, debounce)
            if watch
            else None
        )
        self.library: Library | None = None  # the worker thread's; touch only from jobs
        self.jobs_run: Counter[str] = Counter()
        self._cond = threading.Condition()  # guards the queue and the state below
        self._queue: list[Job] = []
        self._seq = itertools.count()
        self._current: Job | None = None
        self._interrupt = threading.Event()  # stops the indexer at a batch boundary
        self._drop = False  # cancel_current: do not resume the interrupted job
        self._paused = self._stopping = False
        self._announced: str | None = None  # the idle/paused state last published
        self._progress = WorkerProgress("idle", 0, 0)
        self._folders: list[tuple[int, str]] = []
        self._counts: dict[int, int] = {}
        self._missing_roots: set[str] = set()
        self._modes: dict[str, dict] = {}  # root -> how it is watched, for `clipdesk status`
        self._state_lock = threading.Lock()
        self._lock = WorkerLock(self.paths.data_dir)
        self._thread: threading.Thread | None = None
        self._indexer: Indexer | None = None

    # -- the public API (any thread) -------------------------------------------------

    def start(self) -> None:
        """Start the thread: reconcile every folder with the disk, then index and tag."""
        self.paths.ensure()
        self._lock.acquire()  # raises WorkerAlreadyRunning
        if self.watcher is not None:
            self.watcher.start()
        self._enqueue(Job("watch", Priority.USER))
        self._enqueue(Job("scan", Priority.THUMBNAILS, then_index=True))
        self._thread = threading.Thread(target=self._run, name="clipdesk-worker", daemon=True)
        self._thread.start()

    def add_folder(self, path: str | Path) -> Future:
        """Add a folder (checked now), watch it and index it; the future gives its id."""
        folder = normalise_folder(path)
        if not folder.is_dir():
            raise FolderNotFound(f"no such folder: {path}")

        def add(lib: Library) -> int:
            folder_id = lib.catalog.add_folder(folder)
            self._sync_watches()
            self._enqueue(
                Job("scan", Priority.THUMBNAILS, changes={folder_id: None}, then_index=True)
            )
            return folder_id

        return self.submit(add)

    def request_index(self, folder_ids: list[int] | None = None) -> None:
        """Rescan these folders (default: all) and embed whatever is pending."""
        changes = None if folder_ids is None else dict.fromkeys(folder_ids)
        self._enqueue(Job("scan", Priority.THUMBNAILS, changes=changes, then_index=True))

    def request_rescore(self, photo_ids: list[int] | None = None) -> None:
        self._enqueue(Job("rescore", Priority.RESCORE, ids=_ids(photo_ids)))

    def request_retrain(self, tag_ids: list[int] | None = None) -> None:
        """Retrain these tags' heads from their corrections, then re-score the library."""
        self._enqueue(Job("retrain", Priority.RESCORE, ids=_ids(tag_ids)))

    def submit(self, fn: Callable[[Library], Any], priority: int = Priority.USER) -> Future:
        """Run ``fn(library)`` in the worker thread (the only one that may write)."""
        future: Future = Future()
        self._enqueue(Job("call", priority, fn=fn, future=future))
        return future

    def pause(self) -> None:
        """Stop background work at the next batch boundary; user jobs still run."""
        with self._cond:
            self._paused = True
            if self._current is not None and self._current.priority > Priority.USER:
                self._interrupt.set()
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._announced = None
            self._cond.notify_all()

    def cancel_current(self) -> None:
        """Drop the background job in flight (at its next batch); what is pending stays
        pending for the next scan or request_index."""
        with self._cond:
            if self._current is not None and self._current.priority > Priority.USER:
                self._drop = True
                self._interrupt.set()

    @property
    def running(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def status(self) -> dict:
        """Folders and how each is watched, queue length, pause state, current phase."""
        modes = self.watcher.modes() if self.watcher else {}
        with self._cond:
            folders = []
            for folder_id, path in self._folders:
                mode = modes.get(folder_id, (path, WatchMode("not watched")))[1]
                folders.append(
                    {
                        "id": folder_id,
                        "path": path,
                        "watched_by": mode.mode,
                        "reason": mode.reason,
                        "photos": self._counts.get(folder_id, 0),
                    }
                )
            return {
                "running": self.running,
                "paused": self._paused,
                "phase": self._progress.phase
                if self._current
                else ("paused" if self._paused and self._queue else "idle"),
                "queue": len(self._queue),
                "progress": asdict(self._progress),
                "folders": folders,
                "jobs_run": dict(self.jobs_run),
                "watch_batches": self.watcher.batches if self.watcher else 0,
            }

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job is queued or running and no watcher event is settling."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                idle = not self._queue and self._current is None
            if idle and not (self.watcher and self.watcher.busy()):
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def stop(self, timeout: float = 30) -> None:
        """Finish the batch in flight, stop watching, end every thread, and wait for them."""
        with self._cond:
            self._stopping = True
            self._interrupt.set()
            self._cond.notify_all()
        if self.watcher is not None:
            self.watcher.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the worker did not stop within %gs", timeout)
                return
        self._lock.release()

    def __enter__(self) -> Worker:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the queue ----------------------------------------------------------------------

    def _enqueue(self, job: Job) -> None:
        with self._cond:
            if self._stopping:
                if job.future is not None:
                    job.future.cancel()
                return
            if not self._merge(job):
                job.seq = next(self._seq)
                self._queue.append(job)
            self._announced = None
            cur = self._current
            if cur is not None and job.priority < cur.priority and cur.kind in _INTERRUPTIBLE:
                self._interrupt.set()  # yield at the next batch boundary, then resume
            self._cond.notify_all()

    def _merge(self, job: Job) -> bool:
        """Fold ``job`` into a queued one of its kind (called with the lock held)."""
        if job.kind in ("call", "watch", "emit"):
            return False
        for queued in self._queue:
            if queued.kind != job.kind or bool(queued.not_before) != bool(job.not_before):
                continue
            if job.kind == "scan":
                if queued.changes is not None:
                    if job.changes is None:
                        queued.changes = None
                    else:
                        merge_changes(queued.changes, job.changes)
                queued.then_index |= job.then_index
                queued.not_before = max(queued.not_before, job.not_before)
            elif job.kind in ("rescore", "retrain") and queued.ids is not None:
                queued.ids = None if job.ids is None else queued.ids | job.ids
            return True
        return False

    def _take(self) -> Job | None:
        while True:
            with self._cond:
                if self._stopping:
                    return None
                now = time.monotonic()
                ready = [
                    j
                    for j in self._queue
                    if j.not_before <= now and (j.priority == Priority.USER or not self._paused)
                ]
                if ready:
                    job = min(ready, key=lambda j: (j.priority, j.seq))
                    self._queue.remove(job)
                    self._current, self._drop = job, False
                    self._interrupt.clear()
                    return job
                later = [j.not_before - now for j in self._queue if j.not_before > now]
                state = "idle" if not self._queue else "paused" if self._paused else None
                if state is None or state == self._announced:
                    self._cond.wait(min(later) if later else None)
                    continue
                self._announced = state
            self._publish(state, 0, 0)  # outside the lock: callbacks may call back in
            if state == "idle":
                self._emit("idle")

    # -- the worker thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            self.library = Library(*self._lib_args)
            _ = self.library.catalog  # the writer connection, opened in this thread
            while (job := self._take()) is not None:
                self._execute(job)
        except Exception as exc:  # opening the library failed: say so, and end
            log.exception("worker failed")
            self._emit("error", message=f"{type(exc).__name__}: {exc}")
        finally:
            with self._cond:
                left, self._queue = self._queue, []
            for job in left:
                if job.future is not None:
                    job.future.cancel()
            if self.watcher is not None:
                self.watcher.stop()
            if self.library is not None:
                self.library.close()
            clear_state(self.paths.data_dir)

    def _execute(self, job: Job) -> None:
        try:
            if job.kind == "call":
                if job.future.set_running_or_notify_cancel():
                    try:
                        job.future.set_result(job.fn(self.library))
                    except BaseException as exc:  # the caller gets it from the future
                        job.future.set_exception(exc)
            elif job.kind == "emit":
                self._emit_event(job.event)
            else:
                getattr(self, f"_job_{job.kind}")(job)
        except Exception as exc:  # one failed job must not end the service
            log.exception("%s job failed", job.kind)
            self._emit("error", message=f"{job.kind}: {type(exc).__name__}: {exc}")
        finally:
            with self._cond:
                self._current = None
                self.jobs_run[job.kind] += 1

    def _resume_later(self, job: Job) -> None:
        """Queue an interrupted job again, unless it was cancelled or we are stopping."""
        if not self._drop and not self._stopping:
            job.not_before = 0.0
            self._enqueue(job)

    def _interrupted(self) -> bool:
        return self._interrupt.is_set()

    def _set_folders(self, folders: list[tuple[int, str]], counts: dict[int, int]) -> None:
        with self._cond:
            self._folders, self._counts = folders, counts

    # -- callbacks ----------------------------------------------------------------------

    def _on_changes(self, changes: Changes) -> None:
        """From the watcher thread: one coalesced scan job per batch."""
        self._enqueue(Job("scan", Priority.THUMBNAILS, changes=changes))

    def _on_mode(self, folder_id: int, root: str, mode: WatchMode) -> None:
        with self._state_lock:  # the worker and watcher threads both report modes
            self._modes[root] = {"mode": mode.mode, "reason": mode.reason}
            try:
                write_state(self.paths.data_dir, dict(self._modes))
            except OSError as exc:
                log.warning("cannot record the watch state: %s", exc)
        text = f"{mode.mode} ({mode.reason})" if mode.reason else mode.mode
        event = WorkerEvent("watch_mode", path=root, message=text)
        self._enqueue(Job("emit", Priority.USER, event=event))

    def _publish(
        self, phase: str, done: int, total: int, rate: float = 0.0, eta: float | None = None
    ) -> None:
        self._progress = WorkerProgress(phase, done, total, rate, eta, self._paused)
        try:
            self.on_progress(self._progress)
        except Exception:
            log.exception("progress callback failed")

    def _emit(
        self, kind: str, photo_ids=(), path: str | None = None, message: str | None = None
    ) -> None:
        self._emit_event(WorkerEvent(kind, tuple(photo_ids), path, message))

    def _emit_event(self, event: WorkerEvent) -> None:
        try:
            self.on_event(event)
        except Exception:
            log.exception("event callback failed")


def _ids(ids: list[int] | None) -> set[int] | None:
    return None if ids is None else set(ids)


__all__ = [
    "EVENT_KINDS",
    "Priority",
    "Worker",
    "WorkerAlreadyRunning",
    "WorkerEvent",
    "WorkerProgress",
]
