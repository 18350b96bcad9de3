"""What the worker publishes: progress, and events about photos, folders and itself. No Qt.

Kinds are enums whose values are plain strings, so a log line or a JSON report reads
``"photo_added"`` and a consumer may compare with either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from clipdesk.progress import Named, Phase, Progress


class Priority(IntEnum):
    USER = 0
    THUMBNAILS = 1  # scans and thumbnails: what makes photos appear
    EMBED = 2
    TAGGING = 3  # the pipeline after embedding, and learning from corrections
    FACES = 4  # faces after the tags (they never wait for faces); whole-content hashes


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
    MARKS_CHANGED = "marks_changed"  # photo_ids: stars, labels or flags changed (none: any)
    ALBUMS_CHANGED = "albums_changed"  # a smart album was saved, changed or removed
    FACES_FOUND = "faces_found"  # photo_ids: photos whose faces were looked at (People page)
    FOLDER_MISSING = "folder_missing"
    FOLDER_RESTORED = "folder_restored"
    WATCH_MODE = "watch_mode"
    IDLE = "idle"
    MODEL_UNAVAILABLE = "model_unavailable"  # the message says why and what to do
    DOWNLOAD_FINISHED = "download_finished"  # the model's weights are in; indexing follows
    BACKEND_FALLBACK = "backend_fallback"  # the model runs elsewhere than it would: why, the fix
    ERROR = "error"


# The worker publishes the one progress type (clipdesk.progress), under its old name too.
WorkerProgress = Progress


@dataclass(frozen=True)
class WorkerEvent:
    kind: EventKind
    photo_ids: tuple[int, ...] = ()  # for tags_changed, none means every photo
    tag_ids: tuple[int, ...] = ()  # for tags_changed: the tags whose states changed; none: any
    path: str | None = None
    message: str | None = None


__all__ = ["EventKind", "Named", "Phase", "Priority", "Progress", "WorkerEvent", "WorkerProgress"]
