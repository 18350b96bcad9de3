"""What the worker publishes: progress, and events about photos, folders and itself. No Qt.

Kinds are enums whose values are plain strings, so a log line or a JSON report reads
``"photo_added"`` and a consumer may compare with either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class Priority(IntEnum):
    USER = 0
    THUMBNAILS = 1  # scans and thumbnails: what makes photos appear
    EMBED = 2
    TAGGING = 3  # the pipeline after embedding, and learning from corrections


class Named(str, Enum):
    """An enum whose members are their string values (in logs, JSON and comparisons)."""

    def __str__(self) -> str:
        return self.value


class EventKind(Named):
    PHOTO_ADDED = "photo_added"
    PHOTO_CHANGED = "photo_changed"
    PHOTO_MOVED = "photo_moved"
    PHOTO_MISSING = "photo_missing"
    PHOTO_RESTORED = "photo_restored"
    THUMBNAILS_READY = "thumbnails_ready"
    PHOTO_INDEXED = "photo_indexed"
    PHOTO_FAILED = "photo_failed"
    TAGS_CHANGED = "tags_changed"
    FOLDER_MISSING = "folder_missing"
    FOLDER_RESTORED = "folder_restored"
    WATCH_MODE = "watch_mode"
    IDLE = "idle"
    MODEL_UNAVAILABLE = "model_unavailable"  # the message says why and what to do
    DOWNLOAD_FINISHED = "download_finished"  # the model's weights are in; indexing follows
    ERROR = "error"


class Phase(Named):
    SCAN = "scan"
    THUMBNAILS = "thumbnails"
    EMBED = "embed"
    TAGGING = "tagging"
    IDLE = "idle"
    PAUSED = "paused"
    DOWNLOAD = "download"  # the model's weights: done and total are bytes, rate bytes/s


@dataclass(frozen=True)
class WorkerProgress:
    phase: Phase
    done: int
    total: int
    rate: float = 0.0  # items per second
    eta: float | None = None  # seconds left, once a rate is known
    paused: bool = False
    item: str = ""  # what the phase works on, where that says more (the file downloaded)


@dataclass(frozen=True)
class WorkerEvent:
    kind: EventKind
    photo_ids: tuple[int, ...] = ()  # for tags_changed, none means every photo
    tag_ids: tuple[int, ...] = ()  # for tags_changed: the tags whose states changed; none: any
    path: str | None = None
    message: str | None = None
