"""The catalog's record of sidecars: what ClipDesk last wrote into each photo's sidecar (tags,
rating, face regions, location fields, whether it created the file), the two-way sync's record
of each sidecar as last read or written (the marks' and keywords' bases, its fingerprint) and
its conflicts, and the problems met reading photos' keywords.

A part of :class:`clipdesk.catalog.db.Catalog` (a mixin over its ``conn``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from clipdesk.pathnames import from_db, to_db


@dataclass(frozen=True)
class SyncRecord:
    """What the catalog knows of a photo's sidecar for the two-way sync: the marks' and the
    keywords' bases (JSON values; None: none yet), the sidecar as last seen (its path, size
    (-1: there was none), mtime and SHA-256; a None hash: read it again; a None size: never
    seen), and the xmp:Rating ClipDesk wrote (the export record's)."""

    marks: dict | None = None
    keywords: dict | None = None
    path: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None
    rating: str | None = None


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
            "INSERT INTO sidecar_exports(photo_id, tags, at, created, rating, regions) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(photo_id) DO UPDATE SET tags = excluded.tags, "
            "at = excluded.at, created = excluded.created, rating = excluded.rating, "
            "regions = excluded.regions",
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

    def export_location(self, photo_id: int) -> dict[str, str]:
        """The location fields (exiv2 key -> value: ``Xmp.photoshop.City`` and the like)
        ClipDesk wrote into this photo's sidecar and that were still there after its last
        write."""
        row = self.conn.execute(
            "SELECT location FROM sidecar_exports WHERE photo_id = ?", (photo_id,)
        ).fetchone()
        return dict(json.loads(row[0])) if row and row[0] else {}

    def record_location(self, photo_id: int, fields: dict[str, str]) -> None:
        """Only the location fields of the photo's record (see :meth:`export_location`), the
        rest kept."""
        if not fields:
            self.conn.execute(
                "UPDATE sidecar_exports SET location = NULL WHERE photo_id = ?", (photo_id,)
            )
            return
        self.conn.execute(
            "INSERT INTO sidecar_exports(photo_id, tags, at, created, rating, location) "
            "VALUES (?, '[]', ?, 0, NULL, ?) ON CONFLICT(photo_id) DO UPDATE SET "
            "location = excluded.location, at = excluded.at",
            (photo_id, time.time(), json.dumps(fields, sort_keys=True)),
        )

    def forget_export(self, photo_id: int) -> None:
        self.conn.execute("DELETE FROM sidecar_exports WHERE photo_id = ?", (photo_id,))

    # the two-way sync (sidecars/marks_sync.py): the sidecar as last read or written --------

    def sync_record(self, photo_id: int) -> SyncRecord:
        """What the catalog knows of the photo's sidecar for the two-way sync."""
        row = self.conn.execute(
            "SELECT marks, keywords, seen_path, seen_size, seen_mtime_ns, seen_hash, rating "
            "FROM sidecar_exports WHERE photo_id = ?",
            (photo_id,),
        ).fetchone()
        if row is None:
            return SyncRecord()
        marks, keywords, path, size, mtime_ns, sha, rating = row
        return SyncRecord(
            json.loads(marks) if marks else None,
            json.loads(keywords) if keywords else None,
            from_db(path) if path is not None else None,
            size,
            mtime_ns,
            sha,
            rating,
        )

    def sync_seen(self, photo_ids: Iterable[int]) -> dict[int, tuple]:
        """{photo id: (path, size, mtime_ns, sha256)} of the sidecars as last read or written,
        for the photos that have such a record."""
        ids = list(photo_ids)
        out: dict[int, tuple] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.conn.execute(
                "SELECT photo_id, seen_path, seen_size, seen_mtime_ns, seen_hash "
                f"FROM sidecar_exports WHERE photo_id IN ({','.join('?' * len(chunk))}) "
                "AND seen_size IS NOT NULL",
                chunk,
            )
            out.update((r[0], (from_db(r[1]) if r[1] is not None else None, *r[2:])) for r in rows)
        return out

    def keywords_read_photos(self) -> list[tuple[int, str]]:
        """(id, path) of present photos whose sidecar and embedded keywords were read."""
        rows = self.conn.execute(
            "SELECT id, path FROM photos WHERE keywords_read = 1 "
            "AND status IN ('new', 'indexed') ORDER BY id"
        )
        return [(i, from_db(p)) for i, p in rows]

    def photos_named(self, folder: str, stem: str) -> list[tuple[int, str]]:
        """(id, path) of present photos whose keywords were read, in ``folder``, whose name
        begins with ``stem`` and a dot (the photos a sidecar there may belong to)."""
        low = to_db(os.path.join(folder, stem + "."))
        rows = self.conn.execute(
            "SELECT id, path FROM photos WHERE path >= ? AND path < ? AND keywords_read = 1 "
            "AND status IN ('new', 'indexed')",
            (low, low[:-1] + chr(ord(".") + 1)),
        )
        return [(i, from_db(p)) for i, p in rows if os.path.dirname(from_db(p)) == folder]

    def record_sync(
        self,
        photo_id: int,
        marks: dict | None,
        keywords: dict | None,
        seen: tuple[str | None, int, int, str | None] | None,
    ) -> None:
        """The sync's record of the photo's sidecar: the marks' and the keywords' bases (JSON
        values, None: none) and the sidecar as last seen (path, size (-1: none), mtime_ns,
        sha256; a None hash: read it again; None: nothing known). The export columns stay."""
        path, size, mtime_ns, sha = seen if seen is not None else (None, None, None, None)
        self.conn.execute(
            "INSERT INTO sidecar_exports(photo_id, tags, at, marks, keywords, seen_path, "
            "seen_size, seen_mtime_ns, seen_hash) VALUES (?, '[]', ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(photo_id) DO UPDATE SET marks = excluded.marks, "
            "keywords = excluded.keywords, seen_path = excluded.seen_path, "
            "seen_size = excluded.seen_size, seen_mtime_ns = excluded.seen_mtime_ns, "
            "seen_hash = excluded.seen_hash",
            (
                photo_id,
                time.time(),
                json.dumps(marks) if marks is not None else None,
                json.dumps(keywords) if keywords is not None else None,
                to_db(path) if path is not None else None,
                size,
                mtime_ns,
                sha,
            ),
        )

    def set_marks_base(self, photo_id: int, marks: dict) -> None:
        """Only the ``marks`` record of the photo's sidecar (a conflict decided)."""
        self.conn.execute(
            "UPDATE sidecar_exports SET marks = ? WHERE photo_id = ?", (json.dumps(marks), photo_id)
        )

    def read_again(self, photo_id: int) -> None:
        """Have the photo's sidecar read again (as one another program changed)."""
        self.conn.execute(
            "UPDATE sidecar_exports SET seen_hash = NULL WHERE photo_id = ?", (photo_id,)
        )

    def touch_seen(self, photo_id: int, mtime_ns: int) -> None:
        """The sidecar's bytes are as last seen; only its time moved."""
        self.conn.execute(
            "UPDATE sidecar_exports SET seen_mtime_ns = ? WHERE photo_id = ?", (mtime_ns, photo_id)
        )

    def set_conflicts(self, photo_id: int, conflicts: Iterable[tuple[str, object, object, object]]):
        """The photo's sidecar conflicts now ((mark, ClipDesk's value, the file's, the base's)),
        replacing those recorded."""
        now = time.time()
        self.conn.execute("DELETE FROM sidecar_conflicts WHERE photo_id = ?", (photo_id,))
        self.conn.executemany(
            "INSERT INTO sidecar_conflicts(photo_id, mark, clipdesk, file, base, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (photo_id, m, json.dumps(c), json.dumps(f), json.dumps(b), now)
                for m, c, f, b in conflicts
            ],
        )

    def sidecar_conflicts(self, photo_ids: Iterable[int] | None = None) -> list[tuple]:
        """(photo id, path, mark, ClipDesk's value, the file's, the base's) of present photos'
        sidecar conflicts, in path order (of these photos only, if given)."""
        rows = self.conn.execute(
            "SELECT c.photo_id, p.path, c.mark, c.clipdesk, c.file, c.base "
            "FROM sidecar_conflicts c "
            "JOIN photos p ON p.id = c.photo_id WHERE p.status IN ('new', 'indexed') "
            "ORDER BY p.path, c.mark"
        ).fetchall()
        wanted = None if photo_ids is None else set(photo_ids)
        return [
            (i, from_db(p), m, json.loads(c), json.loads(f), json.loads(b))
            for i, p, m, c, f, b in rows
            if wanted is None or i in wanted
        ]

    def conflict_count(self) -> int:
        """How many present photos have sidecar conflicts."""
        return self.conn.execute(
            "SELECT COUNT(DISTINCT c.photo_id) FROM sidecar_conflicts c JOIN photos p "
            "ON p.id = c.photo_id WHERE p.status IN ('new', 'indexed')"
        ).fetchone()[0]

    def confirm_file_keywords(self, photo_id: int, tag_ids: Iterable[int], now: float) -> list[int]:
        """Keywords another program added to the photo's sidecar: confirmed ``imported`` tags,
        a rejection made before in ClipDesk included. The tags whose user decision changed."""
        ids = list(tag_ids)
        decided = [
            t
            for t in ids
            if self.conn.execute(
                "SELECT 1 FROM photo_tags WHERE photo_id = ? AND tag_id = ? AND source = 'user' "
                "AND state != 'confirmed'",
                (photo_id, t),
            ).fetchone()
        ]
        self.conn.executemany(
            "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, updated_at) "
            "VALUES (?, ?, 'confirmed', 'imported', NULL, ?) "
            "ON CONFLICT(photo_id, tag_id) DO UPDATE SET state = 'confirmed', "
            "source = 'imported', updated_at = excluded.updated_at "
            "WHERE photo_tags.state != 'confirmed'",
            [(photo_id, t, now) for t in ids],
        )
        return decided

    def drop_file_keywords(self, photo_id: int, tag_ids: Iterable[int]) -> int:
        """Keywords another program removed from the photo's sidecar: the photo's confirmed
        rows of those tags go (a person's tag stays: the faces say who is on it). How many."""
        before = self.conn.total_changes
        self.conn.executemany(
            "DELETE FROM photo_tags WHERE photo_id = ? AND tag_id = ? AND state = 'confirmed' "
            "AND tag_id NOT IN (SELECT id FROM tags WHERE person = 1)",
            [(photo_id, t) for t in tag_ids],
        )
        return self.conn.total_changes - before

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
