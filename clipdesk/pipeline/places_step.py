"""The places step: after a photo's keywords and tags, the place its GPS position is in
(issue 30), as the tag ``Places|Country|Region|City`` from source 'gps'
(:mod:`clipdesk.places`).

The position is read where photo programs put it, the first that has one: the photo's
sidecar (``exif:GPSLatitude``: a position the user set in Lightroom or darktable), the
photo's EXIF (the camera's or phone's), its embedded XMP. Only the metadata is read, never
a pixel, and no model is needed. A photo without a position is only marked read; one whose
file cannot be read now is looked at again by the next run. A chunk of photos at a time,
each chunk one short transaction; ``cancel`` stops it between photos.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.pipeline.library import Library
from clipdesk.places import places_db, position
from clipdesk.places.gazetteer import PlacesDataMissing, place_at
from clipdesk.places.places_db import Found
from clipdesk.progress import Cancel
from clipdesk.sidecars.xmp.errors import SidecarError
from clipdesk.sidecars.xmp.location import read_gps
from clipdesk.sidecars.xmp.naming import find_sidecar
from clipdesk.sidecars.xmp.ownership import Siblings
from clipdesk.sidecars.xmp.sidecar_read import read_bytes
from clipdesk.tagging.store import TagStore, TagTree

log = logging.getLogger(__name__)
CHUNK = 256  # photos between two transactions (a few milliseconds of reading each)


@dataclass
class PlacesDone:
    photo_ids: list[int] = field(default_factory=list)  # photos looked at
    placed: int = 0  # photos that got a place
    changed_photos: set[int] = field(default_factory=set)  # photos whose place tag was added
    done: bool = False  # nothing left to look at
    problem: str = ""  # why no place could be named (the data is not installed)


def photo_position(path: str, naming: str, siblings: Siblings) -> position.Position | None:
    """The photo's position (module docstring), or None. Raises OSError when the photo
    cannot be read now."""
    try:
        sidecar = find_sidecar(Path(path), naming, siblings)  # type: ignore[arg-type]
        if sidecar is not None:
            found = position.from_xmp(*read_gps(read_bytes(sidecar)[0]))
            if found is not None:
                return found
    except (OSError, SidecarError) as exc:  # its keyword import says what is wrong with it
        log.debug("%s: sidecar not read for its position: %s", path, exc)
    found, embedded = position.read_photo(path)
    if found is None and embedded:
        found = position.from_xmp(*read_gps(embedded))
    return found


def places(lib: Library, cancel: Cancel | None = None, chunks: int | None = None) -> PlacesDone:
    """Name the places of the photos whose position was not looked for yet (``chunks``: at
    most that many chunks, then return; the caller calls again)."""
    out = PlacesDone()
    if not lib.places_on:
        out.done = True
        return out
    cat = lib.catalog
    naming = lib.settings.sidecar_naming
    siblings = Siblings()
    tree: TagTree | None = None
    n = after = 0  # ``after``: a photo that cannot be read now is not asked for again here
    while chunks is None or n < chunks:
        rows = places_db.photos_to_read(cat, CHUNK, after)
        if not rows:
            out.done = True
            break
        found: list[Found] = []
        for photo_id, path in rows:
            if cancel is not None and cancel.is_set():
                break
            after = photo_id
            try:
                where = photo_position(path, naming, siblings)
            except OSError:
                continue  # gone or unreadable now: its scan says so; looked at again later
            try:
                place = place_at(where.lat, where.lon) if where is not None else None
            except PlacesDataMissing as exc:
                out.problem = str(exc)
                out.done = True
                return out  # nothing is marked read: named once the data is installed
            found.append(Found(photo_id, where, place))
        if found:
            if tree is None and any(f.place is not None for f in found):
                tree = TagTree(TagStore(cat))
            with cat.transaction():
                if tree is not None:
                    tree.fresh()  # another process may have changed the tags since
                out.changed_photos |= places_db.store(cat, found, tree)
            out.placed += sum(1 for f in found if f.place is not None)
            out.photo_ids += [f.photo_id for f in found]
        n += 1
        if cancel is not None and cancel.is_set():
            break
    return out
