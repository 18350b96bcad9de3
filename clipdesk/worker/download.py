"""The model's weights (without torch, its ready-made ONNX export instead: embedding/
readymade.py), downloaded in a thread of the worker's own, so that the queue keeps serving
user jobs and thumbnails meanwhile (a download takes minutes). No Qt.

Progress goes out as ``Phase.DOWNLOAD`` (bytes done and total, bytes per second, seconds
left, the file's name); the end as ``DOWNLOAD_FINISHED``, after which an index job is
queued, or as ``MODEL_UNAVAILABLE`` (offline, cancelled, a damaged file) with the reason.
A failed or cancelled download is not tried again by this worker: the photos wait until
the user chooses (the window's Retry starts a new worker, which resumes the partial file).
The thread touches no catalog: only the model's name and the cache folder.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from clipdesk.embedding import ModelUnavailable
from clipdesk.worker.events import EventKind, Phase, Priority, WorkerProgress
from clipdesk.worker.jobs import IndexJob

if TYPE_CHECKING:
    from clipdesk.embedding.download import DownloadProgress
    from clipdesk.worker.service import Worker

log = logging.getLogger(__name__)


class WeightsDownload:
    def __init__(self, worker: Worker):
        self.worker = worker
        self.cancel = threading.Event()  # stops it at the next chunk; the partial file stays
        self.thread: threading.Thread | None = None
        self.failed = False

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> None:
        """Start the download unless it runs already or failed in this worker."""
        if self.failed or self.running:
            return
        self.cancel.clear()
        self.thread = threading.Thread(target=self._run, name="clipdesk-download", daemon=True)
        self.thread.start()

    def _report(self, p: DownloadProgress) -> None:
        report = WorkerProgress(
            Phase.DOWNLOAD, p.done, p.total or 0, p.rate, p.eta, item=p.filename
        )
        try:
            self.worker.on_progress(report)
        except Exception:
            log.exception("progress callback failed")

    def _run(self) -> None:
        from clipdesk.embedding.download import DownloadHooks

        w = self.worker
        w.on_progress(WorkerProgress(Phase.DOWNLOAD, 0, 0))  # shown before the first byte
        try:
            w.library.download_weights(DownloadHooks(self._report, self.cancel))
        except Exception as exc:  # offline, cancelled, a damaged file, a full disk
            if w.stopping:
                return
            self.failed = True
            if not isinstance(exc, ModelUnavailable):
                log.exception("the model download failed")
            w.emit(EventKind.MODEL_UNAVAILABLE, message=str(exc) or type(exc).__name__)
            return
        w.emit(EventKind.DOWNLOAD_FINISHED)
        w.enqueue(IndexJob(Priority.EMBED))
