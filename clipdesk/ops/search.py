"""Search within a filter: a query (text terms and example photos, ``clipdesk/search/query.py``)
with its relevance cut-off, and a tag's prompts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipdesk.catalog import browse, photo_text
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.ops import relevance
from clipdesk.ops.errors import OpError
from clipdesk.pipeline.library import Library
from clipdesk.search.index import Hit, Ranked, SearchCache, VectorIndex, _hits, tag_filter
from clipdesk.search.query import Query, QuerySyntaxError, parse, require_something_to_find


def require_embeddings(lib: Library) -> None:
    if not lib.has_embeddings():
        raise OpError(
            f"no photos are indexed with {lib.model_name} yet: run `clipdesk add PATH` "
            "or `clipdesk index` first"
        )


def filter_by_names(lib: Library, with_tags: list[str], without_tags: list[str]):
    """Photo ids with every named tag and none of the others (each with its subtree); None:
    no filter."""
    if not with_tags and not without_tags:
        return None
    inc, exc = tag_ids(lib, with_tags, without_tags)
    return tag_filter(lib.catalog, list(inc), list(exc))


def tag_ids(lib: Library, with_tags, without_tags) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ids of tags named as the user typed them; an unknown name is one line."""
    from clipdesk.tagging.store import TagStore, UnknownTag  # only to filter by tag

    store = TagStore(lib.catalog)
    try:
        return (
            tuple(store.get(t).id for t in with_tags),
            tuple(store.get(t).id for t in without_tags),
        )
    except UnknownTag as err:
        raise OpError(str(err)) from None


@dataclass(frozen=True)
class Found:
    """What a search shows: its hits, the matches past its limit, and how many photos the
    cut-off hid (``relevance.Ranking``: the window's count for the same search)."""

    hits: list[Hit]
    hidden: int  # photos searched that the cut-off judged out (0 with ``show_all``)
    query: Query
    unlisted: int = 0  # matches past ``limit``


def read_query(text: str | None, like: list[str | Path] = (), filtered: bool = False) -> Query:
    """The query language (``clipdesk/search/query.py``) plus example photos; a query that cannot
    be read is one line (OpError). ``filtered``: a tag filter is given, so no query at all
    lists the photos it lets through."""
    try:
        query = parse(text) if text and text.strip() else Query((), "")
        query = query.with_like(*like)
        if not query.terms and not query.like:
            if filtered or query.words:  # a listing: the filter's photos, or those words'
                return query
            if not query.no_words:
                raise QuerySyntaxError(
                    "nothing to search for: describe what to find, as in red car"
                )
        require_something_to_find(query)
    except QuerySyntaxError as exc:
        raise OpError(str(exc)) from None
    return query


def find(
    lib: Library,
    query: Query,
    limit: int = 20,
    with_tags=(),
    without_tags=(),
    show_all: bool = False,
    min_score: float | None = None,
) -> Found:
    """The best ``limit`` matches for a query (terms, example photos), or with ``show_all``
    the best ``limit`` photos whatever the cut-off says (``min_score``: a cut-off of the
    user's own)."""
    only = with_words(lib, query, filter_by_names(lib, list(with_tags), list(without_tags)))
    if not query.terms and not query.like and only is not None:
        return _listed(lib, only, limit, show_all, query)
    require_embeddings(lib)
    index = VectorIndex.load(lib.catalog, lib.model_id)
    try:
        ranking = relevance.rank(
            lib.catalog, lib.embedder, index, query, limit, only, min_score, show_all
        )
    except LookupError as exc:  # an example photo that is not there or not an image
        raise OpError(str(exc)) from None
    unlisted = 0 if show_all else ranking.unlisted
    return Found(_hits(lib.catalog, ranking.pairs()), ranking.hidden, query, unlisted)


def _listed(lib: Library, only: np.ndarray, limit: int, show_all: bool, query: Query) -> Found:
    """No query, only a tag filter (``clipdesk search --tag People|Ada``): the photos it lets
    through, in path order, each scored 1.0."""
    rows = _by_path(lib, only)
    shown_rows = rows if show_all else rows[:limit]
    hits = _hits(lib.catalog, [(i, 1.0) for _, i in shown_rows])
    return Found(hits, 0, query, len(rows) - len(shown_rows))


def _by_path(lib: Library, only: np.ndarray) -> list[tuple[str, int]]:
    return sorted(
        (row.path, int(i)) for i in only.tolist() if (row := lib.catalog.photo(int(i))) is not None
    )


def _only(lib: Library, flt: PhotoFilter | None) -> np.ndarray | None:
    return browse.photo_ids(lib.catalog, flt) if flt is not None and flt.active else None


def with_words(lib: Library, query: Query, only: np.ndarray | None) -> np.ndarray | None:
    """``only`` (photo ids, or None: all) narrowed by the query's text: terms, the words read
    in the photos (``catalog/photo_text.py``); unchanged without them."""
    if not query.has_words:
        return only
    cat = lib.catalog
    if query.words:
        keep = photo_text.matching(cat, query.words)
    else:
        keep = set(browse.photo_ids(cat).tolist())
    if only is not None:
        keep &= set(only.tolist())
    for words in query.no_words:
        keep -= photo_text.matching(cat, [words])
    return np.array(sorted(keep), np.int64)


def rank_query(
    lib: Library, cache: SearchCache, query: Query, flt: PhotoFilter | None, show_all: bool = False
) -> relevance.Ranking:
    """The window's search: every match, best first, and the count hidden (with
    ``show_all``: every photo searched, best first); ``cache`` keeps the vectors loaded."""
    only = with_words(lib, query, _only(lib, flt))
    if not query.terms and not query.like and only is not None:  # text: terms alone
        ids = np.array([i for _, i in _by_path(lib, only)], np.int64)
        return relevance.Ranking(ids, np.ones(len(ids), np.float32), len(ids), 0)
    index = cache.index(lib.catalog, lib.embedder)
    try:
        return relevance.rank(
            lib.catalog, lib.embedder, index, query, None, only, show_all=show_all
        )
    except LookupError as exc:
        raise OpError(str(exc)) from None


def rank_prompts(lib: Library, cache: SearchCache, prompts: list[str], limit: int) -> Ranked:
    return cache.prompts(lib.catalog, lib.embedder, prompts, limit)
