"""Vectors made elsewhere (a Ray cluster, ``clipdesk cluster-embed``) brought into the
catalog by content, never by path: the cluster's mount of the archive need not be the
desktop's.

Every imported vector goes into ``pending_vectors`` keyed by (content hash, size, model);
:func:`adopt_pending` then gives it to each present photo with that content that has no
vector for the model yet, exactly as the indexer would have stored it (decoded size,
orientation, capture time, status ``indexed``, ``scored = 0`` so that the pipeline after
embedding tags it), and drops the pending rows whose content now has its vector. What
matches no photo stays pending until a scan finds it (``clipdesk add`` of that folder),
so the order of `import-embeddings` and `add` does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from clipdesk.catalog.db import Catalog


@dataclass(frozen=True)
class ImportedVector:
    """One photo's vector as a cluster made it (the content's identity, what the decode
    saw, and the L2-normalised float32 vector)."""

    hash: str
    size: int
    width: int
    height: int
    orientation: int
    taken_at: str | None
    vector: np.ndarray


NORM_TOLERANCE = 0.02  # an L2-normalised float32 (or float16) vector's norm is 1 within this


def vector_problems(matrix: np.ndarray, dim: int) -> tuple[int, str] | None:
    """The first row of ``matrix`` (rows of vectors) that is no vector of a model of
    dimension ``dim`` (wrong size, NaN or infinite values, a norm away from 1, every value
    the same), as (row, reason); None when every row is sound. Such a vector would break
    or poison every search, so no import keeps one."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[1] != dim:
        size = matrix.shape[-1] if matrix.ndim else 0
        return 0, f"the vector has {size} values, but the model's vectors have {dim}"
    if not len(matrix):
        return None
    wide = matrix.astype(np.float64)
    finite = np.isfinite(wide).all(axis=1)
    clean = np.where(np.isfinite(wide), wide, 0.0)
    norms = np.linalg.norm(clean, axis=1)
    constant = (np.ptp(clean, axis=1) == 0) & (dim > 1)
    bad = ~finite | constant | (np.abs(norms - 1.0) > NORM_TOLERANCE)
    if not bad.any():
        return None
    row = int(np.argmax(bad))
    if not finite[row]:
        return row, "the vector holds NaN or infinite values"
    if abs(norms[row] - 1.0) > NORM_TOLERANCE:
        return row, f"the vector's length (L2 norm) is {norms[row]:.4g}, not 1"
    return row, f"every value of the vector is {wide[row, 0]:g}"


def stage_vectors(
    catalog: Catalog, model_id: int, rows: Iterable[ImportedVector], only_known: bool = False
) -> int:
    """Keep ``rows`` as pending vectors of ``model_id`` (inside the caller's transaction),
    except content that has its vector already (and, with ``only_known``, content no photo
    of the catalog has); content already pending keeps its first vector. How many rows
    were new."""
    rows = list(rows)
    dim = catalog.conn.execute("SELECT dim FROM models WHERE id = ?", (model_id,)).fetchone()[0]
    if rows:
        problem = vector_problems(np.stack([r.vector for r in rows]), dim)
        if problem is not None:  # `import-embeddings` checks every row first: a bug
            raise ValueError(f"imported vector {problem[0]}: {problem[1]}")
    known = "AND EXISTS (SELECT 1 FROM photos WHERE hash = ?2 AND size = ?3)" if only_known else ""
    before = catalog.conn.total_changes
    catalog.conn.executemany(
        "INSERT OR IGNORE INTO pending_vectors"
        "(model_id, hash, size, width, height, orientation, taken_at, vector) "
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE NOT EXISTS (SELECT 1 FROM photos p "
        "JOIN embeddings e ON e.photo_id = p.id AND e.model_id = ?1 "
        f"WHERE p.hash = ?2 AND p.size = ?3) {known}",
        [
            (
                model_id,
                r.hash,
                r.size,
                r.width,
                r.height,
                r.orientation,
                r.taken_at,
                np.ascontiguousarray(r.vector, dtype=np.float32).tobytes(),
            )
            for r in rows
        ],
    )
    return catalog.conn.total_changes - before


def has_pending(catalog: Catalog) -> bool:
    """Whether any imported vector waits for its photo (one tiny query)."""
    return catalog.conn.execute("SELECT 1 FROM pending_vectors LIMIT 1").fetchone() is not None


def pending_count(catalog: Catalog, model_id: int | None = None) -> int:
    """How many imported vectors wait for a photo with their content."""
    if model_id is None:
        return catalog.conn.execute("SELECT COUNT(*) FROM pending_vectors").fetchone()[0]
    return catalog.conn.execute(
        "SELECT COUNT(*) FROM pending_vectors WHERE model_id = ?", (model_id,)
    ).fetchone()[0]


def adopt_pending(catalog: Catalog) -> list[int]:
    """Give pending vectors to the present photos with their content and no vector for
    that model yet; forget the pending vectors whose content has one now. The ids of the
    photos that got a vector. One transaction; a few set-based statements."""
    if not has_pending(catalog):
        return []
    with catalog.transaction():
        conn = catalog.conn
        conn.execute("DROP TABLE IF EXISTS temp.adopt")
        conn.execute(
            "CREATE TEMP TABLE adopt AS SELECT p.id AS photo_id, v.id AS pending_id "
            "FROM pending_vectors v JOIN photos p ON p.hash = v.hash AND p.size = v.size "
            "WHERE p.status IN ('new', 'indexed') AND NOT EXISTS (SELECT 1 FROM embeddings e "
            "WHERE e.photo_id = p.id AND e.model_id = v.model_id)"
        )
        ids = [r[0] for r in conn.execute("SELECT DISTINCT photo_id FROM adopt ORDER BY 1")]
        if ids:
            # What the indexer's set_decoded writes; the thumbnail is made by the catch-up
            # for photos indexed without one (indexer.make_missing_thumbnails).
            conn.execute(
                "UPDATE photos SET width = v.width, height = v.height, "
                "orientation = v.orientation, taken_at = v.taken_at, status = 'indexed', "
                "error = NULL, thumb_missing = 1, "
                "updated_at = (julianday('now') - 2440587.5) * 86400.0 "
                "FROM adopt a JOIN pending_vectors v ON v.id = a.pending_id "
                "WHERE photos.id = a.photo_id"
            )
            conn.execute(
                "INSERT OR IGNORE INTO embeddings(photo_id, model_id, vector) "
                "SELECT a.photo_id, v.model_id, v.vector FROM adopt a "
                "JOIN pending_vectors v ON v.id = a.pending_id ORDER BY a.photo_id"
            )
        conn.execute(
            "DELETE FROM pending_vectors WHERE EXISTS (SELECT 1 FROM photos p "
            "JOIN embeddings e ON e.photo_id = p.id WHERE p.hash = pending_vectors.hash "
            "AND p.size = pending_vectors.size AND e.model_id = pending_vectors.model_id)"
        )
        conn.execute("DROP TABLE temp.adopt")
    return ids
