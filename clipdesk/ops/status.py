"""What the library is and how its folders are watched: one answer for ``clipdesk status``
and for the window's worker (``Worker.status``), with the same names in both."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from clipdesk.embedding.backends import BackendPlan
from clipdesk.pathnames import shown
from clipdesk.people import faces_db
from clipdesk.pipeline.library import Library


@dataclass(frozen=True)
class FolderStatus:
    id: int
    path: str
    photos: int
    present: bool  # False: not found (an unmounted drive?); its photos are kept as missing
    watched_by: str | None  # "events", "polling", "missing", ...; None: no worker watches
    watch_reason: str | None  # why that way, when it is not the usual one

    @classmethod
    def of(
        cls, folder_id: int, path: str, photos: int, mode: str | None, reason: str | None
    ) -> FolderStatus:
        return cls(folder_id, path, photos, os.path.isdir(path), mode, reason)

    def to_json(self) -> dict:
        return {**asdict(self), "path": shown(self.path)}


@dataclass(frozen=True)
class LibraryStatus:
    model: str
    backend: BackendPlan  # printed: its label, where and why
    home: str
    catalog: str
    folders: list[FolderStatus]
    counts: dict[str, int]  # photos per state (indexed, new, missing, failed)
    failed: list[tuple[str, str]]  # (path, reason)
    keyword_problems: list[tuple[str, str]]  # indexed, but its keywords were unreadable
    watcher_pid: int | None
    watcher_running: bool
    faces: dict | None = None  # faces, people, photos looked at and to look at; None: off
    sidecar_conflicts: int = 0  # photos whose marks changed both here and in the sidecar

    def conflicts_line(self) -> str | None:
        """The line `clipdesk status` gives the sidecar conflicts (None: there are none)."""
        n = self.sidecar_conflicts
        if not n:
            return None
        have = "photo has" if n == 1 else "photos have"
        return f"{n} {have} sidecar conflicts: `clipdesk conflicts` lists them"

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "backend": self.backend.label,
            "backend_reason": self.backend.why,
            "home": self.home,
            "catalog": self.catalog,
            "folders": [f.to_json() for f in self.folders],
            "counts": self.counts,
            "failed": [{"path": shown(p), "reason": r} for p, r in self.failed],
            "keyword_problems": [
                {"path": shown(p), "reason": shown(r)} for p, r in self.keyword_problems
            ],
            "watcher": {"running": self.watcher_running, "pid": self.watcher_pid},
            "faces": self.faces,
            "sidecar_conflicts": self.sidecar_conflicts,
        }


def library_status(lib: Library, watch: dict | None) -> LibraryStatus:
    """The library as the catalog and the running worker see it; ``watch``: the worker's
    state (``worker.state.read_state``: its pid and how each folder is watched), None
    when no worker is alive."""
    cat = lib.catalog
    modes = (watch or {}).get("folders", {})
    counts = cat.folder_counts()
    folders = [
        FolderStatus.of(
            folder_id,
            path,
            counts.get(folder_id, 0),
            modes.get(path, {}).get("mode"),
            modes.get(path, {}).get("reason"),
        )
        for folder_id, path in cat.folders()
    ]
    return LibraryStatus(
        lib.engine.model_name,
        lib.engine.plan(),
        str(lib.paths.data_dir.parent),
        str(lib.paths.catalog),
        folders,
        cat.status_counts(),
        list(cat.failures()),
        list(cat.keyword_problems()),
        (watch or {}).get("pid"),
        watch is not None,
        faces_db.counts(cat) if lib.settings.faces else None,
        cat.conflict_count(),
    )
