"""Find near-duplicates and bursts in the library (no model needed: the catalog's vectors)."""

from __future__ import annotations

from clipdesk.duplicates import LAYOUT_THRESHOLD, THRESHOLD, Group, find_groups
from clipdesk.library import Library
from clipdesk.ops.errors import OpError
from clipdesk.ops.search import require_embeddings


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
