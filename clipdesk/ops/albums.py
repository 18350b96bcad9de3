"""Smart albums (catalog/albums.py): saved searches in the sidebar and the terminal,
`clipdesk albums list|add NAME [filters]|remove NAME` and `clipdesk list --album NAME`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clipdesk.catalog import albums as store
from clipdesk.catalog import browse
from clipdesk.catalog.albums import Album, AlbumFilter
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.ops.changes import Change, changes, report
from clipdesk.ops.errors import OpError
from clipdesk.ops.marks import read_filter
from clipdesk.pipeline.library import Library


def add(
    lib: Library,
    name: str,
    text: str = "",
    with_tags=(),
    without_tags=(),
    min_stars: int = 0,
    label: str | None = None,
    flag: str | None = None,
    taken_from: str | None = None,
    taken_to: str | None = None,
    replace: bool = False,
) -> Album:
    """Save a search as an album; a bad filter or query, or a name in use, is one line."""
    name = " ".join(name.split())
    if not name:
        raise OpError("an album needs a name")
    flt = read_filter(lib, with_tags, without_tags, min_stars, label, flag, taken_from, taken_to)
    text = text.strip()
    if text:
        from clipdesk.ops.search import read_query

        read_query(text)  # a query that cannot be read fails now, not when the album opens
    saved = AlbumFilter.of(text, flt)
    if not text and not flt.active:
        raise OpError("an album needs a search or a filter: text, --tag, --min-stars, ...")
    try:
        album = store.save(lib.catalog, name, saved, replace)
    except store.AlbumExists as exc:
        raise OpError(f"{exc} (--replace changes it)") from None
    report(lib, changes(Change.ALBUMS))
    return album


def remove(lib: Library, name: str) -> None:
    if not store.remove(lib.catalog, name):
        raise OpError(_unknown(lib, name))
    report(lib, changes(Change.ALBUMS))


def albums(lib: Library) -> list[Album]:
    return store.albums(lib.catalog)


def find(lib: Library, name: str) -> Album:
    album = store.album(lib.catalog, name)
    if album is None:
        raise OpError(_unknown(lib, name))
    return album


def _unknown(lib: Library, name: str) -> str:
    names = [a.name for a in store.albums(lib.catalog)]
    known = f": the albums are {', '.join(names)}" if names else ": there are no albums yet"
    return f"there is no album called “{name}”{known}"


def photo_filter(album: Album) -> PhotoFilter:
    return album.filter.photo_filter()


@dataclass(frozen=True)
class AlbumPhotos:
    ids: list[int]  # best match first with a text search, else in name order
    scores: list[float] | None  # the search's scores, or None without text


def photos(lib: Library, album: Album, order: str = "name") -> AlbumPhotos:
    """The photos the album holds now. With a text search the model ranks them (and the
    relevance cut-off judges them, as `clipdesk search` does)."""
    flt = photo_filter(album)
    if not album.filter.text:
        return AlbumPhotos([int(i) for i in browse.photo_ids(lib.catalog, flt, order=order)], None)
    from clipdesk.ops import relevance
    from clipdesk.ops.search import read_query, require_embeddings
    from clipdesk.search.index import VectorIndex

    require_embeddings(lib)
    only = browse.photo_ids(lib.catalog, flt) if flt.active else None
    if only is not None and not len(only):
        return AlbumPhotos([], [])
    index = VectorIndex.load(lib.catalog, lib.model_id)
    ranking = relevance.rank(
        lib.catalog,
        lib.embedder,
        index,
        read_query(album.filter.text),
        None,
        None if only is None else np.asarray(only, np.int64),
    )
    return AlbumPhotos([int(i) for i in ranking.ids], [float(s) for s in ranking.scores])
