"""A named person's photo rows (the tag People|Name on photo_tags), kept from its faces, so
that people are tags like any other: the same tree, states, filters and export.

On a photo, a person's row is confirmed (source 'user') when one of its faces is confirmed
for the person, suggested (source 'model', the best face's similarity as its score) when one
is only suggested, and gone when no face is. A row the user or a sidecar set directly is
kept: only the rows the faces made are taken back, and a confirmed row only when the caller
says a confirmed face of that person left the photo (``unconfirmed``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from clipdesk.catalog import Catalog
from clipdesk.people import faces_db


def sync(
    catalog: Catalog,
    photo_ids: Iterable[int],
    unconfirmed: set[tuple[int, int]] = frozenset(),
    former: Iterable[int] = (),
) -> set[int]:
    """Bring these photos' person rows in line with their faces; ``unconfirmed``: (photo id,
    tag id) pairs whose confirmed face went; ``former``: tags that named a person before
    (an undone naming), whose rows the faces made go too. The tags whose rows changed."""
    named = faces_db.named_people(catalog)
    person_tags = set(named.values()) | set(former)
    conn, now = catalog.conn, time.time()
    changed: set[int] = set()
    for photo_id in sorted(set(photo_ids)):
        want: dict[int, tuple[str, float]] = {}
        for f in faces_db.faces_of(catalog, photo_id):
            tag = named.get(f.person_id) if f.person_id is not None else None
            if tag is None or f.state == "clustered":
                continue
            score = f.similarity if f.similarity is not None else 1.0
            old = want.get(tag)
            if f.state == "confirmed":
                want[tag] = ("confirmed", max(score, old[1] if old else 0.0))
            elif old is None or (old[0] == "suggested" and score > old[1]):
                want[tag] = ("suggested", score)
        have = {
            t: (state, source)
            for t, state, source in conn.execute(
                "SELECT tag_id, state, source FROM photo_tags WHERE photo_id = ?", (photo_id,)
            )
            if t in person_tags
        }
        for tag, (state, score) in want.items():
            old = have.get(tag)
            if old is None:
                source = "user" if state == "confirmed" else "model"
                conn.execute(
                    "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (photo_id, tag, state, source, score, now),
                )
            elif state == "confirmed" and old != ("confirmed", "user"):
                conn.execute(
                    "UPDATE photo_tags SET state = 'confirmed', source = 'user', score = ?, "
                    "updated_at = ? WHERE photo_id = ? AND tag_id = ?",
                    (score, now, photo_id, tag),
                )
            elif state == "suggested" and old == ("suggested", "model"):
                conn.execute(
                    "UPDATE photo_tags SET score = ? WHERE photo_id = ? AND tag_id = ?",
                    (score, photo_id, tag),
                )
                continue
            else:
                continue
            changed.add(tag)
        for tag, old in have.items():
            if tag in want:
                continue
            if old == ("suggested", "model") or (
                old == ("confirmed", "user") and (photo_id, tag) in unconfirmed
            ):
                conn.execute(
                    "DELETE FROM photo_tags WHERE photo_id = ? AND tag_id = ?", (photo_id, tag)
                )
                changed.add(tag)
    return changed
