"""Text and example search over the catalog's embeddings (no Qt).

Vectors are L2-normalised, so a score is the cosine similarity: one matrix-vector
product over the whole library, then a partial sort for the top hits.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.imaging import decode


@dataclass(frozen=True)
class Hit:
    path: str
    score: float
    width: int | None
    height: int | None
    photo_id: int

    def to_json(self) -> dict:
        return asdict(self)


class VectorIndex:
    """All embeddings of one model in memory, for repeated queries."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray):
        self.ids = ids
        self.matrix = matrix

    @classmethod
    def load(cls, catalog: Catalog, model_id: int) -> VectorIndex:
        return cls(*catalog.embedding_matrix(model_id))

    def __len__(self) -> int:
        return len(self.ids)

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
        scores = self.matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
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
    """Photo ids that have every tag in ``with_tags`` and none in ``without_tags``.

    A photo has a tag when it is confirmed or suggested (not rejected). None: no filter.
    """
    if not with_tags and not without_tags:
        return None
    ids = {r[0] for r in catalog.conn.execute("SELECT id FROM photos")}
    for tag_id in with_tags:
        ids &= _having(catalog, tag_id)
    for tag_id in without_tags:
        ids -= _having(catalog, tag_id)
    return np.fromiter(ids, np.int64, len(ids))


def _having(catalog: Catalog, tag_id: int) -> set[int]:
    rows = catalog.conn.execute(
        "SELECT photo_id FROM photo_tags WHERE tag_id = ? AND state != 'rejected'", (tag_id,)
    )
    return {r[0] for r in rows}


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
    path = Path(photo).expanduser().resolve()
    row = catalog.photo_by_path(path)
    vector = catalog.embedding(row.id, model_id) if row else None
    if vector is None:
        if not path.is_file():
            raise NotFound(f"no such photo: {photo}")
        image = decode(path, min_side=embedder.image_size).image
        vector = embedder.encode_images(embedder.preprocess(image)[None])[0]
    index = index or VectorIndex.load(catalog, model_id)
    return _hits(catalog, index.top(vector, limit, exclude=row.id if row else None, only=only))
