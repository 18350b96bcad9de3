"""The catalog's record of sidecars: what ClipDesk last wrote into each photo's sidecar (tags,
rating, whether it created the file), and the problems met reading photos' keywords.

A part of :class:`clipdesk.catalog.db.Catalog` (a mixin over its ``conn``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable

from clipdesk.pathnames import from_db


class SidecarRecords:
    conn: sqlite3.Connection

    def export_record(self, photo_id: int) -> tuple[set[str], bool]:
        """The tag paths ClipDesk last wrote into this photo's sidecar, and whether it
        created that file (so it may remove it once it holds nothing)."""
        tags, created, _ = self.export_state(photo_id)
        return tags, created

    def export_state(self, photo_id: int) -> tuple[set[str], bool, str | None]:
        """:meth:`export_record`, and the xmp:Rating ClipDesk wrote there (None: none)."""
        row = self.conn.execute(
            "SELECT tags, created, rating FROM sidecar_exports WHERE photo_id = ?", (photo_id,)
        ).fetchone()
        return (set(json.loads(row[0])), bool(row[1]), row[2]) if row else (set(), False, None)

    def record_export(
        self, photo_id: int, tag_paths: Iterable[str], created: bool, rating: str | None = None
    ) -> None:
        """What ClipDesk wrote into the photo's sidecar (its tags and its rating, if any),
        and whether it created that file."""
        self.conn.execute(
            "INSERT OR REPLACE INTO sidecar_exports(photo_id, tags, at, created, rating) "
            "VALUES (?, ?, ?, ?, ?)",
            (photo_id, json.dumps(sorted(tag_paths)), time.time(), int(created), rating),
        )

    def forget_export(self, photo_id: int) -> None:
        self.conn.execute("DELETE FROM sidecar_exports WHERE photo_id = ?", (photo_id,))

    def record_keyword_problems(
        self, photo_ids: Iterable[int], problems: dict[int, list[str]]
    ) -> None:
        """The keywords of ``photo_ids`` were just read: ``problems`` holds, per photo, the
        one-line reasons it went wrong (a photo not in it had none, and its old ones go)."""
        now = time.time()
        self.conn.executemany(
            "DELETE FROM sidecar_problems WHERE photo_id = ?", [(i,) for i in photo_ids]
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO sidecar_problems(photo_id, reason, at) VALUES (?, ?, ?)",
            [(i, "; ".join(reasons), now) for i, reasons in problems.items() if reasons],
        )

    def keyword_problems(self) -> list[tuple[str, str]]:
        """(photo path, reasons) of present photos whose sidecar or embedded keywords could
        not be read, in path order."""
        rows = self.conn.execute(
            "SELECT p.path, s.reason FROM sidecar_problems s JOIN photos p ON p.id = s.photo_id "
            "WHERE p.status IN ('new', 'indexed') ORDER BY p.path"
        )
        return [(from_db(p), from_db(r)) for p, r in rows]
