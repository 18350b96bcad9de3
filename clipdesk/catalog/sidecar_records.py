"""The catalog's record of sidecars: what ClipDesk last wrote into each photo's sidecar (tags,
rating, face regions, whether it created the file), and the problems met reading photos'
keywords.

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

    def export_regions(self, photo_id: int) -> tuple[list[dict], bool]:
        """The face regions ClipDesk last wrote into this photo's sidecar (each a dict: name,
        and the MWG area as written, x and y its centre, w, h), and whether ClipDesk created
        the sidecar's ``mwg-rs:Regions`` (so it may remove it once it holds none of them)."""
        row = self.conn.execute(
            "SELECT regions FROM sidecar_exports WHERE photo_id = ?", (photo_id,)
        ).fetchone()
        if not row or not row[0]:
            return [], False
        value = json.loads(row[0])
        return list(value.get("regions", [])), bool(value.get("created", False))

    def record_export(
        self,
        photo_id: int,
        tag_paths: Iterable[str],
        created: bool,
        rating: str | None = None,
        regions: tuple[Iterable[dict], bool] | None = None,
    ) -> None:
        """What ClipDesk wrote into the photo's sidecar (its tags and its rating, if any),
        and whether it created that file. ``regions``: the face regions it wrote and whether
        it created their ``mwg-rs:Regions`` (as :meth:`export_regions` gives them); None keeps
        what is recorded."""
        if regions is None:
            kept = self.conn.execute(
                "SELECT regions FROM sidecar_exports WHERE photo_id = ?", (photo_id,)
            ).fetchone()
            text = kept[0] if kept else None
        else:
            items, made = list(regions[0]), regions[1]
            text = json.dumps({"regions": items, "created": made}) if items or made else None
        self.conn.execute(
            "INSERT OR REPLACE INTO sidecar_exports(photo_id, tags, at, created, rating, regions) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (photo_id, json.dumps(sorted(tag_paths)), time.time(), int(created), rating, text),
        )

    def record_regions(
        self, photo_id: int, regions: Iterable[dict], created: bool, file_created: bool = False
    ) -> None:
        """Only the face regions of the photo's record (see :meth:`export_regions`), the rest
        kept; ``file_created``: ClipDesk is creating the sidecar itself."""
        items = list(regions)
        text = json.dumps({"regions": items, "created": created}) if items or created else None
        self.conn.execute(
            "INSERT INTO sidecar_exports(photo_id, tags, at, created, rating, regions) "
            "VALUES (?, '[]', ?, ?, NULL, ?) ON CONFLICT(photo_id) DO UPDATE SET "
            "regions = excluded.regions, at = excluded.at, "
            "created = MAX(sidecar_exports.created, excluded.created)",
            (photo_id, time.time(), int(file_created), text),
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
