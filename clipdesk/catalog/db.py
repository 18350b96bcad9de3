"""The catalog connection and its queries.

One writer (the worker, or a command run in the terminal) and any number of readers,
each with its own connection; WAL lets the readers go on while the writer commits.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from clipdesk.catalog import busy
from clipdesk.catalog.embeddings import ModelQueries
from clipdesk.catalog.identities import PhotoIdentities
from clipdesk.catalog.opening import FULL_DISK, OpenLock, connect_readonly, disk_full, stays_empty
from clipdesk.catalog.schema import SCHEMA_VERSION, migrate
from clipdesk.catalog.sidecar_records import SidecarRecords
from clipdesk.pathnames import from_db, shown, to_db


@dataclass(frozen=True)
class PhotoRow:
    id: int
    folder_id: int
    path: str
    size: int
    mtime_ns: int
    hash: str
    width: int | None
    height: int | None
    taken_at: str | None
    orientation: int | None
    status: str
    error: str | None
    inode: int | None = None
    full_hash: str | None = None  # XXH3-128 of the whole file once read (pipeline/identity.py)


def _photo(r) -> PhotoRow:
    """A photos row as read, its path back in the form the file system gave it."""
    return PhotoRow(r[0], r[1], from_db(r[2]), *r[3:])


def _paths(rows) -> list[tuple]:
    """(id, path, ...) rows with the path decoded (see :mod:`clipdesk.pathnames`)."""
    return [(r[0], from_db(r[1]), *r[2:]) for r in rows]


_PHOTO_COLUMNS = (
    "id, folder_id, path, size, mtime_ns, hash, width, height, taken_at, orientation, status, "
    "error, inode, full_hash"
)


class CatalogDamaged(RuntimeError):
    """The catalog file cannot be used as it is; it is never replaced without being asked."""

    def __init__(self, path: Path, detail: str):
        super().__init__(
            f"the catalog {path} is damaged ({detail}): run `clipdesk repair` to back it up "
            "and recover what can be recovered (nothing is replaced until you do)"
        )
        self.path = path


class Catalog(ModelQueries, SidecarRecords, PhotoIdentities):
    """A ClipDesk catalog file. Not thread-safe: one Catalog per thread."""

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.on_wait: busy.Notice | None = None  # told once when a write waits for the lock
        # Opened read-only because the disk was full: every write says so (transaction()).
        self.opened_on_full_disk = False
        self._open_lock: OpenLock | None = None
        if readonly:
            self.conn = connect_readonly(self.path)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Held while this connection may write: `clipdesk repair` never swaps the file
            # under it, and a repair under way is waited for (catalog/opening.py).
            self._open_lock = OpenLock(self.path, busy.default_notice)
            try:
                self.conn = self._connect_for_writing()
            except BaseException:
                self._open_lock.release()
                raise
        self.conn.execute("PRAGMA foreign_keys = ON")

    def _connect_for_writing(self) -> sqlite3.Connection:
        if stays_empty(self.path):
            # SQLite would silently make it a new, empty library: the photos, tags and
            # decisions the user had would seem gone. Say so instead.
            raise CatalogDamaged(self.path, "the file is empty, 0 bytes")
        existed = self.path.exists()
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a power cut may lose the last commit, never corrupt the file.
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        except sqlite3.OperationalError:
            conn.close()
            if not existed:  # no 0-byte catalog left behind to be taken for a damaged one
                with contextlib.suppress(OSError):
                    if self.path.stat().st_size == 0:
                        self.path.unlink()
            if not disk_full(self.path.parent):
                raise
            # SQLite cannot even make its shared-memory file on a full disk. What only reads
            # still works from the file as it is; a write says that the disk is full.
            try:
                readonly = connect_readonly(self.path)
            except sqlite3.Error:
                raise sqlite3.OperationalError(FULL_DISK) from None
            if readonly.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                readonly.close()  # it needs a migration, which needs space
                raise sqlite3.OperationalError(FULL_DISK) from None
            self.opened_on_full_disk = True
            return readonly
        return conn

    def close(self) -> None:
        self.conn.close()
        if self._open_lock is not None:
            self._open_lock.release()

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def vocabulary_seeded(self) -> bool:
        """Whether the catalog was given its first vocabulary (``TagStore.seed_default``)."""
        row = self.conn.execute("SELECT 1 FROM meta WHERE key = 'vocabulary_seeded'")
        return row.fetchone() is not None

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; it waits (saying so once) while another process writes."""
        if self.opened_on_full_disk:
            raise sqlite3.OperationalError(FULL_DISK)
        busy.begin_immediate(self.conn, self.on_wait or busy.default_notice)
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # folders -----------------------------------------------------------------

    def add_folder(self, path: str | Path) -> int:
        """Add a folder tree; one inside a known folder is already covered by it."""
        new = Path(path)
        for folder_id, known in self.folders():
            if new == Path(known) or new.is_relative_to(known):
                return folder_id
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO folders(path, added_at) VALUES (?, ?)", (to_db(new), time.time())
            )
            folder_id = int(cur.lastrowid)
            # Known folders inside the new one merge into it, photos and all.
            for old_id, known in self.folders():
                if old_id != folder_id and Path(known).is_relative_to(new):
                    self.conn.execute(
                        "UPDATE photos SET folder_id = ? WHERE folder_id = ?", (folder_id, old_id)
                    )
                    self.conn.execute("DELETE FROM folders WHERE id = ?", (old_id,))
        return folder_id

    def folders(self) -> list[tuple[int, str]]:
        return _paths(self.conn.execute("SELECT id, path FROM folders ORDER BY path"))

    def remove_folder(self, folder_id: int) -> None:
        """Forget a folder and its photos' records (the files themselves are never touched)."""
        with self.transaction():
            self.conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))

    def folder_counts(self, include_failed: bool = True) -> dict[int, int]:
        """Photos per folder id."""
        where = "" if include_failed else "WHERE status != 'failed' "
        return dict(
            self.conn.execute(f"SELECT folder_id, COUNT(*) FROM photos {where}GROUP BY folder_id")
        )

    # photos ------------------------------------------------------------------

    def photo(self, photo_id: int) -> PhotoRow | None:
        row = self.conn.execute(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE id = ?", (photo_id,)
        ).fetchone()
        return _photo(row) if row else None

    def photo_by_path(self, path: str | Path) -> PhotoRow | None:
        row = self.conn.execute(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE path = ?", (to_db(path),)
        ).fetchone()
        return _photo(row) if row else None

    def photos_in_folder(self, folder_id: int) -> dict[str, PhotoRow]:
        rows = self.conn.execute(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE folder_id = ?", (folder_id,)
        )
        return {p.path: p for p in map(_photo, rows)}

    def photos_under(self, folder_id: int, path: str) -> dict[str, PhotoRow]:
        """The folder's photos at ``path`` or below it (a range on the path index, no LIKE)."""
        base = to_db(path.rstrip(os.sep))
        rows = self.conn.execute(  # "+folder_id": search by path, not by the folder index
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE +folder_id = ? "
            "AND (path = ? OR (path >= ? AND path < ?))",
            (folder_id, base, base + os.sep, base + chr(ord(os.sep) + 1)),
        )
        return {p.path: p for p in map(_photo, rows)}

    def photos_by_hash(self, hash_: str, size: int) -> list[PhotoRow]:
        rows = self.conn.execute(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE hash = ? AND size = ?", (hash_, size)
        )
        return [_photo(r) for r in rows]

    def insert_photo(self, folder_id: int, path: str, size: int, mtime_ns: int, hash_: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO photos(folder_id, path, size, mtime_ns, hash, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'new', ?)",
            (folder_id, to_db(path), size, mtime_ns, hash_, time.time()),
        )
        return int(cur.lastrowid)

    def move_photo(self, photo_id: int, folder_id: int, path: str, mtime_ns: int) -> None:
        """A file seen at a new path with known content keeps its record, tags and embeddings."""
        self.conn.execute(
            "UPDATE photos SET folder_id = ?, path = ?, mtime_ns = ?, updated_at = ?, "
            "status = CASE WHEN error IS NOT NULL THEN 'failed' "
            "WHEN width IS NOT NULL THEN 'indexed' ELSE 'new' END WHERE id = ?",
            (folder_id, to_db(path), mtime_ns, time.time(), photo_id),
        )

    def update_changed(
        self,
        photo_id: int,
        size: int,
        mtime_ns: int,
        hash_: str,
        inode: int | None = None,
        full_hash: str | None = None,
    ) -> None:
        """The file's content changed (or a failed photo's file did): forget what was derived
        from the old content, and try it again."""
        self.conn.execute("DELETE FROM embeddings WHERE photo_id = ?", (photo_id,))
        self.conn.execute("DELETE FROM photo_text WHERE photo_id = ?", (photo_id,))
        self.conn.execute(  # its position and words are read again (its place tag then moves)
            "UPDATE photos SET size = ?, mtime_ns = ?, hash = ?, full_hash = ?, status = 'new', "
            "error = NULL, width = NULL, height = NULL, taken_at = NULL, orientation = NULL, "
            "keywords_read = 0, places_read = 0, text_read = 0, inode = COALESCE(?, inode), "
            "updated_at = ? "
            "WHERE id = ?",
            (size, mtime_ns, hash_, full_hash, inode or None, time.time(), photo_id),
        )

    def read_position_again(self, photo_id: int) -> None:
        """Its sidecar changed in another program, which may have set a GPS position: the
        places step looks at the photo again."""
        self.conn.execute("UPDATE photos SET places_read = 0 WHERE id = ?", (photo_id,))

    def touch(self, photo_id: int, mtime_ns: int, inode: int | None = None) -> None:
        self.conn.execute(
            "UPDATE photos SET mtime_ns = ?, inode = COALESCE(?, inode) WHERE id = ?",
            (mtime_ns, inode or None, photo_id),
        )

    def set_inode(self, photo_id: int, inode: int | None) -> None:
        if inode:
            self.conn.execute("UPDATE photos SET inode = ? WHERE id = ?", (inode, photo_id))

    def retry_failed(self) -> int:
        """Look at every failed photo again at the next scan (its file read and hashed anew,
        then decoded); how many there are."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE photos SET status = 'new', error = NULL, mtime_ns = -1, updated_at = ? "
                "WHERE status = 'failed'",
                (time.time(),),
            )
        return cur.rowcount

    def set_thumb_missing(self, photo_ids: Iterable[int], missing: bool = True) -> None:
        self.conn.executemany(
            "UPDATE photos SET thumb_missing = ? WHERE id = ?",
            [(int(missing), i) for i in photo_ids],
        )

    def thumbs_missing(self) -> list[tuple[int, str, str]]:
        """(id, path, hash) of present photos indexed while their thumbnail could not be saved."""
        return _paths(
            self.conn.execute(
                "SELECT id, path, hash FROM photos WHERE thumb_missing = 1 "
                "AND status IN ('new', 'indexed') ORDER BY id"
            )
        )

    def mark_missing(self, photo_ids: Iterable[int]) -> None:
        self.conn.executemany(
            "UPDATE photos SET status = 'missing', updated_at = ? WHERE id = ?",
            [(time.time(), i) for i in photo_ids],
        )

    def restore(self, photo_id: int) -> None:
        """A missing photo is back, unchanged."""
        self.conn.execute(
            "UPDATE photos SET status = CASE WHEN error IS NOT NULL THEN 'failed' "
            "WHEN width IS NOT NULL THEN 'indexed' ELSE 'new' END, updated_at = ? WHERE id = ?",
            (time.time(), photo_id),
        )

    def mark_failed(self, photo_id: int, reason: str) -> None:
        self.conn.execute(
            "UPDATE photos SET status = 'failed', error = ?, updated_at = ? WHERE id = ?",
            (shown(reason), time.time(), photo_id),  # a message for people; may quote a path
        )

    def set_decoded(
        self,
        photo_id: int,
        width: int,
        height: int,
        orientation: int,
        taken_at: str | None,
        full_hash: str | None = None,
    ) -> None:
        """The photo was decoded (``full_hash``: of the bytes decoded, when they were read)."""
        self.conn.execute(
            "UPDATE photos SET width = ?, height = ?, orientation = ?, taken_at = ?, "
            "full_hash = COALESCE(?, full_hash), status = 'indexed', error = NULL, "
            "updated_at = ? WHERE id = ?",
            (width, height, orientation, taken_at, full_hash, time.time(), photo_id),
        )

    def pending(self, model_id: int) -> list[tuple[int, str, str]]:
        """(id, path, hash) of present photos that have no embedding for ``model_id``."""
        return _paths(
            self.conn.execute(
                "SELECT p.id, p.path, p.hash FROM photos p WHERE p.status IN ('new', 'indexed') "
                "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id "
                "AND e.model_id = ?) ORDER BY p.id",
                (model_id,),
            )
        )

    def new_photos(self) -> list[tuple[int, str, str]]:
        """(id, path, hash) of photos not decoded yet (they need a thumbnail)."""
        return _paths(
            self.conn.execute("SELECT id, path, hash FROM photos WHERE status = 'new' ORDER BY id")
        )

    def present_photos(self) -> list[tuple[int, str]]:
        """(id, path) of every photo whose file is there, in path order."""
        return _paths(
            self.conn.execute(
                "SELECT id, path FROM photos WHERE status IN ('new', 'indexed') ORDER BY path"
            )
        )

    # the pipeline after embedding: what is still to do, from the catalog's own state ------

    def keywords_unread(self) -> list[tuple[int, str]]:
        """(id, path) of present photos whose sidecar and embedded keywords are not read."""
        return _paths(
            self.conn.execute(
                "SELECT id, path FROM photos WHERE keywords_read = 0 "
                "AND status IN ('new', 'indexed') ORDER BY id"
            )
        )

    def mark_keywords_read(self, photo_ids: Iterable[int]) -> None:
        self.conn.executemany(
            "UPDATE photos SET keywords_read = 1 WHERE id = ?", [(i,) for i in photo_ids]
        )

    def unscored(self, model_id: int) -> list[int]:
        """Ids of indexed photos whose ``model_id`` embedding has not been tagged yet."""
        rows = self.conn.execute(
            "SELECT e.photo_id FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_id = ? AND e.scored = 0 AND p.status = 'indexed' ORDER BY 1",
            (model_id,),
        )
        return [r[0] for r in rows]

    def has_unscored(self) -> bool:
        """Whether any embedding, of any model, waits for tagging (no model needed to ask)."""
        return (
            self.conn.execute("SELECT 1 FROM embeddings WHERE scored = 0 LIMIT 1").fetchone()
            is not None
        )

    def mark_scored(self, model_id: int, photo_ids: Iterable[int]) -> None:
        self.conn.executemany(
            "UPDATE embeddings SET scored = 1 WHERE photo_id = ? AND model_id = ?",
            [(i, model_id) for i in photo_ids],
        )

    def capture_times(self) -> dict[int, str]:
        """photo id -> EXIF DateTimeOriginal, for the photos that have one (one query)."""
        return dict(self.conn.execute("SELECT id, taken_at FROM photos WHERE taken_at IS NOT NULL"))

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("new", "indexed", "missing", "failed"), 0)
        counts.update(self.conn.execute("SELECT status, COUNT(*) FROM photos GROUP BY status"))
        return counts

    def failures(self) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT path, error FROM photos WHERE status = 'failed' ORDER BY path"
        )
        return [(from_db(p), e) for p, e in rows]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the catalog (a read transaction), unless a
        transaction is already open."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
