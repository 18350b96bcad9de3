"""The reject flag on photos (a copy set aside in Duplicates, exported as xmp:Rating -1; the
file is never touched): one of the marks of :mod:`clipdesk.catalog.marks`, kept here under the
names the sidecar sync reads it by. Not a tag's rejected state on a photo, which is the user's
no to one suggestion (tagging/states.py)."""

from __future__ import annotations

from collections.abc import Iterable

from clipdesk.catalog import marks
from clipdesk.catalog.db import Catalog


def set_reject_flag(
    catalog: Catalog, photo_ids: Iterable[int], rejected: bool = True, log: bool = True
) -> int:
    """Set (or clear) the reject flag on photos, as one step for undo; how many changed.
    Clearing it leaves a pick flag alone."""
    ids = list(dict.fromkeys(int(i) for i in photo_ids))
    if not rejected:
        ids = [i for i, m in marks.marks_of(catalog, ids).items() if m.flag == "reject"]
    flag = "reject" if rejected else None
    return len(marks.set_marks(catalog, ids, flag=flag, what="reject", log=log))


def reject_flagged(catalog: Catalog, photo_ids: Iterable[int] | None = None) -> set[int]:
    """The photos with the reject flag (among ``photo_ids`` when given)."""
    rows = catalog.conn.execute("SELECT id FROM photos WHERE rejected = 1").fetchall()
    found = {r[0] for r in rows}
    return found if photo_ids is None else found & {int(i) for i in photo_ids}
