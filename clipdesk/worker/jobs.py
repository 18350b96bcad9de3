"""The jobs the worker queues: one small class per kind, each knowing how to absorb a later
job of its kind while it waits (so a burst of 2,000 file events is one scan). No Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, ClassVar

from clipdesk.pipeline.watcher import Changes, merge_changes
from clipdesk.worker.events import Named, Priority, WorkerEvent


class JobKind(Named):
    CALL = "call"  # a user action: a function of the Library, its result in a future
    EMIT = "emit"  # deliver an event from another thread, in order with the jobs
    WATCH = "watch"  # watch exactly the catalog's folders
    SCAN = "scan"  # compare folders (or changed paths) with the catalog
    THUMBNAILS = "thumbnails"  # thumbnails for photos not decoded yet
    INDEX = "index"  # embed every present photo without an embedding
    TAG = "tag"  # the pipeline after embedding: keywords, then suggestions
    LEARN = "learn"  # retrain the tags whose corrections changed
    FINGERPRINT = "fingerprint"  # hash the whole content of photos an older release indexed
    FACES = "faces"  # find, embed and group the faces of photos not looked at yet
    TEXT = "text"  # read the words in photos likely to hold some, not looked at yet
    PLACES = "places"  # name the places of photos whose GPS position was not looked for


@dataclass(eq=False)
class Job:
    priority: Priority
    not_before: float = 0.0  # monotonic time before which it must not start
    seq: int = 0

    kind: ClassVar[JobKind]
    coalesces: ClassVar[bool] = True  # a queued job of the kind absorbs a new one
    interruptible: ClassVar[bool] = False  # yields at a batch boundary, then resumes

    def absorb(self, later: Job) -> None:
        """Take on the work of ``later``, a job of the same kind queued after this one."""
        self.not_before = max(self.not_before, later.not_before)


@dataclass(eq=False)
class CallJob(Job):
    fn: Callable[[Any], Any] | None = None
    future: Future = field(default_factory=Future)
    kind: ClassVar[JobKind] = JobKind.CALL
    coalesces: ClassVar[bool] = False


@dataclass(eq=False)
class EmitJob(Job):
    event: WorkerEvent | None = None
    kind: ClassVar[JobKind] = JobKind.EMIT
    coalesces: ClassVar[bool] = False


@dataclass(eq=False)
class WatchJob(Job):
    kind: ClassVar[JobKind] = JobKind.WATCH
    coalesces: ClassVar[bool] = False


@dataclass(eq=False)
class ScanJob(Job):
    changes: Changes | None = None  # what to look at; None: every folder
    then_index: bool = False  # embed what is pending even if nothing changed
    kind: ClassVar[JobKind] = JobKind.SCAN

    def absorb(self, later: Job) -> None:
        assert isinstance(later, ScanJob)
        super().absorb(later)
        if self.changes is not None:
            if later.changes is None:
                self.changes = None
            else:
                merge_changes(self.changes, later.changes)
        self.then_index |= later.then_index


@dataclass(eq=False)
class ThumbnailsJob(Job):
    kind: ClassVar[JobKind] = JobKind.THUMBNAILS
    interruptible: ClassVar[bool] = True


@dataclass(eq=False)
class IndexJob(Job):
    kind: ClassVar[JobKind] = JobKind.INDEX
    interruptible: ClassVar[bool] = True


@dataclass(eq=False)
class TagJob(Job):
    kind: ClassVar[JobKind] = JobKind.TAG


@dataclass(eq=False)
class LearnJob(Job):
    kind: ClassVar[JobKind] = JobKind.LEARN


@dataclass(eq=False)
class FingerprintJob(Job):
    kind: ClassVar[JobKind] = JobKind.FINGERPRINT
    interruptible: ClassVar[bool] = True


@dataclass(eq=False)
class FacesJob(Job):
    kind: ClassVar[JobKind] = JobKind.FACES
    interruptible: ClassVar[bool] = True


@dataclass(eq=False)
class TextJob(Job):
    kind: ClassVar[JobKind] = JobKind.TEXT
    interruptible: ClassVar[bool] = True


@dataclass(eq=False)
class PlacesJob(Job):
    kind: ClassVar[JobKind] = JobKind.PLACES
    interruptible: ClassVar[bool] = True
