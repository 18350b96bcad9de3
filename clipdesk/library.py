"""A user's library: their paths, settings, catalog, and the model in use (loaded lazily).

The CLI, and later the worker and the GUI, reach the core through this.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder, ModelSpec, ModelUnavailable, load_embedder, parse_model
from clipdesk.embedding.backends import accelerators, choose_backend
from clipdesk.imaging import ThumbnailCache
from clipdesk.indexer import Indexer, IndexResult, ProgressCallback
from clipdesk.paths import AppPaths, app_paths
from clipdesk.scanner import normalise_folder
from clipdesk.settings import Settings


class FolderNotFound(FileNotFoundError):
    pass


class Library:
    def __init__(
        self,
        home: str | Path | None = None,
        model: str | ModelSpec | None = None,
        backend: str | None = None,
        int8: bool | None = None,
    ):
        self.paths: AppPaths = app_paths(home).ensure()
        self.settings = Settings.load(self.paths.settings_file)
        self.model_name = model or self.settings.model
        self.backend = backend or self.settings.backend
        self.int8 = self.settings.int8 if int8 is None else int8
        self._embedder: Embedder | None = None
        self._tagger = None

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.paths.catalog)

    @property
    def thumbnails(self) -> ThumbnailCache:
        return ThumbnailCache(self.paths.thumbnails)

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
            del self.__dict__["catalog"]

    def remember_model(self) -> None:
        """Make the model (and backend choice) of this run the default for the next ones."""
        parse_model(self.model_name)  # refuse to remember a name that cannot work
        changed = (self.settings.model, self.settings.backend, self.settings.int8) != (
            self.model_name,
            self.backend,
            self.int8,
        )
        if changed:
            self.settings.model, self.settings.backend = self.model_name, self.backend
            self.settings.int8 = self.int8
            self.settings.save(self.paths.settings_file)

    def planned_backend(self) -> str:
        """The backend a run would use, without loading the model."""
        chosen = choose_backend(self.backend, *accelerators())
        return {"cuda": "cuda-fp16", "mps": "mps", "cpu": "torch-cpu"}.get(
            chosen, "onnx-cpu-int8" if self.int8 else "onnx-cpu"
        )

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(
                self.model_name,
                backend=self.backend,
                int8=self.int8,
                weights_dir=self.paths.model_weights,
                onnx_dir=self.paths.onnx_models,
            )
        return self._embedder

    def add_folders(self, folders: list[str | Path]) -> list[int]:
        ids = []
        for folder in folders:
            path = normalise_folder(folder)
            if not path.is_dir():
                raise FolderNotFound(f"no such folder: {folder}")
            ids.append(self.catalog.add_folder(path))
        return ids

    def index(
        self,
        folder_ids: list[int] | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexResult:
        indexer = Indexer(
            self.catalog, self.embedder, self.thumbnails, batch_size=self.settings.batch_size
        )
        result = indexer.run(folder_ids, progress, cancel)
        from clipdesk.tagging.store import TagStore

        seeded = TagStore(self.catalog).seed_default()  # before imported keywords add tags
        self.import_keywords(result.embedded_ids)
        self.autotag(None if seeded else result.embedded_ids)
        return result

    def import_keywords(self, photo_ids: list[int]):
        """Keywords already in sidecars or embedded in new photos become ``imported`` tags."""
        from clipdesk.sidecar_sync import import_keywords

        if not photo_ids:
            return None
        photos = [(i, self.catalog.photo(i).path) for i in photo_ids]
        return import_keywords(self.catalog, photos, self.settings.sidecar_naming)

    @property
    def tagger(self):
        from clipdesk.tagging.tagger import Tagger

        if self._tagger is None:
            self._tagger = Tagger(self.catalog, self.embedder)
        return self._tagger

    def autotag(self, photo_ids: list[int] | None = None):
        """Suggest tags for these photos (all when None); seeds the default vocabulary once."""
        from clipdesk.tagging.store import TagStore

        seeded = TagStore(self.catalog).seed_default()
        if seeded:
            photo_ids = None  # a new vocabulary: every photo needs scoring
        elif not photo_ids and photo_ids is not None:
            return None
        return self.tagger.rescore(photo_ids)


__all__ = ["Library", "FolderNotFound", "ModelUnavailable"]
