"""One opened library: the user's paths, settings and catalog, the model in use (loaded
lazily), and the pipeline a photo takes after it is embedded.

Every way a photo comes in (``clipdesk add``/``index``, the worker behind the window and
``clipdesk watch``) goes through :meth:`Library.after_embedding`, which works from the
catalog's state rather than from "what this run embedded": keywords not read yet are
read, embeddings not tagged yet are tagged. A run stopped between the stages is finished
by the next one.

The model is loaded only when something needs it: photos to embed, a text to encode, a
tag whose vector is not in the catalog yet. Everything else (the model's id, its tag
vectors, its logit scale) comes from the catalog. A run that must not load it at all (a
command that works from the catalog) sets ``allow_model = False``; then what needs the
model raises :class:`~clipdesk.errors.ModelNeeded`, and the caller leaves that work to
the next run that has it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.catalog import SCHEMA_VERSION, Catalog
from clipdesk.embedding import Embedder, ModelSpec, ModelUnavailable, load_embedder, parse_model
from clipdesk.embedding.choice import EngineChoice
from clipdesk.errors import ModelNeeded
from clipdesk.home import AppPaths, app_paths
from clipdesk.progress import Cancel
from clipdesk.settings import Settings

if TYPE_CHECKING:  # imaging, the indexer and the scanner load when a command needs them
    from clipdesk.embedding.download import DownloadHooks
    from clipdesk.imaging import ThumbnailCache
    from clipdesk.pipeline.decoded import DecodedCache
    from clipdesk.pipeline.indexer import Indexer


class FolderNotFound(FileNotFoundError):
    pass


class ModelDownloading(ModelUnavailable):
    """The model's weights are being downloaded (by the window's worker): what needs the
    model waits for them."""


def _unwritable(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, PermissionError) or "readonly" in text or "unable to open" in text


@dataclass
class PipelineResult:
    """What :meth:`Library.after_embedding` did."""

    keywords_read: int = 0  # photos whose sidecars/embedded keywords were read
    keywords: int = 0  # keywords that became tags on photos
    new_tags: list[str] = field(default_factory=list)
    keyword_errors: list[tuple[str, str]] = field(default_factory=list)
    scored_ids: list[int] = field(default_factory=list)  # photos whose suggestions were made
    faces: int = 0  # faces found (the face step, after tagging)
    placed: int = 0  # photos given a place from their GPS position (the places step)
    text: int = 0  # photos whose words were read (the text step, after faces)


STEP_SWITCHES = ("faces", "places", "text")
"""The settings that turn a step of the pipeline on or off while it runs (no restart)."""


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
        self.readonly = False  # the catalog could only be opened for reading
        self._embedder: Embedder | None = None
        self._tagger = None
        self.allow_model = True  # False: work from the catalog alone, never load the model
        # Weights to download report here (the CLI's progress bar, Ctrl-C as the cancel).
        self.download: DownloadHooks | None = None
        # True: downloads run elsewhere (the worker's own thread): loading waits for them.
        self.download_elsewhere = False
        # Hears what each action changed (an ops.changes.OpChanges): the worker's, or None.
        self.on_change: Callable[[Any], None] | None = None
        self.no_faces = False  # this run looks for no faces (the flag; the setting is kept)
        self.no_text = False  # this run reads no words in photos (the flag; the setting is kept)
        self.no_places = False  # this run names no places from GPS (the flag; the setting is kept)
        # Hears that the model is about to load (its weights downloaded), and whether it is
        # exported to ONNX first (``exports_first``): the terminal says so before the wait.
        self.on_model_load: Callable[[bool], None] | None = None

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog, opened for writing; a new one gets the vocabulary that suits the
        model (the test model knows only coloured shapes), once."""
        try:
            catalog = Catalog(self.paths.catalog)
        except (sqlite3.OperationalError, PermissionError) as exc:
            # A read-only catalog (or data folder) still serves the commands that only read;
            # the first write says it is read-only (the CLI's error boundary).
            if not self.paths.catalog.exists() or not _unwritable(exc):
                raise
            catalog = Catalog(self.paths.catalog, readonly=True)
            if catalog.schema_version() != SCHEMA_VERSION:
                catalog.close()
                raise
            self.readonly = True
            return catalog
        if not catalog.vocabulary_seeded():  # (the tag machinery only for a new catalog)
            from clipdesk.tagging.store import TagStore
            from clipdesk.tagging.vocabulary import default_vocabulary_for

            TagStore(catalog).seed_default(default_vocabulary_for(self.engine.model_name))
        return catalog

    @cached_property
    def face_engine(self):
        """The face detector and embedder (clipdesk.faces), loaded on first use."""
        from clipdesk.faces import FaceEngine

        return FaceEngine()

    @cached_property
    def kept_for_faces(self):
        from clipdesk.pipeline.face_inputs import FaceInputs

        return FaceInputs()

    @property
    def face_inputs(self):
        """The reduced decodes kept for the face step (face_inputs.py); None: faces off."""
        return self.kept_for_faces if self.faces_on else None

    def use_switches(self, **on: bool) -> None:
        """The window saved new settings (``STEP_SWITCHES``): the steps they turn on run from
        now on, those they turn off stop at their next chunk."""
        for name, value in on.items():
            setattr(self.settings, name, value)
        if not self.faces_on:
            self.drop_face_inputs()

    def drop_face_inputs(self) -> None:
        """Faces were turned off: free the decodes kept for them (up to 192 MB)."""
        if "kept_for_faces" in self.__dict__:
            self.kept_for_faces.clear()

    @property
    def faces_on(self) -> bool:
        """Faces are looked for (the setting; ``clipdesk --no-faces`` turns it off)."""
        return bool(self.settings.faces) and not self.no_faces

    @property
    def places_on(self) -> bool:
        """Places are named from GPS (the setting; ``clipdesk --no-places`` turns it off)."""
        return bool(self.settings.places) and not self.no_places

    @property
    def text_on(self) -> bool:
        """Words in photos are read (the setting; ``clipdesk --no-text`` turns it off)."""
        return bool(self.settings.text) and not self.no_text

    @cached_property
    def text_reader(self):
        """The OCR engine (clipdesk.text), loaded when a photo first needs reading."""
        from clipdesk.text import TextReader

        return TextReader()

    @property
    def thumbnails(self) -> ThumbnailCache:
        from clipdesk.imaging import ThumbnailCache

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

    @cached_property
    def model_name(self) -> str:
        """The canonical name the model's embeddings are stored under (no model loaded, nor
        open_clip imported: the name is checked when the model is needed)."""
        model = self.engine.model
        return parse_model(model, check=False).name if isinstance(model, str) else model.name

    @property
    def embedder(self) -> Embedder:
        """The model, loaded on first use (ModelNeeded where this run may not load it)."""
        if self._embedder is None:
            if not self.allow_model:
                raise ModelNeeded(f"this command works without loading {self.model_name}")
            if self.download_elsewhere and self.needs_download():
                raise ModelDownloading(
                    f"the weights for {self.model_name} are not downloaded yet; the photos are "
                    "tagged once they are"
                )
            if self.on_model_load is not None:
                self._announce_load(self.on_model_load)
            self._embedder = load_embedder(
                self.engine.model,
                backend=self.engine.backend,
                int8=self.engine.int8,
                weights_dir=self.paths.model_weights,
                onnx_dir=self.paths.onnx_models,
                download=self.download,
            )
        return self._embedder

    def _announce_load(self, hear: Callable[[bool], None]) -> None:
        """Tell ``hear`` whether the load exports the model first. Weights that must be
        downloaded for that export come first, with their own progress (or their one-line
        failure), so that the export is told just before it starts."""
        try:
            exporting = self.exports_first()
            download = exporting and self.needs_download()
        except ModuleNotFoundError:  # torch or open_clip will not import: the load says so
            return
        if download:
            self.download_weights(self.download)
        hear(exporting)

    def exports_first(self) -> bool:
        """Whether loading the model exports it to ONNX first (ONNX Runtime, and no cached
        or prebuilt export yet): the long first load. Loads nothing."""
        from clipdesk.embedding.backends import plan_backend
        from clipdesk.embedding.onnx_runtime import cached_export
        from clipdesk.embedding.prebuilt import missing_torch_stack

        plan = plan_backend(self.engine.backend, self.engine.int8, ask_torch=False)
        if plan is None or not plan.usable or plan.backend != "onnx":
            return False  # torch runs it: nothing to export
        if missing_torch_stack():
            return False  # nothing to export with: loading says what to do
        return cached_export(self._spec(), self.paths.model_weights, self.paths.onnx_models) is None

    def _spec(self) -> ModelSpec:
        model = self.engine.model
        return parse_model(model) if isinstance(model, str) else model

    def check_model(self) -> None:
        """Raise ModelUnavailable, saying why, when the model's name cannot work (an unknown
        architecture or pretrained tag); loads nothing."""
        self._spec()

    def needs_download(self) -> bool:
        """Whether the model's weights must be downloaded before it can load (no network)."""
        from clipdesk.embedding.weights import needs_download

        return self._embedder is None and needs_download(
            self._spec(), self.paths.model_weights, self.paths.onnx_models
        )

    def download_weights(self, hooks: DownloadHooks | None = None) -> Path:
        """Download the model's weights into the cache (resumed, verified). Touches no
        catalog, so it may run on any thread."""
        from clipdesk.embedding.weights import download_weights

        return download_weights(self._spec(), self.paths.model_weights, hooks)

    @property
    def model_loaded(self) -> bool:
        """Whether this library has loaded its model (for tests and benchmarks)."""
        return self._embedder is not None

    @property
    def known_model_id(self) -> int | None:
        """The model's id in the catalog; None while no photo was embedded with it."""
        known = self.catalog.find_model(self.model_name)
        return known[0] if known else None

    @property
    def loaded_embedder(self) -> Embedder | None:
        """The model if it is loaded already, else None (this never loads it)."""
        return self._embedder

    @property
    def model_id(self) -> int:
        """The model's id in the catalog (loading the model only to register a new one)."""
        known = self.known_model_id
        if known is not None:
            return known
        return self.catalog.model_id(self.embedder.name, self.embedder.dim)

    def has_embeddings(self) -> bool:
        """Whether any photo is embedded with the model in use."""
        known = self.known_model_id
        return known is not None and self.catalog.has_embeddings(known)

    def needs_embedding(self) -> bool:
        """Whether any present photo has no embedding for the model in use (no model needed
        to ask)."""
        return self.catalog.has_pending(self.known_model_id)

    @property
    def tagger(self):
        from clipdesk.tagging.tagger import Tagger

        if self._tagger is None or self._tagger.catalog is not self.catalog:
            self._tagger = Tagger(self.catalog, lambda: self.embedder, self.model_name)
        return self._tagger

    # -- the pipeline ------------------------------------------------------------------

    def adopt_imported(self) -> list[int]:
        """Photos whose content came with a vector from ``clipdesk import-embeddings`` take
        it instead of being embedded (one tiny query when nothing was imported)."""
        from clipdesk.catalog.imports import adopt_pending

        return adopt_pending(self.catalog)

    def indexer(self, decoded: DecodedCache | None = None) -> Indexer:
        """The indexer; ``decoded`` holds photos the worker's thumbnail pass decoded."""
        from clipdesk.pipeline.indexer import Indexer

        return Indexer(
            self.catalog,
            self.embedder,
            self.thumbnails,
            batch_size=self.settings.batch_size,
            decoded=decoded,
            face_inputs=self.face_inputs,
        )

    def after_embedding(self, cancel: Cancel | None = None) -> PipelineResult:
        """Read keywords not read yet, then suggest tags for embeddings not tagged yet.
        ``cancel`` stops it between photos or batches; the next run goes on from there."""
        out = PipelineResult()
        unread = self.catalog.keywords_unread()
        if unread:
            from clipdesk.sidecars.sync import import_keywords  # the XMP engine, when needed

            s = self.settings
            report = import_keywords(
                self.catalog, unread, s.sidecar_naming, s.sidecar_pair_raw, cancel=cancel
            )
            out.keywords_read, out.keywords = len(unread), report.keywords
            out.new_tags, out.keyword_errors = report.new_tags, report.errors
        model_id = self.known_model_id
        if model_id is not None and self.allow_model and self.catalog.has_embeddings(model_id):
            self.tagger.fill_cache(cancel)  # once, for a catalog that lacks tag vectors or facts
        if cancel is not None and cancel.is_set():
            return out
        if model_id is not None and self.catalog.has_unscored():
            ids = self.catalog.unscored(model_id)
            if ids:  # the model loads only if a tag's vector is not in the catalog
                self.tagger.rescore(ids)
                with self.catalog.transaction():
                    self.catalog.mark_scored(model_id, ids)
                out.scored_ids = ids
        return out


__all__ = ["Library", "FolderNotFound", "ModelUnavailable", "PipelineResult"]
