"""Search within a filter: by text, by an example photo, by a tag's prompts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clipdesk.catalog import browse
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.library import Library
from clipdesk.ops.errors import OpError
from clipdesk.search import (
    Hit,
    NotFound,
    Ranked,
    SearchCache,
    search_similar,
    search_text,
    tag_filter,
)
from clipdesk.tagging.store import TagStore, UnknownTag


def require_embeddings(lib: Library) -> None:
    if not lib.has_embeddings():
        raise OpError(
            f"no photos are indexed with {lib.model_name} yet: run `clipdesk add PATH` "
            "or `clipdesk index` first"
        )


def filter_by_names(lib: Library, with_tags: list[str], without_tags: list[str]):
    """Photo ids with every named tag and none of the others (each with its subtree)."""
    store = TagStore(lib.catalog)
    try:
        inc = [store.get(t).id for t in with_tags]
        exc = [store.get(t).id for t in without_tags]
    except UnknownTag as err:
        raise OpError(str(err)) from None
    return tag_filter(lib.catalog, inc, exc)


def find_text(lib: Library, text: str, limit: int = 20, with_tags=(), without_tags=()) -> list[Hit]:
    require_embeddings(lib)
    only = filter_by_names(lib, list(with_tags), list(without_tags))
    return search_text(lib.catalog, lib.embedder, text, limit, only=only)


def find_similar(
    lib: Library, photo: str | Path, limit: int = 20, with_tags=(), without_tags=()
) -> list[Hit]:
    from clipdesk.imaging import ImageError  # not imported by a text search

    require_embeddings(lib)
    only = filter_by_names(lib, list(with_tags), list(without_tags))
    try:
        return search_similar(lib.catalog, lib.embedder, photo, limit, only=only)
    except (NotFound, ImageError) as exc:
        raise OpError(f"{photo}: {exc}") from None


def _only(lib: Library, flt: PhotoFilter | None) -> np.ndarray | None:
    return browse.photo_ids(lib.catalog, flt) if flt is not None and flt.active else None


def rank_text(
    lib: Library, cache: SearchCache, text: str, flt: PhotoFilter | None, limit: int
) -> Ranked:
    """(photo id, score) best first, for the window; ``cache`` keeps the vectors loaded."""
    return cache.text(lib.catalog, lib.embedder, text, _only(lib, flt), limit)


def rank_similar(
    lib: Library, cache: SearchCache, photo_id: int, flt: PhotoFilter | None, limit: int
) -> Ranked:
    return cache.similar(lib.catalog, lib.embedder, photo_id, _only(lib, flt), limit)


def rank_prompts(lib: Library, cache: SearchCache, prompts: list[str], limit: int) -> Ranked:
    return cache.prompts(lib.catalog, lib.embedder, prompts, limit)
