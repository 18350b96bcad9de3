"""What each job does. They run in the worker thread, the only one that uses the Library.

Each handler is a function of the worker and its job, found through :data:`HANDLERS`
by the job's kind. They report through the worker's ``publish`` (progress) and ``emit``
(events), and queue follow-up jobs through its ``enqueue``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from clipdesk.catalog import step_queue
from clipdesk.embedding.prebuilt import torch_broken
from clipdesk.ops import learning
from clipdesk.pipeline import steps
from clipdesk.pipeline.faces_step import FacesDone
from clipdesk.pipeline.indexer import IndexResult
from clipdesk.pipeline.locks import IndexLock
from clipdesk.pipeline.places_step import PlacesDone
from clipdesk.pipeline.scanner import ScanResult
from clipdesk.pipeline.steps import Embedded
from clipdesk.places import places_db
from clipdesk.progress import Progress
from clipdesk.wording import plural
from clipdesk.worker.events import EventKind, Phase, Priority
from clipdesk.worker.jobs import (
    CallJob,
    EmitJob,
    FacesJob,
    FingerprintJob,
    IndexJob,
    Job,
    JobKind,
    LearnJob,
    PlacesJob,
    ScanJob,
    TagJob,
    TextJob,
    ThumbnailsJob,
)

if TYPE_CHECKING:
    from clipdesk.worker.service import Worker

log = logging.getLogger(__name__)
INDEX_LOCK_RETRY = 1.0  # seconds between looks while another process indexes
FACE_CHUNKS = 4  # chunks of photos per face job: a user action goes in between
TEXT_CHUNKS = 2  # chunks of photos per text job (an OCR read is slower than a face search)
PLACE_CHUNKS = 4  # chunks of photos per places job (about a second of reading)


def run_call(w: Worker, job: CallJob) -> None:
    if job.future.set_running_or_notify_cancel():
        try:
            job.future.set_result(job.fn(w.library))
        except BaseException as exc:  # the caller gets it from the future
            job.future.set_exception(exc)


def run_emit(w: Worker, job: EmitJob) -> None:
    w.emit_event(job.event)


def run_watch(w: Worker, job: Job) -> None:
    w.sync_watches()


def run_scan(w: Worker, job: ScanJob) -> None:
    # No index lock: photos appear in the window even while a `clipdesk index` embeds.
    folders = dict(w.library.catalog.folders())
    w.publish(Phase.SCAN, 0, 0)
    if job.changes is None:
        ids, result = list(folders), steps.scan_folders(w.library, settle=w.settle)
    else:
        ids = [i for i in job.changes if i in folders]
        paths: set[str] = set()
        for folder_id in ids:
            paths |= job.changes[folder_id] or {folders[folder_id]}
        result = steps.scan_folders(w.library, ids, paths, w.settle)
    _report_scan(w, result, [folders[i] for i in ids])
    if result.deferred:  # still being copied: look again once it may have settled
        later: dict[int, set[str]] = {}
        for path in result.deferred:
            for folder_id, root in folders.items():
                if path.startswith(root.rstrip(os.sep) + os.sep):
                    later.setdefault(folder_id, set()).add(path)
        w.enqueue(
            ScanJob(
                job.priority,
                not_before=time.monotonic() + max(w.settle, 0.1),
                changes=later,
            )
        )
    # The steps that follow a scan: thumbnails (the only place that queues them), then
    # embedding, which asks the catalog what is left.
    if job.then_index or result.added or result.changed or result.restored or result.moved:
        w.enqueue(ThumbnailsJob(Priority.THUMBNAILS))
        w.enqueue(IndexJob(Priority.EMBED))
    w.refresh_folders()


def _retry(w: Worker, job: Job, lock: IndexLock) -> None:
    log.info("another index run is in progress (pid %s); waiting", lock.holder())
    job.not_before = time.monotonic() + INDEX_LOCK_RETRY
    w.enqueue(job)


def _report_scan(w: Worker, result: ScanResult, roots: list[str]) -> None:
    for kind, ids in (
        (EventKind.PHOTO_ADDED, result.added_ids),
        (EventKind.PHOTO_CHANGED, result.changed_ids),
        (EventKind.PHOTO_MOVED, result.moved_ids),
        (EventKind.PHOTO_MISSING, result.missing_ids),
        (EventKind.PHOTO_RESTORED, result.restored_ids),
    ):
        if ids:
            w.emit(kind, ids)
    gone = set(result.missing_folders)
    missing = w.missing_roots
    for root in roots:
        if root in gone and root not in missing:
            missing.add(root)
            w.emit(EventKind.FOLDER_MISSING, path=root)
        elif root not in gone and root in missing:
            missing.discard(root)
            w.emit(EventKind.FOLDER_RESTORED, path=root)


def run_thumbnails(w: Worker, job: ThumbnailsJob) -> None:
    def made(ids: list[int], done: int, total: int, rate: float) -> None:
        if ids:
            w.emit(EventKind.THUMBNAILS_READY, ids)
        w.publish(Phase.THUMBNAILS, done, total, rate, (total - done) / rate)

    if not steps.thumbnails(w.library, w.decoded, made, w.interrupt_event):
        w.resume_later(job)
        return
    caught_up = steps.catch_up_thumbnails(w.library)  # the cache took none before
    if caught_up:
        w.emit(EventKind.THUMBNAILS_READY, caught_up)


def run_index(w: Worker, job: IndexJob) -> None:
    lib = w.library
    result = IndexResult(ScanResult())
    sent = [0, 0]  # embedded ids and failures already announced

    def announce() -> None:
        new = result.embedded_ids[sent[0] :]
        if new:
            w.emit(EventKind.PHOTO_INDEXED, new)
        for path, reason in result.failed[sent[1] :]:
            row = lib.catalog.photo_by_path(path)
            w.emit(EventKind.PHOTO_FAILED, (row.id,) if row else (), path, reason)
        sent[:] = [len(result.embedded_ids), len(result.failed)]

    def progress(p: Progress) -> None:
        announce()
        if p.phase == Phase.EMBED:
            w.publish(Phase.EMBED, p.done, p.total, p.rate, p.eta)

    # The interrupt event is the indexer's cancel: it stops at the next photo and commits
    # what is decoded, so pausing or yielding never leaves half a batch.
    outcome = steps.embed(lib, result, progress, w.interrupt_event, w.decoded)
    _backend_fallback(w)
    if result.adopted_ids:
        w.emit(EventKind.PHOTO_INDEXED, result.adopted_ids)
    if outcome is Embedded.BUSY:  # a `clipdesk index` elsewhere embeds these photos
        _retry(w, job, steps.index_lock(lib))
        return
    if outcome is Embedded.DOWNLOAD:  # in its own thread, so user jobs and thumbnails go on
        w.start_download()  # which queues this job again when the weights are in
        return
    if outcome is not Embedded.CANCELLED:  # what is left was not needed
        w.decoded.clear()
    announce()
    w.enqueue(TagJob(Priority.TAGGING))  # from catalog state: also repairs an earlier crash
    if outcome is Embedded.CANCELLED:
        w.resume_later(job)


def _backend_fallback(w: Worker) -> None:
    """The model loaded on ONNX Runtime because torch is installed but broken: say why and
    what repairs it, once (the terminal's warning line, for the window)."""
    if w.backend_noted or torch_broken() is None or w.library.loaded_embedder is None:
        return
    plan = w.library.engine.plan()  # torch is known broken: nothing is imported
    if plan.broken:
        w.backend_noted = True
        w.emit(EventKind.BACKEND_FALLBACK, message=plan.why)


def run_tag(w: Worker, job: TagJob) -> None:
    """Keywords from sidecars and photos, then suggestions, for whatever still needs them."""
    w.publish(Phase.TAGGING, 0, 0)
    done = steps.after_embedding(w.library)
    if done.keywords or done.scored_ids:
        w.emit(EventKind.TAGS_CHANGED, done.scored_ids if not done.keywords else ())
    if done.keyword_errors:  # one report per run: the window shows it as one message
        errors = done.keyword_errors
        listed = "; ".join(f"{path}: {reason}" for path, reason in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        message = f"keywords not read from {plural(len(errors), 'photo')}: {listed}{more}"
        w.emit(EventKind.ERROR, path=errors[0][0], message=message)
    if w.library.places_on and places_db.has_photos_to_read(w.library.catalog):
        w.enqueue(PlacesJob(Priority.TAGGING))
    if w.library.catalog.has_unfingerprinted():
        w.enqueue(FingerprintJob(Priority.FACES))
    if w.library.faces_on and step_queue.has_photos_to_read(w.library.catalog, "faces"):
        w.enqueue(FacesJob(Priority.FACES))
    if w.library.text_on and step_queue.has_photos_to_read(w.library.catalog, "text"):
        w.enqueue(TextJob(Priority.FACES))


def run_faces(w: Worker, job: FacesJob) -> None:
    """Faces of the photos not looked at yet, a few chunks at a time (issue 27): each chunk
    announces its photos (the People page) and the People rows that changed."""

    def announce(done: FacesDone) -> None:
        new = done.photo_ids[sent[0] :]
        sent[0] = len(done.photo_ids)
        if new:
            w.emit(EventKind.FACES_FOUND, new)
        if done.changed_photos:
            w.emit(EventKind.TAGS_CHANGED, sorted(done.changed_photos), tag_ids=sorted(done.tags))
            done.changed_photos.clear()
            done.tags.clear()

    sent = [0]
    w.publish(Phase.TAGGING, 0, 0)
    done = steps.find_faces(w.library, w.interrupt_event, announce, chunks=FACE_CHUNKS)
    if not done.done:
        w.resume_later(job)


def run_places(w: Worker, job: PlacesJob) -> None:
    """Place names from GPS for the photos not looked at yet, a few chunks at a time (issue
    30); the photos given a place tag are announced as their tags changing."""
    w.publish(Phase.TAGGING, 0, 0)
    done: PlacesDone = steps.find_places(w.library, w.interrupt_event, chunks=PLACE_CHUNKS)
    if done.changed_photos:
        w.emit(EventKind.TAGS_CHANGED, sorted(done.changed_photos))
    if done.problem:
        log.warning("no place names: %s", done.problem)
    elif not done.done:
        w.resume_later(job)


def run_text(w: Worker, job: TextJob) -> None:
    """The words in the photos not looked at yet, likely ones only, a few chunks at a time
    (issue 30); after the faces, queued behind them at the same priority."""
    w.publish(Phase.TAGGING, 0, 0)
    done = steps.read_text(w.library, w.interrupt_event, chunks=TEXT_CHUNKS)
    if done.problem:
        log.warning("no words read in photos: %s", done.problem)
    elif not done.done:
        w.resume_later(job)


def run_fingerprint(w: Worker, job: FingerprintJob) -> None:
    """Hash the whole content of photos an older release indexed (steps.fingerprint), in
    chunks; a user action or new photos go first, and it resumes after them."""
    state = steps.fingerprint(w.library.catalog, cancel=w.interrupt_event)
    if not state.done:
        w.resume_later(job)


def run_learn(w: Worker, job: LearnJob) -> None:
    """Retrain the tags whose corrections changed (here or in another process)."""
    if not learning.pending(w.library):
        return
    w.publish(Phase.TAGGING, 0, 0)
    learned = learning.learn_pending(w.library)
    if learned.photo_ids:  # only the photos whose suggestions (or their scores) changed
        w.emit(EventKind.TAGS_CHANGED, learned.photo_ids, tag_ids=learned.tag_ids)


HANDLERS: dict[JobKind, Callable[[Worker, Job], None]] = {
    JobKind.CALL: run_call,
    JobKind.EMIT: run_emit,
    JobKind.WATCH: run_watch,
    JobKind.SCAN: run_scan,
    JobKind.THUMBNAILS: run_thumbnails,
    JobKind.INDEX: run_index,
    JobKind.TAG: run_tag,
    JobKind.LEARN: run_learn,
    JobKind.FINGERPRINT: run_fingerprint,
    JobKind.FACES: run_faces,
    JobKind.TEXT: run_text,
    JobKind.PLACES: run_places,
}
