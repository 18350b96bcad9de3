"""The user's decisions: confirm, reject or add a tag on photos, and undo.

A decision is stored with its time and source and automation never overwrites it:
re-scoring only touches rows in state ``suggested`` from source ``model``. Every
call is one undoable step, however many photos it covers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from clipdesk.catalog import Catalog
from clipdesk.tagging.store import TagStore

STATES = ("confirmed", "rejected")


@dataclass(frozen=True)
class PhotoTag:
    tag: str
    state: str
    source: str
    score: float | None
    updated_at: float

    def to_json(self) -> dict:
        return {"tag": self.tag, "state": self.state, "source": self.source, "score": self.score}


def decide(catalog: Catalog, photo_ids: Iterable[int], tag_id: int, state: str) -> int:
    """Confirm or reject ``tag_id`` on photos; returns the number of photos changed."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}")
    conn = catalog.conn
    now = time.time()
    changed = 0
    with catalog.transaction():
        batch = (conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM corrections").fetchone())[0]
        for photo_id in photo_ids:
            old = conn.execute(
                "SELECT state, source, score FROM photo_tags WHERE photo_id = ? AND tag_id = ?",
                (photo_id, tag_id),
            ).fetchone()
            if old and old[0] == state and old[1] == "user":
                continue
            conn.execute(
                "INSERT INTO corrections(batch, photo_id, tag_id, old_state, old_source, "
                "old_score, new_state, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (batch, photo_id, tag_id, *(old or (None, None, None)), state, now),
            )
            conn.execute(
                "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, updated_at) "
                "VALUES (?, ?, ?, 'user', ?, ?) ON CONFLICT(photo_id, tag_id) DO UPDATE SET "
                "state = excluded.state, source = 'user', updated_at = excluded.updated_at",
                (photo_id, tag_id, state, old[2] if old else None, now),
            )
            changed += 1
    return changed


def undo(catalog: Catalog) -> int:
    """Revert the most recent decision step; returns how many photo-tags it restored."""
    conn = catalog.conn
    with catalog.transaction():
        row = conn.execute("SELECT MAX(batch) FROM corrections").fetchone()
        if row[0] is None:
            return 0
        entries = conn.execute(
            "SELECT photo_id, tag_id, old_state, old_source, old_score FROM corrections "
            "WHERE batch = ?",
            (row[0],),
        ).fetchall()
        for photo_id, tag_id, state, source, score in entries:
            if state is None:
                conn.execute(
                    "DELETE FROM photo_tags WHERE photo_id = ? AND tag_id = ?", (photo_id, tag_id)
                )
            else:
                conn.execute(
                    "UPDATE photo_tags SET state = ?, source = ?, score = ?, updated_at = ? "
                    "WHERE photo_id = ? AND tag_id = ?",
                    (state, source, score, time.time(), photo_id, tag_id),
                )
        conn.execute("DELETE FROM corrections WHERE batch = ?", (row[0],))
    return len(entries)


def tags_of(catalog: Catalog, photo_id: int) -> list[PhotoTag]:
    paths = {t.id: t.path for t in TagStore(catalog).all()}
    rows = catalog.conn.execute(
        "SELECT tag_id, state, source, score, updated_at FROM photo_tags WHERE photo_id = ?",
        (photo_id,),
    ).fetchall()
    order = {"confirmed": 0, "suggested": 1, "rejected": 2}
    out = [PhotoTag(paths[r[0]], r[1], r[2], r[3], r[4]) for r in rows if r[0] in paths]
    return sorted(out, key=lambda t: (order[t.state], -(t.score or 0), t.tag))


def labels(catalog: Catalog, tag_id: int) -> tuple[list[int], list[int]]:
    """Photo ids the user confirmed / rejected for ``tag_id``."""
    rows = catalog.conn.execute(
        "SELECT photo_id, state FROM photo_tags WHERE tag_id = ? AND source IN ('user', 'imported')"
        " AND state IN ('confirmed', 'rejected')",
        (tag_id,),
    ).fetchall()
    return [p for p, s in rows if s == "confirmed"], [p for p, s in rows if s == "rejected"]
