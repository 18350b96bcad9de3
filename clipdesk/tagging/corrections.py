"""The user's decisions: confirm, reject or add a tag on photos, and undo.

A decision is stored with its time and source and automation never overwrites it:
re-scoring only touches rows in state ``suggested`` from source ``model``. Every
call is one undoable step, however many photos it covers.

Each decision and undo also puts its tag in the catalog's learning queue, in the same
transaction: whoever learns next (the worker, debounced, or a command when no worker
runs) retrains exactly those tags, whichever process made the decision.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

from clipdesk.catalog import Catalog
from clipdesk.tagging.states import STATE_ORDER, TagSource, TagState
from clipdesk.tagging.store import TagStore

STATES = ("confirmed", "rejected")


@dataclass(frozen=True)
class Undone:
    """What an undo reverted: how many photo-tags, of which tags, and the decision."""

    photos: int
    tag_ids: tuple[int, ...]
    state: str | None  # the decision that was undone (confirmed / rejected)
    photo_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class PhotoTag:
    tag: str
    state: TagState
    source: TagSource
    score: float | None
    updated_at: float

    def to_json(self) -> dict:
        return {
            "tag": self.tag,
            "state": str(self.state),
            "source": str(self.source),
            "score": self.score,
        }


def decide(
    catalog: Catalog,
    photo_ids: Iterable[int],
    tag_id: int,
    state: str,
    created_tags: Iterable[int] = (),
) -> int:
    """Confirm or reject ``tag_id`` on photos; returns the number of photos changed.

    ``created_tags``: tags made for this decision (a new tag and its new parents), which
    undoing it deletes again when nothing else uses them."""
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
        if changed:
            _queue_learning(catalog, [tag_id], now)
        created = sorted(set(created_tags))
        if created:
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                (f"created_by_batch:{batch}", json.dumps(created)),
            )
    return changed


def _queue_learning(catalog: Catalog, tag_ids: Iterable[int], now: float) -> None:
    catalog.conn.executemany(
        "INSERT OR REPLACE INTO learn_queue(tag_id, at) VALUES (?, ?)",
        [(t, now) for t in tag_ids],
    )


def _delete_unused_created(catalog: Catalog, batch: int) -> None:
    """Tags that the undone decision created go too, unless something uses them now."""
    key = f"created_by_batch:{batch}"
    row = catalog.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    catalog.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    for tag_id in sorted(json.loads(row[0]) if row else [], reverse=True):  # leaves first
        used = catalog.conn.execute(
            "SELECT 1 FROM photo_tags WHERE tag_id = ? UNION ALL "
            "SELECT 1 FROM tags WHERE parent_id = ? LIMIT 1",
            (tag_id, tag_id),
        ).fetchone()
        if not used:
            catalog.conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))


def queue_learning(catalog: Catalog, tag_ids: Iterable[int]) -> None:
    """Put tags in the learning queue without a correction: the next run that can load the
    model (index, retrain, the worker) retrains them and re-scores the library for them."""
    _queue_learning(catalog, tag_ids, time.time())


def pending_learning(catalog: Catalog) -> dict[int, float]:
    """Tags whose corrections changed since their head was last trained: {tag id: when}."""
    return dict(catalog.conn.execute("SELECT tag_id, at FROM learn_queue").fetchall())


def learned(catalog: Catalog, tag_ids: Iterable[int], before: float) -> None:
    """These tags were retrained from the corrections made before ``before``."""
    catalog.conn.executemany(
        "DELETE FROM learn_queue WHERE tag_id = ? AND at <= ?", [(t, before) for t in tag_ids]
    )


def last_at(catalog: Catalog) -> float | None:
    """When the most recent decision step still to undo was made (None: there is none)."""
    return catalog.conn.execute("SELECT MAX(at) FROM corrections").fetchone()[0]


def undo(catalog: Catalog) -> Undone:
    """Revert the most recent decision step."""
    conn = catalog.conn
    with catalog.transaction():
        row = conn.execute("SELECT MAX(batch) FROM corrections").fetchone()
        if row[0] is None:
            return Undone(0, (), None)
        entries = conn.execute(
            "SELECT photo_id, tag_id, old_state, old_source, old_score, new_state "
            "FROM corrections WHERE batch = ?",
            (row[0],),
        ).fetchall()
        for photo_id, tag_id, state, source, score, _ in entries:
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
        tag_ids = tuple(sorted({e[1] for e in entries}))
        _queue_learning(catalog, tag_ids, time.time())
        _delete_unused_created(catalog, row[0])  # their queue entries go with them
    photo_ids = tuple(sorted({e[0] for e in entries}))
    return Undone(len(entries), tag_ids, entries[0][5] if entries else None, photo_ids)


def tags_of(catalog: Catalog, photo_id: int) -> list[PhotoTag]:
    paths = TagStore(catalog).paths()
    rows = catalog.conn.execute(
        "SELECT tag_id, state, source, score, updated_at FROM photo_tags WHERE photo_id = ?",
        (photo_id,),
    ).fetchall()
    out = [
        PhotoTag(paths[r[0]], TagState(r[1]), TagSource(r[2]), r[3], r[4])
        for r in rows
        if r[0] in paths
    ]
    return sorted(out, key=lambda t: (STATE_ORDER[t.state], -(t.score or 0), t.tag))


def labels(catalog: Catalog, tag_id: int) -> tuple[list[int], list[int]]:
    """Photo ids the user confirmed / rejected for ``tag_id``."""
    rows = catalog.conn.execute(
        "SELECT photo_id, state FROM photo_tags WHERE tag_id = ? AND source IN ('user', 'imported')"
        " AND state IN ('confirmed', 'rejected')",
        (tag_id,),
    ).fetchall()
    return [p for p, s in rows if s == "confirmed"], [p for p, s in rows if s == "rejected"]
