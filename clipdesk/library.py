"""One opened library: the user's paths, settings and catalog, the model in use (loaded
lazily), and the pipeline a photo takes after it is embedded.

Every way a photo comes in (``clipdesk add``/``index``, the worker behind the window and
``clipdesk watch``) goes through :meth:`Library.after_embedding`, which works from the
catalog's state rather than from "what this run embedded": keywords not read yet are
read, embeddings not tagged yet are tagged. A run stopped between the stages is finished
by the next one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder, ModelSpec, ModelUnavailable, load_embedder, parse_model
from clipdesk.embedding.choice import EngineChoice
from clipdesk.imaging import ThumbnailCache
from clipdesk.indexer import DecodedCache, Indexer, IndexResult, ProgressCallback
from clipdesk.paths import AppPaths, app_paths
from clipdesk.settings import Settings


class FolderNotFound(FileNotFoundError):
    pass


@dataclass
class PipelineResult:
    """What :meth:`Library.after_embedding` did."""

    keywords_read: int = 0  # photos whose sidecars/embedded keywords were read
    keywords: int = 0  # keywords that became tags on photos
    new_tags: list[str] = field(default_factory=list)
    keyword_errors: list[tuple[str, str]] = field(default_factory=list)
    scored_ids: list[int] = field(default_factory=list)  # photos whose suggestions were made


class Library:
    def __init__(
        self,
        home: str | Path | None = None,
        model: str | ModelSpec | None = None,
        backend: str | None = None,
        int8: bool | None = None,
        engine: EngineChoice | None = None,
    ):
        self.home = home
        self.paths: AppPaths = app_paths(home).ensure()
        self.settings = Settings.load(self.paths.settings_file)
        self.engine = engine or EngineChoice.resolve(self.settings, model, backend, int8)
        self._embedder: Embedder | None = None
        self._tagger = None

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog, opened for writing; a new one gets the vocabulary that suits the
        model (the test model knows only coloured shapes), once."""
        from clipdesk.tagging.store import TagStore
        from clipdesk.tagging.vocabulary import default_vocabulary_for

        catalog = Catalog(self.paths.catalog)
        TagStore(catalog).seed_default(default_vocabulary_for(self.engine.model_name))
        return catalog

    @property
    def thumbnails(self) -> ThumbnailCache:
        return ThumbnailCache(self.paths.thumbnails)

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
            del self.__dict__["catalog"]

    def remember_engine(self) -> None:
        """Make this run's model and backend choice the default for the next ones."""
        if isinstance(self.engine.model, str):
            parse_model(self.engine.model)  # refuse to remember a name that cannot work
        if not self.engine.same_as_settings(self.settings):
            self.settings.model = self.engine.model
            self.settings.backend, self.settings.int8 = self.engine.backend, self.engine.int8
            self.settings.save(self.paths.settings_file)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(
                self.engine.model,
                backend=self.engine.backend,
                int8=self.engine.int8,
                weights_dir=self.paths.model_weights,
                onnx_dir=self.paths.onnx_models,
            )
        return self._embedder

    @property
    def loaded_embedder(self) -> Embedder | None:
        """The model if it is loaded already, else None (this never loads it)."""
        return self._embedder

    @property
    def model_id(self) -> int:
        return self.catalog.model_id(self.embedder.name, self.embedder.dim)

    def has_embeddings(self) -> bool:
        """Whether any photo is embedded with the model in use."""
        return self.catalog.has_embeddings(self.model_id)

    @property
    def tagger(self):
        from clipdesk.tagging.tagger import Tagger

        if self._tagger is None:
            self._tagger = Tagger(self.catalog, self.embedder)
        return self._tagger

    # -- the pipeline ------------------------------------------------------------------

    def index(
        self,
        folder_ids: list[int] | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[IndexResult, PipelineResult]:
        """Scan, embed what is new, then the pipeline after embedding."""
        result = self.indexer().run(folder_ids, progress, cancel)
        return result, self.after_embedding()

    def indexer(self, decoded: DecodedCache | None = None) -> Indexer:
        """The indexer; ``decoded`` holds photos the worker's thumbnail pass decoded."""
        return Indexer(
            self.catalog,
            self.embedder,
            self.thumbnails,
            batch_size=self.settings.batch_size,
            decoded=decoded,
        )

    def after_embedding(self) -> PipelineResult:
        """Read keywords not read yet, then suggest tags for embeddings not tagged yet."""
        from clipdesk.sidecar_sync import import_keywords

        out = PipelineResult()
        unread = self.catalog.keywords_unread()
        if unread:
            report = import_keywords(self.catalog, unread, self.settings.sidecar_naming)
            out.keywords_read, out.keywords = len(unread), report.keywords
            out.new_tags, out.keyword_errors = report.new_tags, report.errors
        if self.catalog.has_unscored():  # only then is the model needed
            model_id = self.model_id
            ids = self.catalog.unscored(model_id)
            if ids:
                self.tagger.rescore(ids)
                with self.catalog.transaction():
                    self.catalog.mark_scored(model_id, ids)
                out.scored_ids = ids
        return out


__all__ = ["Library", "FolderNotFound", "ModelUnavailable", "PipelineResult"]
