"""Flags a user sets on photos: the reject flag (a copy set aside in Duplicates, exported as
xmp:Rating -1; the file is never touched). Not a tag's rejected state on a photo, which is
the user's no to one suggestion (tagging/states.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from clipdesk.catalog.db import Catalog


def set_reject_flag(catalog: Catalog, photo_ids: Iterable[int], rejected: bool = True) -> int:
    """Set (or clear) the reject flag on photos, in one transaction; how many changed."""
    ids = list(dict.fromkeys(int(i) for i in photo_ids))
    with catalog.transaction() as conn:
        before = conn.total_changes
        conn.executemany(
            "UPDATE photos SET rejected = ?, updated_at = ? WHERE id = ? AND rejected != ?",
            [(int(rejected), time.time(), i, int(rejected)) for i in ids],
        )
        return conn.total_changes - before


def reject_flagged(catalog: Catalog, photo_ids: Iterable[int] | None = None) -> set[int]:
    """The photos with the reject flag (among ``photo_ids`` when given)."""
    rows = catalog.conn.execute("SELECT id FROM photos WHERE rejected = 1").fetchall()
    found = {r[0] for r in rows}
    return found if photo_ids is None else found & {int(i) for i in photo_ids}
