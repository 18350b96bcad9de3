"""The photos a later step has not looked at yet: the indexed photos whose ``photos.<step>_read``
is 0 (the face step, ``faces_read``; the text step, ``text_read``), in id order, a chunk at a
time. The places step reads photos that are not yet indexed too (``places_db``)."""

from __future__ import annotations

from clipdesk.catalog.db import Catalog
from clipdesk.pathnames import from_db

COLUMNS = {"faces": "faces_read", "text": "text_read"}


def photos_to_read(
    catalog: Catalog, step: str, limit: int, after: int = 0
) -> list[tuple[int, str, str]]:
    """(id, path, hash) of the indexed photos after id ``after`` that ``step`` (a key of
    COLUMNS) has not looked at yet, at most ``limit``."""
    rows = catalog.conn.execute(
        f"SELECT id, path, hash FROM photos WHERE {COLUMNS[step]} = 0 AND status = 'indexed' "
        "AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [(r[0], from_db(r[1]), r[2]) for r in rows]


def has_photos_to_read(catalog: Catalog, step: str) -> bool:
    """Whether ``step`` has an indexed photo left to look at."""
    return bool(
        catalog.conn.execute(
            f"SELECT 1 FROM photos WHERE {COLUMNS[step]} = 0 AND status = 'indexed' LIMIT 1"
        ).fetchone()
    )
