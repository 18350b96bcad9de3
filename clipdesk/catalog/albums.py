"""Smart albums: saved searches, each a name and a filter (text, tags, stars, label, flag,
dates) kept as JSON in the ``albums`` table. An album holds no photos: it is evaluated
each time, so it follows the photos as they change."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

from clipdesk.catalog.browse import PhotoFilter
from clipdesk.catalog.db import Catalog


@dataclass(frozen=True)
class AlbumFilter:
    text: str = ""  # a query in the search language (needs the model), or ""
    tags: tuple[int, ...] = ()  # tag ids, each with its subtree
    no_tags: tuple[int, ...] = ()
    min_stars: int = 0
    label: str | None = None  # a colour label, or 'none'
    flag: str | None = None  # 'pick', 'reject' or 'none'
    taken_from: str | None = None  # 'YYYY-MM-DD'
    taken_to: str | None = None

    @classmethod
    def of(cls, text: str, flt: PhotoFilter) -> AlbumFilter:
        """A search (``text``, maybe empty) within a filter, to keep (a folder is not kept)."""
        return cls(
            text,
            flt.include_tags,
            flt.exclude_tags,
            flt.min_stars,
            flt.label,
            flt.flag,
            flt.taken_from,
            flt.taken_to,
        )

    def photo_filter(self) -> PhotoFilter:
        """The filter part (the text search aside)."""
        return PhotoFilter(
            include_tags=self.tags,
            exclude_tags=self.no_tags,
            taken_from=self.taken_from,
            taken_to=self.taken_to,
            min_stars=self.min_stars,
            label=self.label,
            flag=self.flag,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AlbumFilter:
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("tags", "no_tags"):
            known[key] = tuple(int(i) for i in known.get(key, ()))
        return cls(**known)


@dataclass(frozen=True)
class Album:
    id: int
    name: str
    filter: AlbumFilter = field(default_factory=AlbumFilter)


class AlbumExists(ValueError):
    pass


def albums(catalog: Catalog) -> list[Album]:
    rows = catalog.conn.execute(
        "SELECT id, name, filter FROM albums ORDER BY name COLLATE NOCASE"
    ).fetchall()
    return [Album(r[0], r[1], AlbumFilter.from_json(r[2])) for r in rows]


def album(catalog: Catalog, name: str) -> Album | None:
    row = catalog.conn.execute(
        "SELECT id, name, filter FROM albums WHERE name = ? COLLATE NOCASE", (name,)
    ).fetchone()
    return Album(row[0], row[1], AlbumFilter.from_json(row[2])) if row else None


def save(catalog: Catalog, name: str, flt: AlbumFilter, replace: bool = False) -> Album:
    """Save an album (``replace``: an album of that name takes the new filter; otherwise a
    name in use, in any case, raises AlbumExists)."""
    with catalog.transaction() as conn:
        row = conn.execute(
            "SELECT id, name FROM albums WHERE name = ? COLLATE NOCASE", (name,)
        ).fetchone()
        if row and not replace:
            raise AlbumExists(f"there is already an album called “{row[1]}”")
        if row:
            conn.execute(
                "UPDATE albums SET name = ?, filter = ? WHERE id = ?",
                (name, flt.to_json(), row[0]),
            )
            return Album(row[0], name, flt)
        cur = conn.execute(
            "INSERT INTO albums(name, filter, created_at) VALUES (?, ?, ?)",
            (name, flt.to_json(), time.time()),
        )
        return Album(int(cur.lastrowid), name, flt)


def remove(catalog: Catalog, name: str) -> bool:
    with catalog.transaction() as conn:
        return (
            conn.execute("DELETE FROM albums WHERE name = ? COLLATE NOCASE", (name,)).rowcount > 0
        )
