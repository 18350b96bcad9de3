"""The background worker: one thread that owns the catalog's writer connection. No Qt.

Jobs run one at a time from a priority queue: user actions first, then scans and
thumbnails (photos appear), then embeddings, then tagging and learning. A long job (the
indexer, thumbnails) stops at the next batch boundary when something more urgent
arrives, when the user pauses, or on shutdown, and is queued again to resume: every
batch is one transaction, so nothing is ever half-written. Watcher events become
scan jobs, coalesced while they wait. Progress and events go to plain callbacks,
called from the worker thread; the GUI marshals them onto its own thread.

When to learn from corrections is ops.learning's rule; the worker schedules by it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import Any

from clipdesk.catalog import faults as catalog_faults
from clipdesk.embedding import ModelSpec, ModelUnavailable
from clipdesk.embedding.choice import EngineChoice
from clipdesk.home import app_paths
from clipdesk.ops import folders as folder_ops
from clipdesk.ops import forgetting, learning
from clipdesk.ops.changes import Change, OpChanges
from clipdesk.ops.forgetting import ForgetPlan, Forgotten
from clipdesk.ops.status import FolderStatus
from clipdesk.pipeline.decoded import DecodedCache
from clipdesk.pipeline.indexer import Indexer
from clipdesk.pipeline.library import Library
from clipdesk.pipeline.watcher import Changes, FolderWatcher, WatchMode
from clipdesk.worker.download import WeightsDownload
from clipdesk.worker.events import EventKind, Phase, Priority, WorkerEvent, WorkerProgress
from clipdesk.worker.handlers import HANDLERS
from clipdesk.worker.jobs import CallJob, EmitJob, Job, LearnJob, ScanJob, WatchJob
from clipdesk.worker.queue import JobQueue
from clipdesk.worker.state import WorkerLock, clear_state, write_state

log = logging.getLogger(__name__)

LEARN_POLL = 2.0  # while idle, how often to look for corrections made by other processes
BACKGROUND_NICE = 5  # how much lower the worker's threads run than the window's


def background_priority() -> None:
    """Lower the CPU priority of this thread and of the threads it starts from now on
    (decode pools, ONNX Runtime's), so that on a busy machine the window's thread gets a
    core first. Linux only: there a thread has its own nice value; elsewhere the id would
    name a process."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICE)
        )
    except OSError as exc:
        log.info("cannot lower the worker's priority: %s", exc)


