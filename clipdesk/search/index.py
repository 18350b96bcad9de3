"""Text and example search over the catalog's embeddings (no Qt).

Vectors are L2-normalised, so a score is the cosine similarity: one matrix-vector
product over the whole library (over its compact int8 copy, then exactly over a shortlist,
for a large one), then a partial sort for the top hits.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from clipdesk.catalog import Catalog, browse
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.catalog.compact import Int8Scan, bound, quantise_query
from clipdesk.catalog.vectors import DEFAULT_DTYPE, Compact, load_vectors
from clipdesk.embedding import Embedder
from clipdesk.pathnames import lookup_forms

log = logging.getLogger(__name__)


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
# Below this many rows the exact float32 scan is as fast as the compact one (a query's
# fixed costs; benchmarks/search.py at 25k and 200k rows put the crossover near 100k).
COMPACT_MIN_ROWS = 100_000
# Rows re-scored exactly after the compact scan, at least (more when the bound asks).
SHORTLIST = 1000
# The query of an index that starts packing its compact scan in the background
# (catalog/compact.py): a one-off search (a CLI run) never pays for it; an index queried
# again (the window's SearchCache) scans compactly once packed, exactly until then.
PACK_ON_QUERY = 2


class VectorIndex:
    """All embeddings of one model, for repeated queries: memory-mapped from the
    search-ready file beside the catalog (catalog/vectors.py), float16 or float32.

    With the file's compact matrix (one byte per dimension) a query scans that, re-scores
    a shortlist exactly and widens the shortlist until no row left out can beat the exact
    top results (``catalog/compact.bound``): the results and scores are those of the
    exact scan (``top_exact``), at a quarter of the bytes read per query. ``above`` (every
    row over a score) re-scores exactly the rows the bound cannot rule out."""

    def __init__(
        self,
        ids: np.ndarray,
        matrix: np.ndarray,
        source: str = "memory",
        compact: Compact | None = None,
    ):
        self.ids = ids
        self.matrix = matrix
        self.source = source
        self.compact = compact
        self.rescored = 0  # rows re-scored exactly by the last compact query
        self._scan: Int8Scan | None = None
        self._queries = 0
        self._warned = False

    @classmethod
    def load(cls, catalog: Catalog, model_id: int, dtype: str = DEFAULT_DTYPE) -> VectorIndex:
        v = load_vectors(catalog, model_id, dtype)
        return cls(v.ids, v.matrix, v.source, v.compact)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of every row with ``query`` (float32, computed in float32)."""
        return self._product(np.asarray(query, dtype=np.float32).reshape(-1))

    def scores_at(self, rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
        """(len(rows), k): the cosine of these rows (positions) with each of ``queries``
        (k, dim)."""
        q = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1).T
        if len(rows) > len(self.ids) // 4:  # most of the matrix: one pass over all of it
            return self._product(q)[rows]
        out = np.empty((len(rows), q.shape[1]), np.float32)
        for start in range(0, len(rows), BLOCK_ROWS):
            part = rows[start : start + BLOCK_ROWS]
            out[start : start + len(part)] = np.asarray(self.matrix[part], np.float32) @ q
        return out

    def _product(self, q: np.ndarray) -> np.ndarray:
        if self.matrix.dtype == np.float32:
            return self.matrix @ q
        out = np.empty((len(self.matrix), *q.shape[1:]), np.float32)
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
        self._queries += 1
        if self._compact_ready(start=self._queries >= PACK_ON_QUERY):
            return self._top_compact(query, limit, exclude, only)
        return self.top_exact(query, limit, exclude, only)

    def pack(self, wait: bool = True) -> bool:
        """Start packing the compact scan now (``wait``: until done); whether it is ready."""
        if self._compact_ready(start=True) or not wait or self._scan is None:
            return self._compact_ready(start=False)
        self._scan.wait()
        return self._compact_ready(start=False)

    def _compact_ready(self, start: bool) -> bool:
        if self.compact is None or len(self.ids) < COMPACT_MIN_ROWS:
            return False
        if self._scan is None and start:
            self._scan = Int8Scan(self.compact.codes)
        if self._scan is not None and self._scan.failed and not self._warned:
            log.warning("the compact vector scan is unavailable: %s", self._scan.failed)
            self._warned = True
        return self._scan is not None and self._scan.ready

    def _mask(self, scores: np.ndarray, exclude, only) -> None:
        if exclude is not None:
            scores[self.ids == exclude] = -np.inf
        if only is not None:
            scores[~np.isin(self.ids, only)] = -np.inf

    def top_exact(self, query, limit: int, exclude=None, only=None) -> list[tuple[int, float]]:
        """``top`` by scoring every row of the float matrix (no compact scan)."""
        if not len(self.ids) or limit <= 0:
            return []
        scores = self.scores(query)
        self._mask(scores, exclude, only)
        k = min(limit, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in best if np.isfinite(scores[i])]

    def _exact(self, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        # einsum, not BLAS: a shortlist is small, and OpenBLAS's threads would stay
        # spinning for a while after it, in the way of the next query's text encoder; in
        # blocks, so that a long list of rows (``above``) is never all copied at once
        out = np.empty(len(rows), np.float32)
        for start in range(0, len(rows), BLOCK_ROWS):
            part = np.asarray(self.matrix[rows[start : start + BLOCK_ROWS]], np.float32)
            out[start : start + len(part)] = np.einsum("ij,j->i", part, q)
        return out

    def above(
        self, query: np.ndarray, threshold: float, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every row scoring at least ``threshold``: (row positions, ascending; their exact
        scores). ``mask`` (a bool per row) limits the rows considered. With the compact scan,
        only the rows whose approximate score could reach the threshold are scored exactly."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if not len(self.ids):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        self._queries += 1
        if self._compact_ready(start=self._queries >= PACK_ON_QUERY):
            approx, slack = self._approximate(q)
            near = approx >= threshold - slack
            if mask is not None:
                near &= mask
            rows = np.flatnonzero(near)
            if len(rows) <= len(approx) // 4:  # else the exact scan costs less
                exact = self._exact(rows, q)
                keep = exact >= threshold
                self.rescored = len(rows)
                return rows[keep], exact[keep]
        scores = self.scores(q)
        keep = scores >= threshold
        if mask is not None:
            keep &= mask
        rows = np.flatnonzero(keep)
        return rows, scores[rows]

    def _approximate(self, q: np.ndarray) -> tuple[np.ndarray, float]:
        """Every row's approximate score by the compact scan, and how far it may be off."""
        b, t, q_err, q_norm = quantise_query(q)
        approx = self._scan.dots(b).astype(np.float32)
        approx *= self.compact.scales
        approx *= t
        return approx, bound(q_err, q_norm, self.compact.row_err)

    def _top_compact(self, query, limit: int, exclude, only) -> list[tuple[int, float]]:
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        approx, slack = self._approximate(q)
        self._mask(approx, exclude, only)
        n = len(approx)
        m = min(max(SHORTLIST, 4 * limit), n)
        rows = np.argpartition(-approx, m - 1)[:m]
        rows = np.sort(rows[np.isfinite(approx[rows])])  # in file order: fewer page reads
        if not len(rows):
            return []
        exact = self._exact(rows, q)
        k = min(limit, len(rows))
        kth = float(np.partition(exact, len(exact) - k)[len(exact) - k])
        # A row outside the shortlist scores at most its approximate score plus the bound:
        # the ones that could still beat the k-th exact score are re-scored too.
        approx[rows] = -np.inf
        more = np.flatnonzero(approx >= kth - slack)
        if len(more) > n // 4:  # the bound is too loose to help: score every row
            self.rescored = n
            return self.top_exact(q, limit, exclude, only)
        if len(more):
            rows = np.concatenate([rows, more])
            exact = np.concatenate([exact, self._exact(more, q)])
        self.rescored = len(rows)
        best = np.argsort(-exact, kind="stable")[:limit]
        return [(int(self.ids[rows[i]]), float(exact[i])) for i in best]


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
