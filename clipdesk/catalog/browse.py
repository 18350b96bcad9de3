"""The reads a browser of the library needs: filtered photo ids, grid details, folders.

Shared by the window (on its read connection) and the terminal's search filters, so that
"photos with tag X" means the same set everywhere: a tag stands for itself and every tag
below it, and a photo has a tag when it is suggested or confirmed (not rejected).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from clipdesk.catalog.db import Catalog
from clipdesk.pathnames import from_db, shown


@dataclass(frozen=True)
class PhotoFilter:
    """Photos in these folders, with every tag in ``include_tags`` and none in
    ``exclude_tags`` (each tag with its subtree)."""

    folder_ids: tuple[int, ...] = ()
    include_tags: tuple[int, ...] = ()
    exclude_tags: tuple[int, ...] = ()
    taken_from: str | None = None  # 'YYYY-MM-DD', inclusive: EXIF DateTimeOriginal
    taken_to: str | None = None  # 'YYYY-MM-DD', inclusive
    min_stars: int = 0  # at least this many stars
    label: str | None = None  # this colour label ('none': no label)
    flag: str | None = None  # 'pick', 'reject', or 'none' (neither)

    @property
    def active(self) -> bool:
        return bool(
            self.folder_ids
            or self.include_tags
            or self.exclude_tags
            or self.taken_from
            or self.taken_to
            or self.min_stars
            or self.label
            or self.flag
        )


_FLAG_SQL = {
    "pick": "AND picked = 1",
    "reject": "AND rejected = 1",
    "none": "AND picked = 0 AND rejected = 0",
}

ORDERS = {  # how the grid is sorted while browsing (a search is best match first)
    "name": "path",
    "date": "taken_at IS NULL, taken_at, path",  # undated photos last
    "date_desc": "taken_at IS NULL, taken_at DESC, path",
    "stars": "stars DESC, path",  # most stars first
    "label": "label IS NULL, label, path",  # by colour label, unlabelled last
}


@dataclass(frozen=True)
class PhotoBrief:
    """What a grid cell needs about one photo."""

    id: int
    path: str
    hash: str
    status: str
    width: int | None
    height: int | None
    confirmed: int = 0  # tags the user (or a sidecar) confirmed: the cell's badge
    to_review: int = 0  # suggestions still waiting for a decision: the cell's dot
    stars: int = 0  # the photographer's marks (catalog/marks.py): the cell's badges
    label: str | None = None
    flag: str | None = None  # 'pick', 'reject' or None
    conflict: bool = False  # a mark changed here and in its sidecar: the user decides

    @property
    def name(self) -> str:
        return shown(os.path.basename(self.path))  # readable even when not valid UTF-8


@dataclass(frozen=True)
class FolderInfo:
    id: int
    path: str
    photos: int
    present: bool


def subtree(catalog: Catalog, tag_ids: Iterable[int]) -> list[int]:
    """The tags and every tag below them."""
    ids = list(tag_ids)
    if not ids:
        return []
    rows = catalog.conn.execute(
        f"WITH RECURSIVE t(id) AS (SELECT id FROM tags WHERE id IN ({','.join('?' * len(ids))}) "
        "UNION SELECT tags.id FROM tags JOIN t ON tags.parent_id = t.id) SELECT id FROM t",
        ids,
    ).fetchall()
    return [r[0] for r in rows]


def _having(catalog: Catalog, tag_id: int) -> str:
    ids = ",".join(str(int(i)) for i in subtree(catalog, [tag_id])) or "NULL"
    return f"SELECT photo_id FROM photo_tags WHERE tag_id IN ({ids}) AND state != 'rejected'"


def photo_ids(
    catalog: Catalog,
    flt: PhotoFilter = PhotoFilter(),
    include_failed: bool = False,
    order: str = "name",
) -> np.ndarray:
    """Ids of the photos the filter lets through, in ``order`` (see ORDERS)."""
    sql = ["SELECT id FROM photos WHERE 1"]
    args: list[object] = []
    if not include_failed:
        sql.append("AND status != 'failed'")
    if flt.folder_ids:
        sql.append(f"AND folder_id IN ({','.join('?' * len(flt.folder_ids))})")
        args += flt.folder_ids
    for tag_id in flt.include_tags:
        sql.append(f"AND id IN ({_having(catalog, tag_id)})")
    for tag_id in flt.exclude_tags:
        sql.append(f"AND id NOT IN ({_having(catalog, tag_id)})")
    if flt.taken_from:
        sql.append("AND substr(taken_at, 1, 10) >= ?")
        args.append(flt.taken_from)
    if flt.taken_to:
        sql.append("AND substr(taken_at, 1, 10) <= ?")
        args.append(flt.taken_to)
    if flt.min_stars:
        sql.append("AND stars >= ?")
        args.append(int(flt.min_stars))
    if flt.label:
        sql.append("AND label IS NULL" if flt.label == "none" else "AND label = ?")
        args += [] if flt.label == "none" else [flt.label]
    if flt.flag:
        sql.append(_FLAG_SQL[flt.flag])
    sql.append(f"ORDER BY {ORDERS[order]}")
    rows = catalog.conn.execute(" ".join(sql), args).fetchall()
    return np.fromiter((r[0] for r in rows), np.int64, len(rows))


def briefs(catalog: Catalog, ids: list[int]) -> dict[int, PhotoBrief]:
    """Grid details of these photos (one query per 500 ids)."""
    out: dict[int, PhotoBrief] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = catalog.conn.execute(
            "SELECT p.id, p.path, p.hash, p.status, p.width, p.height, "
            "(SELECT COUNT(*) FROM photo_tags t WHERE t.photo_id = p.id "
            "AND t.state = 'confirmed'), "
            "(SELECT COUNT(*) FROM photo_tags t WHERE t.photo_id = p.id "
            "AND t.state = 'suggested'), "
            "p.stars, p.label, CASE WHEN p.rejected THEN 'reject' WHEN p.picked THEN 'pick' END, "
            "EXISTS (SELECT 1 FROM sidecar_conflicts c WHERE c.photo_id = p.id) "
            f"FROM photos p WHERE p.id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        out.update((r[0], PhotoBrief(r[0], from_db(r[1]), *r[2:])) for r in rows)
    return out


def tags_of_photos(catalog: Catalog, ids: list[int]) -> dict[int, list[int]]:
    """The tags each photo has (suggested or confirmed, not rejected), as tag ids."""
    out: dict[int, list[int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = catalog.conn.execute(
            "SELECT photo_id, tag_id FROM photo_tags WHERE state != 'rejected' "
            f"AND photo_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for photo_id, tag_id in rows:
            out.setdefault(photo_id, []).append(tag_id)
    return out


def folders(catalog: Catalog) -> list[FolderInfo]:
    """Watched folders with photo counts; a folder that cannot be found is shown as missing."""
    counts = catalog.folder_counts(include_failed=False)
    return [FolderInfo(i, p, counts.get(i, 0), os.path.isdir(p)) for i, p in catalog.folders()]
