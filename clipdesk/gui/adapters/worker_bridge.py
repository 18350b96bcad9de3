"""The background worker, adapted to Qt: its callbacks become signals on the GUI thread.

The worker (:mod:`clipdesk.worker`) calls back from its own thread; every callback here only
emits a signal, and Qt queues it to the GUI thread. Jobs are plain functions of the worker's
Library; their results come back through ``done`` callbacks, also on the GUI thread.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from clipdesk.embedding.choice import EngineChoice
from clipdesk.worker.events import Priority  # the enums only: the worker loads in a thread

log = logging.getLogger(__name__)
Job = Callable[[Any], Any]


_preload: threading.Thread | None = None
_preload_lock = threading.Lock()


def preload_worker_modules() -> threading.Thread:
    """Import the worker's modules (the watcher, the indexer, watchdog: 70 ms of CPU) in a
    thread of their own, once per process; called as the window is built, so that they are
    in before it shows. Imported on the GUI thread, or in a thread once the event loop runs
    (the import holds the GIL), they would stall the window (benchmarks/README.md)."""
    global _preload
    with _preload_lock:
        if _preload is None:
            _preload = threading.Thread(target=_import_worker, name="clipdesk-import", daemon=True)
            _preload.start()
        return _preload


def _import_worker() -> None:
    with contextlib.suppress(Exception):  # start() imports it again, and says why
        importlib.import_module("clipdesk.worker.service")


class WorkerBridge(QObject):
    """Owns the Worker; ``progress`` and ``event`` carry its reports to the GUI thread."""

    progress = Signal(object)  # clipdesk.worker.WorkerProgress
    event = Signal(object)  # clipdesk.worker.WorkerEvent
    failed = Signal(str)  # a job failed: one line for the user
    _call = Signal(object)

    def __init__(
        self,
        home: str | Path | None,
        engine: EngineChoice,
        watch: bool = True,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.home, self.engine, self.watch = home, engine, watch
        self._worker = None
        self._closed = False
        self._refused = False  # another process owns the catalog: do not try again
        self._call.connect(self._run_call, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start(self) -> bool:
        """Start the worker thread (the worker module is imported now, not at window start).

        False when another ClipDesk process already works on this catalog: the window then
        browses read-only and says so.
        """
        if self._worker is not None or self._closed or self._refused:
            return self._worker is not None
        from clipdesk.worker import Worker, WorkerAlreadyRunning

        worker = Worker(
            self.home,
            engine=self.engine,
            on_progress=self.progress.emit,
            on_event=self.event.emit,
            watch=self.watch,
        )
        try:
            worker.start()
        except WorkerAlreadyRunning as exc:
            self._refused = True
            self.failed.emit(f"Read-only: {exc}")
            return False
        self._worker = worker
        return True

    def prepare(self, then: Callable[[], None]) -> None:
        """Call ``then`` on the GUI thread once the worker's modules are imported
        (``preload_worker_modules``), without waiting for them here."""
        loading = preload_worker_modules()
        if not loading.is_alive():
            self._call.emit(then)
            return

        def wait() -> None:
            loading.join()
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self._call.emit(then)

        threading.Thread(target=wait, name="clipdesk-import-wait", daemon=True).start()

    def restart(self, engine: EngineChoice) -> None:
        """Stop the worker and start a new one with another model or backend."""
        self.engine = engine
        self._stop_worker()
        self._refused = False
        self.start()

    def submit(
        self,
        fn: Job,
        done: Callable[[Any], None] | None = None,
        priority: Priority = Priority.USER,
        failed: Callable[[BaseException], None] | None = None,
    ) -> Future | None:
        """Run ``fn(library)`` on the worker; ``done(result)`` then runs on the GUI thread.

        The worker starts now if the window has not started it yet. None: it cannot run.
        """
        if self._worker is None and not self.start():
            return None
        future = self._worker.submit(fn, priority)
        self._track(future, done, failed)
        return future

    def _track(self, future: Future, done, failed) -> None:
        future.add_done_callback(lambda f: self._call.emit(partial(self._finish, f, done, failed)))

    def _finish(self, future: Future, done, failed) -> None:
        try:
            result = future.result()
        except CancelledError:
            return
        except Exception as exc:
            if failed is not None:  # the caller tells the user (its traceback: -v)
                log.debug("job failed: %s", exc, exc_info=exc)
                failed(exc)
            else:
                log.warning("job failed: %s", exc, exc_info=exc)
                self.failed.emit(str(exc) or type(exc).__name__)
            return
        if done is not None:
            done(result)

    @Slot(object)
    def _run_call(self, call: Callable[[], None]) -> None:
        if not self._closed:
            call()

    # -- the worker's own controls ------------------------------------------------------

    def add_folder(
        self,
        path: str | Path,
        done: Callable[[int], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Watch and index a folder; ``done(folder_id)`` once it is in the catalog."""
        try:
            if self._worker is None and not self.start():
                raise RuntimeError("the background worker is not running")
            future = self._worker.add_folder(path)
        except (OSError, RuntimeError) as exc:
            self.failed.emit(f"Cannot add {path}: {exc}")
            if failed is not None:
                failed(exc)
            return
        self._track(future, done, failed)

    def remove_folder(self, folder_id: int, done: Callable[[Any], None] | None = None) -> None:
        """Forget a folder's photos and stop watching it."""
        if self._worker is None and not self.start():
            return
        self._track(self._worker.remove_folder(folder_id), done, None)

    def forget(self, plan: Any, done: Callable[[Any], None] | None = None) -> None:
        """Forget missing photos (an ``ops.forgetting`` plan); ``done(forgotten)`` after."""
        if self._worker is None and not self.start():
            return
        self._track(self._worker.forget(plan), done, None)

    def request_index(self, folder_ids: list[int] | None = None) -> None:
        if self._worker is not None:
            self._worker.request_index(folder_ids)

    def pause(self) -> None:
        if self._worker is not None:
            self._worker.pause()

    def resume(self) -> None:
        if self._worker is not None:
            self._worker.resume()

    def cancel_current(self) -> None:
        if self._worker is not None:
            self._worker.cancel_current()

    def cancel_download(self) -> None:
        """Stop the model download; its partial file is kept, and Retry resumes it."""
        if self._worker is not None:
            self._worker.cancel_download()

    def status(self) -> dict:
        return self._worker.status() if self._worker is not None else {}

    def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()

    def stop(self) -> None:
        """Stop the worker and wait for its thread; no callback is delivered afterwards."""
        self._stop_worker()
        self._closed = True
