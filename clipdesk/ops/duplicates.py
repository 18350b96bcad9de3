"""Find near-duplicates and bursts in the library (no model needed: the catalog's vectors)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from clipdesk.ops.changes import Change, changes, report
from clipdesk.ops.errors import OpError
from clipdesk.ops.search import require_embeddings
from clipdesk.pipeline.identity import full_hash
from clipdesk.pipeline.library import Library
from clipdesk.search.duplicates import (
    COPIES,
    LAYOUT_THRESHOLD,
    THRESHOLD,
    Group,
    Kind,
    Member,
    find_groups,
)


def duplicate_groups(
    lib: Library,
    threshold: float = THRESHOLD,
    layout_threshold: float | None = LAYOUT_THRESHOLD,
    within: float | None = None,
    progress=None,
) -> list[Group]:
    """Groups of photos showing the same picture, largest first, keeper first in each, each
    other photo's kind (exact copy, same picture, similar shot) taken against the keeper;
    a file the catalog has no whole-content hash for is hashed here when it could be an
    exact copy."""
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
        file_hash=full_hash,
    )


@dataclass
class Rejected:
    """What :func:`reject_copies` did: the photos newly flagged, and the members of the
    groups that were left as they were because of their kind."""

    flagged: int
    spared: list[Member]


def reject_copies(lib: Library, groups: list[Group], kinds: Collection[Kind] = COPIES) -> Rejected:
    """In each group, keep the keeper and flag its members of ``kinds`` rejected: by default
    the exact copies and the same picture's copies, never a similar shot unless named. One
    step for `clipdesk undo`."""
    chosen, spared = [], []
    for g in groups:
        others = [m.photo_id for m in g.members[1:] if m.kind in kinds]
        spared += [m for m in g.members[1:] if m.kind not in kinds]
        if others:
            chosen.append((g.keeper.photo_id, others))
    return Rejected(keep_each(lib, chosen) if chosen else 0, spared)


def keep_one(lib: Library, keeper: int, others: list[int]) -> int:
    """Keep ``keeper`` and flag the ``others`` as rejected (a flag in the catalog, written to
    sidecars by export as xmp:Rating -1; no file is deleted or changed), as one step that
    `clipdesk undo` takes back. How many were newly flagged."""
    return keep_each(lib, [(keeper, others)])


def keep_each(lib: Library, groups: list[tuple[int, list[int]]]) -> int:
    """:func:`keep_one` for several groups (keeper, others) at once: one step for undo."""
    from clipdesk.catalog import marks

    keep = marks.KEEP
    keepers = [k for k, _ in groups]
    others = {i for k, group in groups for i in group if i != k} - set(keepers)
    wanted = {i: (keep, keep, "reject") for i in others}
    for i, m in marks.marks_of(lib.catalog, keepers).items():
        if m.flag == "reject":
            wanted[i] = (keep, keep, None)
    changed = marks.set_each(lib.catalog, wanted, what="rejected copies")
    if changed:
        report(lib, changes(Change.FLAGS, photo_ids=changed))
    return len(set(changed) & others)


def unreject(lib: Library, photo_ids: list[int]) -> int:
    """Take the reject flag off; the next export removes the -1 rating ClipDesk wrote."""
    from clipdesk.catalog import flags

    return flags.set_reject_flag(lib.catalog, photo_ids, False)


def reject_flagged(lib: Library, photo_ids: list[int] | None = None) -> set[int]:
    """The photos with the reject flag (among ``photo_ids`` when given)."""
    from clipdesk.catalog import flags

    return flags.reject_flagged(lib.catalog, photo_ids)
