"""Find near-duplicates and bursts in the library (no model needed: the catalog's vectors)."""

from __future__ import annotations

from clipdesk.ops.errors import OpError
from clipdesk.ops.search import require_embeddings
from clipdesk.pipeline.library import Library
from clipdesk.search.duplicates import LAYOUT_THRESHOLD, THRESHOLD, Group, find_groups


def duplicate_groups(
    lib: Library,
    threshold: float = THRESHOLD,
    layout_threshold: float | None = LAYOUT_THRESHOLD,
    within: float | None = None,
    progress=None,
) -> list[Group]:
    """Groups of photos showing the same picture, largest first, keeper first in each."""
    if not 0.0 < threshold <= 1.0:
        raise OpError(f"the threshold is a cosine between 0 and 1, not {threshold}")
    if within is not None and within < 0:
        raise OpError(f"--within is a number of seconds, not {within}")
    require_embeddings(lib)
    return find_groups(
        lib.catalog,
        lib.known_model_id,
        lib.thumbnails,
        threshold,
        layout_threshold,
        within,
        progress=progress,
    )


def keep_one(lib: Library, keeper: int, others: list[int]) -> int:
    """Keep ``keeper`` and flag the ``others`` as rejected (a flag in the catalog, written to
    sidecars by export as xmp:Rating -1; no file is deleted or changed). How many were newly
    flagged."""
    from clipdesk.catalog import flags

    flags.set_reject_flag(lib.catalog, [keeper], False)
    return flags.set_reject_flag(lib.catalog, [i for i in others if i != keeper], True)


def unreject(lib: Library, photo_ids: list[int]) -> int:
    """Take the reject flag off; the next export removes the -1 rating ClipDesk wrote."""
    from clipdesk.catalog import flags

    return flags.set_reject_flag(lib.catalog, photo_ids, False)


def reject_flagged(lib: Library, photo_ids: list[int] | None = None) -> set[int]:
    """The photos with the reject flag (among ``photo_ids`` when given)."""
    from clipdesk.catalog import flags

    return flags.reject_flagged(lib.catalog, photo_ids)
