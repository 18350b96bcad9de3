"""What the catalog knows of each photo's identity beyond its sampled hash: the whole-content
hash (``photos.full_hash``, schema 12; pipeline/identity.py), the photos still without one,
and the records nothing was learned from yet, which a scan may drop rather than take for a
moved photo.

A part of :class:`clipdesk.catalog.db.Catalog` (a mixin over its ``conn``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from clipdesk.pathnames import from_db


class PhotoIdentities:
    conn: sqlite3.Connection

    def unfingerprinted(self, after: int, limit: int) -> list[tuple[int, str, int, int]]:
        """(id, path, size, mtime_ns) of up to ``limit`` present, decoded photos after id
        ``after`` whose whole content was never hashed (indexed by an older release, or
        adopted from imported vectors): the fingerprint step reads them."""
        rows = self.conn.execute(
            "SELECT id, path, size, mtime_ns FROM photos WHERE full_hash IS NULL "
            "AND status = 'indexed' AND id > ? ORDER BY id LIMIT ?",
            (after, limit),
        )
        return [(r[0], from_db(r[1]), r[2], r[3]) for r in rows]

    def derives_nothing(self, photo_id: int) -> bool:
        """Nothing is known from the photo's content yet: never decoded, no embedding, no
        tag (a record its scan made, waiting for its decode)."""
        return not self.conn.execute(
            "SELECT 1 FROM photos WHERE id = ? AND width IS NOT NULL UNION ALL "
            "SELECT 1 FROM embeddings WHERE photo_id = ? UNION ALL "
            "SELECT 1 FROM photo_tags WHERE photo_id = ? LIMIT 1",
            (photo_id, photo_id, photo_id),
        ).fetchone()

    def drop_unread(self, photo_ids: Iterable[int]) -> None:
        """Remove records nothing was learned from yet (:meth:`derives_nothing`): a file whose
        content is unknown is recorded anew rather than taken for one of them."""
        self.conn.executemany(
            "DELETE FROM photos WHERE id = ? AND width IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM photo_tags WHERE photo_id = photos.id) AND NOT EXISTS "
            "(SELECT 1 FROM embeddings WHERE photo_id = photos.id)",
            [(i,) for i in photo_ids],
        )

    def has_unfingerprinted(self) -> bool:
        return bool(
            self.conn.execute(
                "SELECT 1 FROM photos WHERE full_hash IS NULL AND status = 'indexed' LIMIT 1"
            ).fetchone()
        )

    def set_full_hashes(self, rows: Iterable[tuple[int, int, int, str]]) -> None:
        """(id, size, mtime_ns, full hash): stored only where the file is still as it was
        when read (same size and time), so a hash never stands for other bytes."""
        self.conn.executemany(
            "UPDATE photos SET full_hash = ? WHERE id = ? AND size = ? AND mtime_ns = ?",
            [(h, i, size, mtime) for i, size, mtime, h in rows],
        )
