"""What the library is and how its folders are watched: one answer for ``clipdesk status``
and for the window's worker (``Worker.status``), with the same names in both."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from clipdesk.catalog import photo_text
from clipdesk.embedding.backends import BackendPlan
from clipdesk.home import AppPaths
from clipdesk.pathnames import shown
from clipdesk.people import faces_db
from clipdesk.pipeline.library import Library
from clipdesk.places import places_db
from clipdesk.text import engine_installed


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
class HomeFolders:
    """Where the library keeps its files: one home folder (``--home DIR`` or
    ``$CLIPDESK_HOME``) that holds them all, or the per-user folders (platformdirs)."""

    home: str | None  # the one folder; None: the per-user folders below
    data: str  # the catalog, its backups, the worker's state
    cache: str  # thumbnails, model weights, ONNX exports
    config: str  # settings

    @classmethod
    def of(cls, paths: AppPaths) -> HomeFolders:
        root = paths.data_dir.parent
        named = (paths.data_dir.name, paths.cache_dir.name, paths.config_dir.name)
        parents = {paths.data_dir.parent, paths.cache_dir.parent, paths.config_dir.parent}
        one = named == ("data", "cache", "config") and parents == {root}
        return cls(
            str(root) if one else None,
            str(paths.data_dir),
            str(paths.cache_dir),
            str(paths.config_dir),
        )

    def lines(self) -> list[tuple[str, str]]:
        """(label, text) for `clipdesk status`: the home, or each per-user folder."""
        if self.home is not None:
            return [("home", f"{shown(self.home)}  (catalog, caches and settings)")]
        return [
            ("home", f"{shown(self.data)}  (catalog; --home DIR keeps all in one folder)"),
            ("caches", f"{shown(self.cache)}  (thumbnails, model weights, ONNX exports)"),
            ("settings", shown(self.config)),
        ]

    def to_json(self) -> dict:
        return {
            "home": shown(self.home) if self.home else None,
            "data": shown(self.data),
            "cache": shown(self.cache),
            "config": shown(self.config),
        }


@dataclass(frozen=True)
class LibraryStatus:
    model: str
    backend: BackendPlan  # printed: its label, where and why
    home: HomeFolders
    catalog: str
    folders: list[FolderStatus]
    counts: dict[str, int]  # photos per state (indexed, new, missing, failed)
    failed: list[tuple[str, str]]  # (path, reason)
    keyword_problems: list[tuple[str, str]]  # indexed, but its keywords were unreadable
    watcher_pid: int | None
    watcher_running: bool
    faces: dict | None = None  # faces, people, photos looked at and to look at; None: off
    sidecar_conflicts: int = 0  # photos whose marks changed both here and in the sidecar
    places: dict | None = None  # photos with a position, placed, to look at; None: off
    words: dict | None = None  # photos read, with words, skipped, to look at; None: off
    words_engine: bool = True  # the OCR engine (the text extra) is installed

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
            "home": self.home.home or self.home.data,
            "folders_kept": self.home.to_json(),
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
            "places": self.places,
            "words": self.words,
            "words_engine_installed": self.words_engine,
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
        HomeFolders.of(lib.paths),
        str(lib.paths.catalog),
        folders,
        cat.status_counts(),
        list(cat.failures()),
        list(cat.keyword_problems()),
        (watch or {}).get("pid"),
        watch is not None,
        faces_db.counts(cat) if lib.settings.faces else None,
        cat.conflict_count(),
        places=places_db.counts(cat) if lib.settings.places else None,
        words=photo_text.counts(cat) if lib.settings.text else None,
        words_engine=engine_installed(),
    )
