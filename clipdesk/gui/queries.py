"""The catalog reads the windows need, as plain SQL over a Catalog (no Qt, no writes)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from clipdesk.catalog import Catalog


@dataclass(frozen=True)
class PhotoFilter:
    """What the grid shows: photos in these folders, with and without these tags.

    A tag id stands for the tag and every tag below it, so filtering on a group tag works.
    """

    folder_ids: tuple[int, ...] = ()
    include_tags: tuple[int, ...] = ()
    exclude_tags: tuple[int, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.folder_ids or self.include_tags or self.exclude_tags)


@dataclass(frozen=True)
class PhotoBrief:
    """What a grid cell needs about one photo."""

    id: int
    path: str
    hash: str
    status: str
    width: int | None
    height: int | None

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


@dataclass(frozen=True)
class FolderInfo:
    id: int
    path: str
    photos: int
    present: bool


@dataclass(frozen=True)
class Chip:
    """One tag on the photos in view: its state, where it came from, score and coverage.

    ``count`` of ``of`` photos carry it in ``state``; on one photo both are 1.
    """

    tag_id: int
    path: str
    state: str  # suggested | confirmed | rejected
    source: str  # model | user | imported
    score: float | None
    count: int = 1
    of: int = 1

    @property
    def name(self) -> str:
        return self.path.rsplit("|", 1)[-1]


def _tag_paths(catalog: Catalog) -> dict[int, str]:
    rows = catalog.conn.execute("SELECT id, name, parent_id FROM tags").fetchall()
    by_id = {r[0]: r for r in rows}
    paths: dict[int, str] = {}

    def path(i: int) -> str:
        if i not in paths:
            _, name, parent = by_id[i]
            paths[i] = f"{path(parent)}|{name}" if parent in by_id else name
        return paths[i]

    return {i: path(i) for i in by_id}


def subtree(catalog: Catalog, tag_id: int) -> list[int]:
    """The tag and all tags below it."""
    rows = catalog.conn.execute(
        "WITH RECURSIVE t(id) AS (SELECT ? UNION SELECT tags.id FROM tags JOIN t "
        "ON tags.parent_id = t.id) SELECT id FROM t",
        (tag_id,),
    ).fetchall()
    return [r[0] for r in rows]


def _having_any(catalog: Catalog, tag_id: int) -> str:
    ids = ",".join(str(i) for i in subtree(catalog, tag_id))
    return f"SELECT photo_id FROM photo_tags WHERE tag_id IN ({ids}) AND state != 'rejected'"


def photo_ids(catalog: Catalog, flt: PhotoFilter = PhotoFilter()) -> np.ndarray:
    """Ids of the photos the filter lets through, in path order (failed files left out)."""
    sql = ["SELECT id FROM photos WHERE status != 'failed'"]
    args: list[object] = []
    if flt.folder_ids:
        sql.append(f"AND folder_id IN ({','.join('?' * len(flt.folder_ids))})")
        args += flt.folder_ids
    for tag_id in flt.include_tags:
        sql.append(f"AND id IN ({_having_any(catalog, tag_id)})")
    for tag_id in flt.exclude_tags:
        sql.append(f"AND id NOT IN ({_having_any(catalog, tag_id)})")
    sql.append("ORDER BY path")
    rows = catalog.conn.execute(" ".join(sql), args).fetchall()
    return np.fromiter((r[0] for r in rows), np.int64, len(rows))


def briefs(catalog: Catalog, ids: list[int]) -> dict[int, PhotoBrief]:
    """Grid details of these photos (one query per 500 ids)."""
    out: dict[int, PhotoBrief] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = catalog.conn.execute(
            "SELECT id, path, hash, status, width, height FROM photos "
            f"WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        out.update((r[0], PhotoBrief(*r)) for r in rows)
    return out


def folders(catalog: Catalog) -> list[FolderInfo]:
    """Watched folders with photo counts; a folder that cannot be found is shown as missing."""
    counts = dict(
        catalog.conn.execute(
            "SELECT folder_id, COUNT(*) FROM photos WHERE status != 'failed' GROUP BY folder_id"
        ).fetchall()
    )
    return [
        FolderInfo(i, p, counts.get(i, 0), os.path.isdir(p))
        for i, p in catalog.conn.execute("SELECT id, path FROM folders ORDER BY path")
    ]


@dataclass(frozen=True)
class TagInfo:
    id: int
    path: str
    parent_id: int | None
    photos: int
    enabled: bool

    @property
    def name(self) -> str:
        return self.path.rsplit("|", 1)[-1]


def tags(catalog: Catalog) -> list[TagInfo]:
    """Every tag with the number of photos that carry it (suggested or confirmed)."""
    counts = dict(
        catalog.conn.execute(
            "SELECT tag_id, COUNT(*) FROM photo_tags WHERE state != 'rejected' GROUP BY tag_id"
        ).fetchall()
    )
    paths = _tag_paths(catalog)
    rows = catalog.conn.execute("SELECT id, parent_id, enabled FROM tags").fetchall()
    out = [TagInfo(i, paths[i], parent, counts.get(i, 0), bool(on)) for i, parent, on in rows]
    return sorted(out, key=lambda t: t.path.lower())


def chips(catalog: Catalog, ids: list[int]) -> list[Chip]:
    """The tags on these photos; over several, one chip per tag in its most common state."""
    if not ids:
        return []
    paths = _tag_paths(catalog)
    marks = ",".join("?" * len(ids))
    rows = catalog.conn.execute(
        "SELECT tag_id, state, source, COUNT(*), AVG(score) FROM photo_tags "
        f"WHERE photo_id IN ({marks}) GROUP BY tag_id, state, source",
        ids,
    ).fetchall()
    best: dict[int, Chip] = {}
    for tag_id, state, source, n, score in rows:
        if tag_id not in paths:
            continue
        old = best.get(tag_id)
        if old is None or n > old.count:
            best[tag_id] = Chip(tag_id, paths[tag_id], state, source, score, n, len(ids))
    order = {"confirmed": 0, "suggested": 1, "rejected": 2}
    return sorted(best.values(), key=lambda c: (order[c.state], -(c.score or 0), c.path.lower()))


def tag_names(catalog: Catalog) -> list[str]:
    """Every tag path, for completion."""
    return sorted(_tag_paths(catalog).values(), key=str.lower)


def tag_id_of(catalog: Catalog, path: str) -> int | None:
    """The id of the tag at ``path`` (or an unambiguous leaf name), else None."""
    matches = [i for i, p in _tag_paths(catalog).items() if p == path]
    if not matches:
        matches = [
            i
            for i, p in _tag_paths(catalog).items()
            if p.rsplit("|", 1)[-1].lower() == path.lower()
        ]
    return matches[0] if len(matches) == 1 else None
