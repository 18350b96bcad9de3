"""Forgetting photos whose files are gone: their records, and everything that hangs on
them (embeddings, tags, decisions, sidecar records: the schema's ON DELETE CASCADE).

Only records whose status is still ``missing`` when the delete runs go: a photo that came
back in between (a scan restored it) is never forgotten. The photo files are not touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from clipdesk.catalog.db import Catalog
from clipdesk.pathnames import from_db

_CHUNK = 500  # ids per statement, well under SQLite's limit on parameters


@dataclass(frozen=True)
class MissingPhoto:
    id: int
    folder_id: int
    path: str


@dataclass(frozen=True)
class TagsOn:
    """The tags some photos carry: how many, how many of them the user decided, and which
    tags (all of them; the decided ones)."""

    tags: int
    decisions: int
    tag_ids: frozenset[int]
    decided_tag_ids: frozenset[int]


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted({int(i) for i in ids})
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def missing_photos(catalog: Catalog, folder_ids: Iterable[int] | None = None) -> list[MissingPhoto]:
    """The photos whose files were not found (in these folders; default: every folder),
    in path order."""
    rows = catalog.conn.execute(
        "SELECT id, folder_id, path FROM photos WHERE status = 'missing' ORDER BY path"
    ).fetchall()
    wanted = None if folder_ids is None else set(folder_ids)
    return [MissingPhoto(i, f, from_db(p)) for i, f, p in rows if wanted is None or f in wanted]


def tags_on(catalog: Catalog, photo_ids: Iterable[int]) -> TagsOn:
    """The tags on these photos: suggested, confirmed or rejected, and the user's decisions
    among them."""
    tags = decisions = 0
    tag_ids: set[int] = set()
    decided: set[int] = set()
    for chunk in _chunks(photo_ids):
        rows = catalog.conn.execute(
            "SELECT tag_id, source = 'user' AND state IN ('confirmed', 'rejected') "
            f"FROM photo_tags WHERE photo_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for tag_id, by_user in rows:
            tags += 1
            tag_ids.add(tag_id)
            if by_user:
                decisions += 1
                decided.add(tag_id)
    return TagsOn(tags, decisions, frozenset(tag_ids), frozenset(decided))


@dataclass(frozen=True)
class Forgot:
    """What :func:`forget_missing` deleted: the photos, the tags they carried, and the
    contents (hash, size) that no record holds any more (their thumbnails may go)."""

    photo_ids: tuple[int, ...]
    tags: TagsOn
    orphaned: frozenset[tuple[str, int]]


def forget_missing(catalog: Catalog, photo_ids: Iterable[int]) -> Forgot:
    """Delete the records of these photos that are still missing, with all that hangs on
    them; call inside ``catalog.transaction()``."""
    rows = []
    for chunk in _chunks(photo_ids):
        rows += catalog.conn.execute(
            "SELECT id, hash, size FROM photos WHERE status = 'missing' "
            f"AND id IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
    ids = [r[0] for r in rows]
    tags = tags_on(catalog, ids)
    for chunk in _chunks(ids):
        catalog.conn.execute(
            f"DELETE FROM photos WHERE id IN ({','.join('?' * len(chunk))})", chunk
        )
    contents = {(h, s) for _, h, s in rows if h}
    orphaned = frozenset(
        (h, s)
        for h, s in contents
        if not catalog.conn.execute(
            "SELECT 1 FROM photos WHERE hash = ? AND size = ? LIMIT 1", (h, s)
        ).fetchone()
    )
    return Forgot(tuple(ids), tags, orphaned)


def forget_folder(catalog: Catalog, folder_id: int) -> bool:
    """Delete a folder's record when none of its photos is left but missing ones (their
    records go with it); call inside ``catalog.transaction()``. Whether it went."""
    cur = catalog.conn.execute(
        "DELETE FROM folders WHERE id = ? AND NOT EXISTS "
        "(SELECT 1 FROM photos WHERE folder_id = ? AND status != 'missing')",
        (folder_id, folder_id),
    )
    return cur.rowcount > 0
