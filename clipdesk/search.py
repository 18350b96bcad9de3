"""Text and example search over the catalog's embeddings (no Qt).

Vectors are L2-normalised, so a score is the cosine similarity: one matrix-vector
product over the whole library, then a partial sort for the top hits.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from clipdesk.catalog import Catalog, browse
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.catalog.vectors import DEFAULT_DTYPE, load_vectors
from clipdesk.embedding import Embedder
from clipdesk.pathnames import lookup_forms


@dataclass(frozen=True)
class Hit:
    path: str
    score: float
    width: int | None
    height: int | None
    photo_id: int

    def to_json(self) -> dict:
        return asdict(self)


# Rows scored per block when the matrix is float16: numpy has no fast float16 product, so
# each block is cast to float32 and multiplied by BLAS (benchmarks/search.py measures it).
BLOCK_ROWS = 16384


class VectorIndex:
    """All embeddings of one model, for repeated queries: memory-mapped from the
    search-ready file beside the catalog (catalog/vectors.py), float16 or float32."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray, source: str = "memory"):
        self.ids = ids
        self.matrix = matrix
        self.source = source

    @classmethod
    def load(cls, catalog: Catalog, model_id: int, dtype: str = DEFAULT_DTYPE) -> VectorIndex:
        v = load_vectors(catalog, model_id, dtype)
        return cls(v.ids, v.matrix, v.source)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of every row with ``query`` (float32, computed in float32)."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.matrix.dtype == np.float32:
            return self.matrix @ q
        out = np.empty(len(self.matrix), np.float32)
        for start in range(0, len(self.matrix), BLOCK_ROWS):
            block = self.matrix[start : start + BLOCK_ROWS]
            out[start : start + len(block)] = block.astype(np.float32) @ q
        return out

    def top(
        self,
        query: np.ndarray,
        limit: int,
        exclude: int | None = None,
        only: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """Best ``limit`` (id, score) pairs; ``only`` restricts to a set of photo ids."""
        if not len(self.ids) or limit <= 0:
            return []
        scores = self.scores(query)
        if exclude is not None:
            scores[self.ids == exclude] = -np.inf
        if only is not None:
            scores[~np.isin(self.ids, only)] = -np.inf
        k = min(limit, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in best if np.isfinite(scores[i])]


def _hits(catalog: Catalog, ranked: list[tuple[int, float]]) -> list[Hit]:
    hits = []
    for photo_id, score in ranked:
        row = catalog.photo(photo_id)
        if row is not None:
            hits.append(Hit(row.path, round(score, 6), row.width, row.height, photo_id))
    return hits


def tag_filter(
    catalog: Catalog, with_tags: list[int] = (), without_tags: list[int] = ()
) -> np.ndarray | None:
    """Photo ids that have every tag in ``with_tags`` and none in ``without_tags``, each tag
    standing for its whole subtree (the window's tag filter is the same query). None: no
    filter."""
    if not with_tags and not without_tags:
        return None
    flt = PhotoFilter(include_tags=tuple(with_tags), exclude_tags=tuple(without_tags))
    return browse.photo_ids(catalog, flt, include_failed=True)


Ranked = list[tuple[int, float]]


class SearchCache:
    """The vectors of the model in use kept in memory between queries, reloaded when the
    catalog's embedded photos change. One per thread (it uses that thread's catalog)."""

    def __init__(self, dtype: str = DEFAULT_DTYPE) -> None:
        self.dtype = dtype
        self._key: tuple | None = None
        self._index: VectorIndex | None = None

    def index(self, catalog: Catalog, embedder: Embedder) -> VectorIndex:
        model_id = catalog.model_id(embedder.name, embedder.dim)
        key = catalog.embedding_version(model_id)
        if self._index is None or key != self._key:
            self._index, self._key = VectorIndex.load(catalog, model_id, self.dtype), key
        return self._index

    def text(
        self, catalog: Catalog, embedder: Embedder, text: str, only=None, limit: int = 20
    ) -> Ranked:
        """Photos best matching a description."""
        index = self.index(catalog, embedder)
        return index.top(embedder.encode_texts([text])[0], limit, only=only)

    def similar(
        self, catalog: Catalog, embedder: Embedder, photo_id: int, only=None, limit: int = 20
    ) -> Ranked:
        """Photos most like one in the library."""
        vector = catalog.embedding(photo_id, catalog.model_id(embedder.name, embedder.dim))
        if vector is None:
            return []
        return self.index(catalog, embedder).top(vector, limit, exclude=photo_id, only=only)

    def prompts(
        self, catalog: Catalog, embedder: Embedder, prompts: list[str], limit: int = 20
    ) -> Ranked:
        """Photos a tag with these prompts would match best (the vocabulary's live strip)."""
        prompts = [p.strip() for p in prompts if p.strip()]
        if not prompts:
            return []
        v = embedder.encode_texts(prompts).mean(0)
        return self.index(catalog, embedder).top(v / max(float(np.linalg.norm(v)), 1e-12), limit)


def search_text(
    catalog: Catalog,
    embedder: Embedder,
    text: str,
    limit: int = 20,
    index: VectorIndex | None = None,
    only: np.ndarray | None = None,
) -> list[Hit]:
    """Photos ranked by how well they match ``text``, best first."""
    model_id = catalog.model_id(embedder.name, embedder.dim)
    index = index or VectorIndex.load(catalog, model_id)
    query = embedder.encode_texts([text])[0]
    return _hits(catalog, index.top(query, limit, only=only))


class NotFound(LookupError):
    pass


def search_similar(
    catalog: Catalog,
    embedder: Embedder,
    photo: str | os.PathLike[str],
    limit: int = 20,
    index: VectorIndex | None = None,
    only: np.ndarray | None = None,
) -> list[Hit]:
    """Photos most like ``photo``: one in the catalog, or any image file on disk."""
    model_id = catalog.model_id(embedder.name, embedder.dim)
    vector, row_id = example_vector(catalog, embedder, model_id, photo)
    index = index or VectorIndex.load(catalog, model_id)
    return _hits(catalog, index.top(vector, limit, exclude=row_id, only=only))


def example_vector(
    catalog: Catalog, embedder: Embedder, model_id: int, photo: str | os.PathLike[str]
) -> tuple[np.ndarray, int | None]:
    """An example photo's vector and its id in the catalog (None for a file outside it):
    the stored embedding of a photo in the library, else the file decoded and encoded."""
    path = Path(photo).expanduser().resolve()
    row = catalog.photo_by_path(path)
    if row is None:  # a name shown with \\xff escapes (not valid UTF-8)
        for form in lookup_forms(photo)[1:]:
            row = catalog.photo_by_path(Path(form).expanduser().resolve())
            path = Path(form).expanduser().resolve() if row else path
    vector = catalog.embedding(row.id, model_id) if row else None
    if vector is None:
        if not path.is_file():
            raise NotFound(f"no such photo: {photo}")
        from clipdesk.imaging import decode  # a text search never decodes a photo

        image = decode(path, min_side=embedder.image_size).image
        vector = embedder.encode_images(embedder.preprocess(image)[None])[0]
    return np.asarray(vector, np.float32), row.id if row else None
