"""The jobs the windows hand to the worker: each takes the worker's Library (no Qt).

They run on the worker thread, the catalog's one writer. Searches run there too because
the model lives there; :class:`SearchCache` keeps the vectors in memory between queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipdesk.library import Library
from clipdesk.search import VectorIndex
from clipdesk.tagging import corrections
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import dump

Ranked = list[tuple[int, float]]


class SearchCache:
    """The embedding matrix of the model in use, reloaded when the catalog's photos change.

    Only the worker thread touches it.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._index: VectorIndex | None = None

    def index(self, lib: Library) -> VectorIndex:
        cat = lib.catalog
        model_id = cat.model_id(lib.embedder.name, lib.embedder.dim)
        key = (
            model_id,
            *cat.conn.execute(
                "SELECT COUNT(*), MAX(photo_id) FROM embeddings WHERE model_id = ?", (model_id,)
            ).fetchone(),
            cat.conn.execute("SELECT COUNT(*) FROM photos WHERE status = 'indexed'").fetchone(),
        )
        if self._index is None or key != self._key:
            self._index, self._key = VectorIndex.load(cat, model_id), key
        return self._index

    def text(self, lib: Library, text: str, only: np.ndarray | None, limit: int) -> Ranked:
        """Photos best matching a description."""
        index = self.index(lib)
        return index.top(lib.embedder.encode_texts([text])[0], limit, only=only)

    def similar(self, lib: Library, photo_id: int, only: np.ndarray | None, limit: int) -> Ranked:
        """Photos most like one in the library."""
        model_id = lib.catalog.model_id(lib.embedder.name, lib.embedder.dim)
        vector = lib.catalog.embedding(photo_id, model_id)
        if vector is None:
            return []
        return self.index(lib).top(vector, limit, exclude=photo_id, only=only)

    def prompts(self, lib: Library, prompts: list[str], limit: int) -> Ranked:
        """Photos a tag with these prompts would match best (the vocabulary's live strip)."""
        prompts = [p.strip() for p in prompts if p.strip()]
        if not prompts:
            return []
        v = lib.embedder.encode_texts(prompts).mean(0)
        return self.index(lib).top(v / max(float(np.linalg.norm(v)), 1e-12), limit)


# -- decisions ---------------------------------------------------------------------------


def decide(lib: Library, photo_ids: list[int], tag_id: int, state: str) -> int:
    """Confirm or reject a tag on photos (one undoable step)."""
    return corrections.decide(lib.catalog, photo_ids, tag_id, state)


def add_tag(lib: Library, photo_ids: list[int], path: str) -> int:
    """Confirm a tag on photos, creating the tag when it is new; returns its id."""
    store = TagStore(lib.catalog)
    with lib.catalog.transaction():
        tag_id = store.ensure(path)
    corrections.decide(lib.catalog, photo_ids, tag_id, "confirmed")
    return tag_id


def undo(lib: Library) -> tuple[int, list[int]]:
    """Undo the last decision step: (photo-tags restored, tags touched)."""
    rows = lib.catalog.conn.execute(
        "SELECT DISTINCT tag_id FROM corrections WHERE batch = (SELECT MAX(batch) FROM corrections)"
    ).fetchall()
    return corrections.undo(lib.catalog), [r[0] for r in rows]


# -- review ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    photo_id: int
    path: str
    tag_id: int
    tag: str
    score: float
    suggested: bool


def review_queue(lib: Library, limit: int = 50) -> list[ReviewItem]:
    """The undecided photo-tag pairs the model is least sure about."""
    TagStore(lib.catalog).seed_default()
    ids = {t.path: t.id for t in TagStore(lib.catalog).all()}
    return [
        ReviewItem(i.photo_id, i.path, ids[i.tag], i.tag, i.score, i.suggested)
        for i in lib.tagger.review(None, limit)
        if i.tag in ids
    ]


def learning_report(lib: Library) -> list[dict]:
    """Per tag with corrections: confirmed and rejected counts, held-out precision."""
    return [r for r in lib.tagger.report() if r["confirmed"] or r["rejected"]]


# -- vocabulary --------------------------------------------------------------------------


def save_tag(
    lib: Library,
    tag_id: int,
    path: str,
    prompts: list[str],
    threshold: float,
    enabled: bool,
) -> None:
    """Apply an edited tag and bring its suggestions up to date."""
    store = TagStore(lib.catalog)
    current = {t.id: t for t in store.all()}.get(tag_id)
    if current is None:
        return
    if path != current.path:
        store.rename(tag_id, path)
    with lib.catalog.transaction():
        store.update(tag_id, prompts=prompts, threshold=threshold, enabled=enabled)
    if _has_embeddings(lib):
        lib.tagger.rescore(None, [tag_id])


def create_tag(lib: Library, path: str) -> int:
    """A new tag (with default prompts around its name)."""
    with lib.catalog.transaction():
        tag_id = TagStore(lib.catalog).ensure(path)
    if _has_embeddings(lib):
        lib.tagger.rescore(None, [tag_id])
    return tag_id


def delete_tag(lib: Library, tag_id: int) -> None:
    """Delete a tag, its children and their assignments."""
    with lib.catalog.transaction():
        TagStore(lib.catalog).delete(tag_id)


def import_vocabulary(lib: Library, path: str) -> tuple[int, int]:
    """Merge a YAML or JSON vocabulary: (added, updated); re-scores when photos exist."""
    store = TagStore(lib.catalog)
    store.seed_default()
    result = store.import_file(path)
    if _has_embeddings(lib):
        lib.tagger.rescore(None)
    return result


def export_vocabulary(lib: Library, path: str) -> int:
    """Write the vocabulary (JSON when the name ends in .json, else YAML); the tag count."""
    store = TagStore(lib.catalog)
    specs = store.export_specs()
    fmt = "json" if path.lower().endswith(".json") else "yaml"
    Path(path).write_text(dump(specs, fmt), encoding="utf-8")
    return len(specs)


def seed_vocabulary(lib: Library) -> bool:
    """Give a new catalog the default vocabulary."""
    return TagStore(lib.catalog).seed_default()


def _has_embeddings(lib: Library) -> bool:
    return lib.catalog.conn.execute("SELECT 1 FROM embeddings LIMIT 1").fetchone() is not None