class Worker:
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
        engine: EngineChoice | None = None,
        learn_delay: float = learning.LEARN_DELAY,
    ):
        self._lib_args = {"home": home, "model": model, "backend": backend, "int8": int8}
        self._engine = engine
        self.paths = app_paths(home)
        self.on_progress = on_progress or (lambda p: None)
        self.on_event = on_event or (lambda e: None)
        self.settle = debounce / 2  # files younger than this may still be being copied
        self.learn_delay = learn_delay
        self.watcher = (
            FolderWatcher(self._on_changes, self._on_mode, poll_interval, debounce)
            if watch
            else None
        )
        self.library: Library | None = None  # the worker thread's; touch only from jobs
        self.jobs_run: Counter[str] = Counter()
        self.missing_roots: set[str] = set()
        self.interrupt_event = threading.Event()  # stops the indexer at a batch boundary
        self._cond = threading.Condition()  # guards the queue and the state below
        self._queue = JobQueue()
        self._current: Job | None = None
        self._drop = False  # cancel_current: do not resume the interrupted job
        self._paused = self._stopping = False
        self._announced: Phase | None = None  # the idle/paused state last published
        self._progress = WorkerProgress(Phase.IDLE, 0, 0)
        self._folders: list[tuple[int, str]] = []
        self._counts: dict[int, int] = {}
        self._modes: dict[str, dict] = {}  # root -> how it is watched, for `clipdesk status`
        self._state_lock = threading.Lock()
        self._lock = WorkerLock(self.paths.data_dir)
        self._thread: threading.Thread | None = None
        self._indexer: Indexer | None = None
        self.decoded = DecodedCache()  # thumbnail pass -> index job: one decode per photo
        self.download = WeightsDownload(self)  # the model's weights, in a thread of their own
        self.backend_noted = False  # the window was told why the model runs where it does

    # -- the public API (any thread) -------------------------------------------------

    def start(self) -> None:
        """Start the thread: reconcile every folder with the disk, then index and tag."""
        self.paths.ensure()
        self._lock.acquire()  # raises WorkerAlreadyRunning
        if self.watcher is not None:
            self.watcher.start()
        self.enqueue(WatchJob(Priority.USER))
        self.enqueue(ScanJob(Priority.THUMBNAILS, then_index=True))
        self._thread = threading.Thread(target=self._run, name="clipdesk-worker", daemon=True)
        self._thread.start()

    def add_folder(self, path: str | Path) -> Future:
        """Add a folder (checked now), watch it and index it; the future gives its id."""
        folder = folder_ops.check_folder(path)

        def add(lib: Library) -> int:
            (folder_id,) = folder_ops.add_folders(lib, [folder])
            self.sync_watches()
            self.enqueue(ScanJob(Priority.THUMBNAILS, changes={folder_id: None}, then_index=True))
            return folder_id

        return self.submit(add)

    def remove_folder(self, folder_id: int) -> Future:
        """Forget a folder's photos and stop watching it, in one step."""

        def remove(lib: Library) -> None:
            folder_ops.remove_folder(lib, folder_id)
            self.sync_watches()

        return self.submit(remove)

    def forget(self, plan: ForgetPlan) -> Future:
        """Forget missing photos (a plan from ``ops.forgetting.plan_missing``), and stop
        watching the folders not found that went with them; the future gives what went."""

        def forget(lib: Library) -> Forgotten:
            done = forgetting.forget(lib, plan)
            self.sync_watches()  # the folders, their counts and watches, as they are now
            return done

        return self.submit(forget)

    def request_index(self, folder_ids: list[int] | None = None) -> None:
        """Rescan these folders (default: all) and embed whatever is pending."""
        changes = None if folder_ids is None else dict.fromkeys(folder_ids)
        self.enqueue(ScanJob(Priority.THUMBNAILS, changes=changes, then_index=True))

    def submit(self, fn: Callable[[Library], Any], priority: int = Priority.USER) -> Future:
        """Run ``fn(library)`` in the worker thread (the only one that may write)."""
        job = CallJob(Priority(priority), fn=fn)
        self.enqueue(job)
        return job.future

    def pause(self) -> None:
        """Stop background work at the next batch boundary; user jobs still run."""
        with self._cond:
            self._paused = True
            if self._current is not None and self._current.priority > Priority.USER:
                self.interrupt_event.set()
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._announced = None
            self._cond.notify_all()

    def cancel_current(self) -> None:
        """Drop the background run in flight (at its next batch), or the one waiting to
        resume while a user job runs; what is pending stays pending for the next scan or
        request_index."""
        with self._cond:
            if self._current is not None and self._current.priority > Priority.USER:
                self._drop = True
                self.interrupt_event.set()
            else:
                self._queue.drop_interruptible()

    def cancel_download(self) -> None:
        """Stop the model download; its partial file is kept, and a restart resumes it."""
        self.download.cancel.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

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
                status = FolderStatus.of(
                    folder_id, path, self._counts.get(folder_id, 0), mode.mode, mode.reason
                )
                folders.append(asdict(status))
            if self._current:
                phase = self._progress.phase
            else:
                phase = Phase.PAUSED if self._paused and len(self._queue) else Phase.IDLE
            return {
                "running": self.running,
                "paused": self._paused,
                "phase": phase,
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
                idle = not len(self._queue) and self._current is None
            if idle and not (self.watcher and self.watcher.busy()):
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def stop(self, timeout: float = 30) -> None:
        """Finish the batch in flight, stop watching, end every thread, and wait for them."""
        with self._cond:
            self._stopping = True
            self.interrupt_event.set()
            self._cond.notify_all()
        self.download.cancel.set()
        if self.watcher is not None:
            self.watcher.stop(timeout)
        for thread in (self._thread, self.download.thread):
            if thread is not None:
                thread.join(timeout)
                if thread.is_alive():
                    log.warning("the worker's %s did not stop within %gs", thread.name, timeout)
                    return
        self._lock.release()

    def __enter__(self) -> Worker:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- for the job handlers (worker thread) ------------------------------------------

    def enqueue(self, job: Job) -> None:
        with self._cond:
            if self._stopping:
                if isinstance(job, CallJob):
                    job.future.cancel()
                return
            self._queue.put(job)
            self._announced = None
            cur = self._current
            if cur is not None and job.priority < cur.priority and cur.interruptible:
                self.interrupt_event.set()  # yield at the next batch boundary, then resume
            self._cond.notify_all()

    def resume_later(self, job: Job) -> None:
        """Queue an interrupted job again, unless it was cancelled or we are stopping."""
        if not self._drop and not self._stopping:
            job.not_before = 0.0
            self.enqueue(job)

    def interrupted(self) -> bool:
        return self.interrupt_event.is_set()

    def indexer(self) -> Indexer:
        lib = self.library
        if self._indexer is None or self._indexer.catalog is not lib.catalog:
            self._indexer = lib.indexer(decoded=self.decoded)
        return self._indexer

    def start_download(self) -> None:
        """Download the model's weights in their own thread; index when they are in."""
        self.download.start()

    def schedule_learning(self) -> None:
        """Retrain the tags in the learning queue, a little after their last correction."""
        wait = learning.due_in(self.library, self.learn_delay)
        if wait is not None:
            self.enqueue(LearnJob(Priority.TAGGING, not_before=time.monotonic() + wait))

    def sync_watches(self) -> None:
        """Watch exactly the catalog's folders (adding one may have merged others into it)."""
        folders = self.library.catalog.folders()
        self.refresh_folders(folders)
        if self.watcher is None:
            return
        known = dict(folders)
        for folder_id in set(self.watcher.modes()) - set(known):
            self.watcher.unwatch(folder_id)
        for folder_id, root in folders:
            self.watcher.watch(folder_id, root)

    def refresh_folders(self, folders: list[tuple[int, str]] | None = None) -> None:
        cat = self.library.catalog
        folders = folders if folders is not None else cat.folders()
        counts = cat.folder_counts()
        with self._cond:
            self._folders, self._counts = folders, counts

    def publish(
        self, phase: Phase, done: int, total: int, rate: float = 0.0, eta: float | None = None
    ) -> None:
        self._progress = WorkerProgress(phase, done, total, rate, eta, paused=self._paused)
        try:
            self.on_progress(self._progress)
        except Exception:
            log.exception("progress callback failed")

    def emit(
        self,
        kind: EventKind,
        photo_ids=(),
        path: str | None = None,
        message: str | None = None,
        tag_ids=(),
    ) -> None:
        event = WorkerEvent(kind, tuple(photo_ids), tuple(tag_ids), path=path, message=message)
        self.emit_event(event)

    def _op_changed(self, change: OpChanges) -> None:
        """An action here changed something: say exactly what; learn from a correction."""
        if Change.TAGS in change:
            self.emit(EventKind.TAGS_CHANGED, change.photo_ids, tag_ids=change.tag_ids)
        if Change.FLAGS in change:
            self.emit(EventKind.MARKS_CHANGED, change.photo_ids)
        if Change.ALBUMS in change:
            self.emit(EventKind.ALBUMS_CHANGED)
        if Change.CORRECTIONS in change:
            self.schedule_learning()

    def emit_event(self, event: WorkerEvent) -> None:
        try:
            self.on_event(event)
        except Exception:
            log.exception("event callback failed")

    # -- the worker thread ---------------------------------------------------------------

    def _take(self) -> Job | None:
        """The next job. While none is ready: announce idle (or paused) once, and every
        LEARN_POLL seconds look for corrections that other processes made."""
        last_look = time.monotonic()
        while True:
            announce = None
            with self._cond:
                if self._stopping:
                    return None
                job = self._queue.take(self._paused)
                if job is not None:
                    self._current, self._drop = job, False
                    self.interrupt_event.clear()
                    return job
                if not len(self._queue):  # (downloading is not idle: indexing follows)
                    state = None if self.download.running else Phase.IDLE
                else:
                    state = Phase.PAUSED if self._paused else None
                since = time.monotonic() - last_look
                if state is not None and state != self._announced:
                    self._announced = announce = state
                elif since < LEARN_POLL:
                    due = self._queue.next_due()
                    self._cond.wait(LEARN_POLL - since if due is None else min(due, LEARN_POLL))
                    continue
            if announce is not None:  # outside the lock: callbacks may call back in
                self.publish(announce, 0, 0)
                if announce == Phase.IDLE:
                    self.emit(EventKind.IDLE)
                continue
            last_look = time.monotonic()
            self.schedule_learning()

    def _run(self) -> None:
        background_priority()
        try:
            self.library = Library(engine=self._engine, **self._lib_args)
            # The writer connection, opened in this thread; a write that waits for another
            # process's lock says so once in the log.
            self.library.download_elsewhere = True  # WeightsDownload's thread, not a job
            self.library.on_change = self._op_changed
            self.library.catalog.on_wait = lambda text: log.warning("clipdesk: %s", text)
            while (job := self._take()) is not None:
                self._execute(job)
        except Exception as exc:  # opening the library failed: say so, and end
            known = catalog_faults.explain(exc, self.paths.catalog)
            if known is None:  # a bug: its traceback is wanted
                log.exception("worker failed")
            else:  # a damaged, too new, read-only catalog: one line, and the fix
                log.warning("clipdesk: %s", known)
            self.emit(EventKind.ERROR, message=known or f"{type(exc).__name__}: {exc}")
        finally:
            with self._cond:
                left = self._queue.clear()
            for job in left:
                if isinstance(job, CallJob):
                    job.future.cancel()
            if self.watcher is not None:
                self.watcher.stop()
            if self.library is not None:
                self.library.close()
            clear_state(self.paths.data_dir)

    def _execute(self, job: Job) -> None:
        try:
            HANDLERS[job.kind](self, job)
        except ModelUnavailable as exc:  # the photos wait; the user must choose (the GUI asks)
            log.warning("%s job: %s", job.kind, exc)
            self.emit(EventKind.MODEL_UNAVAILABLE, message=str(exc))
        except Exception as exc:  # one failed job must not end the service
            log.exception("%s job failed", job.kind)
            self.emit(EventKind.ERROR, message=f"{job.kind}: {type(exc).__name__}: {exc}")
        finally:
            with self._cond:
                self._current = None
                self.jobs_run[job.kind.value] += 1

    # -- callbacks from the watcher thread ------------------------------------------------

    def _on_changes(self, changes: Changes) -> None:
        """One coalesced scan job per batch of file events."""
        self.enqueue(ScanJob(Priority.THUMBNAILS, changes=changes))

    def _on_mode(self, folder_id: int, root: str, mode: WatchMode) -> None:
        with self._state_lock:  # the worker and watcher threads both report modes
            self._modes[root] = {"mode": mode.mode, "reason": mode.reason}
            try:
                write_state(self.paths.data_dir, dict(self._modes))
            except OSError as exc:
                log.warning("cannot record the watch state: %s", exc)
        text = f"{mode.mode} ({mode.reason})" if mode.reason else mode.mode
        event = WorkerEvent(EventKind.WATCH_MODE, path=root, message=text)
        self.enqueue(EmitJob(Priority.USER, event=event))
