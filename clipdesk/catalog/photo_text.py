"""The words read in photos (issue 30): ``photo_text`` holds one row per photo read (``text``
'' where it held none), ``photos.text_read`` where each photo stands (:class:`TextRead`).
Words are matched here, in Python, ignoring case the Unicode way (SQLite's ``LIKE`` folds
ASCII only) and spacing (a line break reads as a space): only the photos read have a row.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from enum import IntEnum

from clipdesk.catalog.db import Catalog


class TextRead(IntEnum):
    NOT_YET = 0
    READ = 1
    SKIPPED = 2  # not text-like (text/likeness.py): the OCR never ran on it
    FAILED = 3  # its decode failed


def counts(catalog: Catalog) -> dict[str, int]:
    """For ``clipdesk status``: photos read, of those with words, skipped as not text-like,
    and indexed photos still to look at."""
    rows = dict(
        catalog.conn.execute(
            "SELECT text_read, COUNT(*) FROM photos WHERE status = 'indexed' GROUP BY text_read"
        ).fetchall()
    )
    with_words = catalog.conn.execute("SELECT COUNT(*) FROM photo_text WHERE text != ''")
    return {
        "read": rows.get(int(TextRead.READ), 0),
        "with_words": int(with_words.fetchone()[0]),
        "skipped": rows.get(int(TextRead.SKIPPED), 0),
        "to_read": rows.get(int(TextRead.NOT_YET), 0),
    }


def mark(catalog: Catalog, photo_ids: Iterable[int], state: TextRead) -> None:
    catalog.conn.executemany(
        "UPDATE photos SET text_read = ? WHERE id = ?", [(int(state), i) for i in photo_ids]
    )


def put(catalog: Catalog, photo_id: int, text: str, likeness: float | None, engine: str) -> None:
    """Keep the words read in a photo (replacing an earlier reading) and mark it read."""
    catalog.conn.execute(
        "INSERT OR REPLACE INTO photo_text(photo_id, text, likeness, engine, at) "
        "VALUES (?, ?, ?, ?, ?)",
        (photo_id, text, likeness, engine, time.time()),
    )
    mark(catalog, [photo_id], TextRead.READ)


def text_of(catalog: Catalog, photo_id: int) -> tuple[TextRead, str | None]:
    """Where a photo stands, and the words read in it (None: not read)."""
    row = catalog.conn.execute(
        "SELECT p.text_read, t.text FROM photos p LEFT JOIN photo_text t ON t.photo_id = p.id "
        "WHERE p.id = ?",
        (photo_id,),
    ).fetchone()
    if row is None:
        raise LookupError(f"no photo {photo_id}")
    return TextRead(row[0]), row[1]


def folded(text: str) -> str:
    """Text as it is compared: case folded, every run of spaces and line breaks one space."""
    return " ".join(text.casefold().split())


def matching(catalog: Catalog, words: Iterable[str]) -> set[int]:
    """The photos whose text holds every one of ``words`` (each a word, part of one, or a
    phrase), in any case."""
    needles = [folded(w) for w in words if folded(w)]
    rows = catalog.conn.execute("SELECT photo_id, text FROM photo_text WHERE text != ''")
    return {i for i, text in rows if all(n in folded(text) for n in needles)}
