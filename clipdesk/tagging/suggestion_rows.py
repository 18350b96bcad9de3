"""Writing suggestions: a chunk of photos x tags scored, compared with the rows the catalog
has, and the difference written in a few statements. The model's suggestions come and go
with the scores; a user's decision keeps its state (only its score is refreshed)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.tagging import head as heads


@dataclass
class RescoreResult:
    added: int = 0
    removed: int = 0
    updated: int = 0
    photo_ids: set[int] = field(default_factory=set)  # photos whose suggestions changed


def strongest(margin: np.ndarray, want: np.ndarray, k: int) -> np.ndarray:
    """Per row, the ``k`` wanted columns with the largest margin."""
    ranked = np.where(want, margin, -np.inf)
    order = np.argsort(-ranked, axis=1, kind="stable")[:, :k]
    keep = np.zeros_like(want)
    np.put_along_axis(keep, order, True, axis=1)
    return keep


def store(catalog: Catalog, chunk_ids, tag_ids, logits, want, existing: dict, result) -> None:
    """Write one chunk's suggestions: new ones, changed scores, and the model's old
    suggestions no longer wanted; a user's decision keeps its state (its score is
    refreshed for display)."""
    conn, now = catalog.conn, time.time()
    rows, cols = np.nonzero(want)
    scores = heads.sigmoid(logits[rows, cols]).tolist()
    photos, tags = chunk_ids[rows].tolist(), tag_ids[cols].tolist()
    inserts, updates, wanted = [], [], set()
    for key, score in zip(zip(photos, tags, strict=True), scores, strict=True):
        wanted.add(key)
        old = existing.get(key)
        if old is None:
            inserts.append((*key, score, now))
        elif old[1] == "model" and _moved(old[2], score):
            updates.append((score, *key))
    conn.executemany(
        "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, updated_at) "
        "VALUES (?, ?, 'suggested', 'model', ?, ?)",
        inserts,
    )
    score_sql = "UPDATE photo_tags SET score = ? WHERE photo_id = ? AND tag_id = ?"
    conn.executemany(score_sql, updates)
    row = {p: i for i, p in enumerate(chunk_ids.tolist())}
    col = {t: i for i, t in enumerate(tag_ids.tolist())}
    stale, decided = [], []
    for (p, t), v in existing.items():
        if v[:2] == ("suggested", "model"):
            if (p, t) not in wanted:
                stale.append((p, t))
        elif v[1] != "model":  # the user's (or an imported) decision: only its score
            score = float(heads.sigmoid(logits[row[p], col[t]]))
            if _moved(v[2], score):
                decided.append((score, p, t))
    conn.executemany("DELETE FROM photo_tags WHERE photo_id = ? AND tag_id = ?", stale)
    conn.executemany(score_sql, decided)
    result.added += len(inserts)
    result.updated += len(updates) + len(decided)
    result.removed += len(stale)
    result.photo_ids.update(k[0] for k in inserts)
    result.photo_ids.update(k[1] for k in (*updates, *decided))
    result.photo_ids.update(k[0] for k in stale)


def _moved(old: float | None, new: float) -> bool:
    """Whether a stored score is worth writing again (and the photo shown again)."""
    return old is None or abs(old - new) > 1e-4


def rows_of_tags(catalog: Catalog, tag_ids: np.ndarray) -> dict[int, list]:
    """Per photo, its rows of these tags (found by the tag index)."""
    marks = ",".join("?" * len(tag_ids))
    rows = catalog.conn.execute(
        f"SELECT photo_id, tag_id, state, source, score FROM photo_tags WHERE tag_id IN ({marks})",
        [int(t) for t in tag_ids],
    )
    out: dict[int, list] = {}
    for p, t, s, src, sc in rows:
        out.setdefault(p, []).append((t, (s, src, sc)))
    return out


def rows_of_photos(catalog: Catalog, photo_ids: np.ndarray, tag_ids: np.ndarray) -> dict:
    """These photos' rows of these tags, by (photo, tag)."""
    if not len(photo_ids):
        return {}
    lo, hi = int(photo_ids.min()), int(photo_ids.max())
    pset, tset = set(photo_ids.tolist()), set(tag_ids.tolist())
    rows = catalog.conn.execute(
        "SELECT photo_id, tag_id, state, source, score FROM photo_tags "
        "WHERE photo_id BETWEEN ? AND ?",
        (lo, hi),
    )
    return {(p, t): (s, src, sc) for p, t, s, src, sc in rows if p in pset and t in tset}
