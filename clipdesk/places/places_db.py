"""The catalog's places (schema 15): ``photo_places`` (a photo's position and the place it
resolved to), ``photos.places_read`` (its position was looked for, found or not) and the
``Places|Country|Region|City`` tag rows of source ``gps``.

A place tag is certain, as a keyword from a sidecar is (confirmed, never a model's
suggestion), with a source of its own so that the window and ``clipdesk tags`` can say
"from GPS" and learning leaves it out. It never overrides a decision: a place tag the user
rejected, confirmed or imported on a photo stays as it is. The place's tags are made as
keyword imports make theirs, disabled, so that CLIP never scores a place name.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clipdesk.catalog import Catalog
from clipdesk.pathnames import from_db
from clipdesk.places.gazetteer import Place
from clipdesk.tagging import tagpath
from clipdesk.tagging.states import TagSource, TagState
from clipdesk.tagging.store import TagStore, TagTree
from clipdesk.tagging.vocabulary import VocabularyError, check_name, name_key

if TYPE_CHECKING:  # reading a position needs Pillow (clipdesk.imaging); `status` does not
    from clipdesk.places.position import Position

PLACES = "Places"  # the top of every place tag


@dataclass(frozen=True)
class Found:
    """One photo's look for a position: None when it has none (or none could be read)."""

    photo_id: int
    position: Position | None
    place: Place | None = None


def photos_to_read(catalog: Catalog, limit: int, after: int = 0) -> list[tuple[int, str]]:
    """(id, path) of photos after id ``after`` whose position was not looked for yet."""
    rows = catalog.conn.execute(
        "SELECT id, path FROM photos WHERE places_read = 0 AND status != 'missing' "
        "AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [(r[0], from_db(r[1])) for r in rows]


def has_photos_to_read(catalog: Catalog) -> bool:
    return bool(
        catalog.conn.execute(
            "SELECT 1 FROM photos WHERE places_read = 0 AND status != 'missing' LIMIT 1"
        ).fetchone()
    )


def tag_levels(place: Place) -> list[str] | None:
    """``Places`` and the place's names as tag levels, or None when a name cannot be a tag's
    (none of GeoNames' can, but the data is read from a file)."""
    try:
        return [PLACES, *(check_name(n) for n in place.levels)]
    except VocabularyError:
        return None


def _drop_other_places(conn, photo_id: int, keep: int | None) -> bool:
    """Remove the photo's place tags from GPS other than ``keep`` (its position changed
    since they were given); a place the user decided on is the user's and stays."""
    cur = conn.execute(
        "DELETE FROM photo_tags WHERE photo_id = ? AND source = 'gps' AND tag_id IS NOT ?",
        (photo_id, keep),
    )
    return cur.rowcount > 0


def store(catalog: Catalog, found: Iterable[Found], tree: TagTree | None = None) -> set[int]:
    """Record these looks (inside the caller's transaction): the position and place of each
    photo that has one, its place tag, and every photo as read. The photos whose tags
    changed."""
    found = list(found)
    now = time.time()
    conn = catalog.conn
    changed: set[int] = set()
    for f in found:
        if f.position is None:  # none (any more: the file changed): no place from GPS
            conn.execute("DELETE FROM photo_places WHERE photo_id = ?", (f.photo_id,))
            if _drop_other_places(conn, f.photo_id, None):
                changed.add(f.photo_id)
            continue
        p = f.place
        conn.execute(
            "INSERT OR REPLACE INTO photo_places (photo_id, lat, lon, origin, country_code, "
            "country, region, city, distance_km, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f.photo_id, f.position.lat, f.position.lon, f.position.origin,
                p and p.country_code, p and p.country, p and p.region, p and p.city,
                p and p.distance_km, now,
            ),
        )  # fmt: skip
        levels = tag_levels(p) if p is not None else None
        if levels is None:
            if _drop_other_places(conn, f.photo_id, None):
                changed.add(f.photo_id)
            continue
        if tree is None:
            tree = TagTree(TagStore(catalog))
        tag_id, _ = tree.resolve(levels, create=True, enabled=False)
        if _drop_other_places(conn, f.photo_id, tag_id):
            changed.add(f.photo_id)
        cur = conn.execute(
            "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, updated_at) "
            "VALUES (?, ?, ?, ?, NULL, ?) "
            "ON CONFLICT(photo_id, tag_id) DO UPDATE SET state = excluded.state, "
            "source = excluded.source, updated_at = excluded.updated_at "
            "WHERE photo_tags.source = 'model'",
            (f.photo_id, tag_id, TagState.CONFIRMED.value, TagSource.GPS.value, now),
        )
        if cur.rowcount > 0:
            changed.add(f.photo_id)
    conn.executemany(
        "UPDATE photos SET places_read = 1 WHERE id = ?", [(f.photo_id,) for f in found]
    )
    return changed


def place_of(catalog: Catalog, photo_id: int, exported: Iterable[str]) -> Place | None:
    """The place a photo's GPS position resolved to, when the tag paths ``exported`` (what
    an export writes for it) hold its place tag: the user may have rejected it, or given
    the photo another place."""
    top = name_key(PLACES) + tagpath.SEPARATOR
    keys = {name_key(p) for p in exported if name_key(p).startswith(top)}
    if not keys:
        return None
    row = catalog.conn.execute(
        "SELECT country_code, country, region, city, distance_km FROM photo_places "
        "WHERE photo_id = ? AND country IS NOT NULL",
        (photo_id,),
    ).fetchone()
    if row is None:
        return None
    place = Place(*row)
    levels = tag_levels(place)
    return place if levels is not None and name_key(tagpath.join(*levels)) in keys else None


def counts(catalog: Catalog) -> dict[str, int]:
    """For ``clipdesk status``: photos with a position, with a place, still to look at."""

    def one(sql: str) -> int:
        return int(catalog.conn.execute(sql).fetchone()[0])

    return {
        "with_position": one("SELECT COUNT(*) FROM photo_places"),
        "placed": one("SELECT COUNT(*) FROM photo_places WHERE country IS NOT NULL"),
        "to_read": one("SELECT COUNT(*) FROM photos WHERE places_read = 0 AND status != 'missing'"),
    }
