"""Recover a damaged catalog: back the file up, keep every row SQLite can still read.

Used only when the user asks (`clipdesk repair`); a damaged catalog is never replaced
silently. SQLite's own ``.recover`` (the ``sqlite3`` command-line shell) reads past damaged
pages; without that shell, the tables are copied row by row into a fresh catalog, each up to
its first unreadable row. What is lost is found again by the next ``clipdesk index``: photos
by scanning the folders, embeddings by embedding again; lost decisions stay lost, which is
why the backup is kept.

Repair takes the catalog to itself first (``opening.RepairLock``): it refuses while another
process has it open, and a process that opens it meanwhile waits. A healthy catalog is
left alone; a failed repair (a full disk) leaves the catalog and its folder as they were.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.catalog.opening import FULL_BELOW, RepairLock, connect_readonly, in_use
from clipdesk.catalog.schema import MIGRATIONS, SCHEMA_VERSION, CatalogTooNew, migrate
from clipdesk.errors import Fatal

SIDE_FILES = ("-wal", "-shm")
COUNTED = ("folders", "photos", "embeddings", "tags", "photo_tags", "corrections")


class RepairNoSpace(Fatal):
    """The disk cannot hold the backup and the rebuilt catalog: nothing was changed."""


@dataclass
class RepairReport:
    backup: Path | None  # None: the catalog was healthy and was left as it was
    method: str  # "sqlite3 .recover" or "row copy"
    counts: dict[str, int] = field(default_factory=dict)  # rows kept (or found) per table

    @property
    def healthy(self) -> bool:
        return self.backup is None


def _with_cli(damaged: Path, new: Path) -> bool:
    shell = shutil.which("sqlite3")
    if shell is None:
        return False
    try:
        dump = subprocess.run(
            [shell, str(damaged), ".recover"], capture_output=True, timeout=3600, check=False
        )
        if not dump.stdout:
            return False
        subprocess.run(
            [shell, str(new)], input=dump.stdout, capture_output=True, timeout=3600, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return new.exists()


def _fresh(new: Path) -> sqlite3.Connection:
    """An empty catalog of the current schema at ``new``."""
    conn = sqlite3.connect(new, isolation_level=None)
    for step in range(SCHEMA_VERSION):
        conn.executescript(f"BEGIN;\n{MIGRATIONS[step]}\nCOMMIT;")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return conn


def _copy_rows(source: Path, conn: sqlite3.Connection) -> None:
    """Every row of ``source`` that can be read into ``conn``'s tables (columns both have).

    Each table is read forwards up to its first damaged page, then backwards (by its key)
    down to the last one: only the rows on damaged pages are lost."""
    try:
        old = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        info = list(conn.execute(f"PRAGMA table_info({table})"))
        try:
            have = {r[1] for r in old.execute(f"PRAGMA table_info({table})")}
        except sqlite3.DatabaseError:
            continue
        cols = [r[1] for r in info if r[1] in have]
        if not cols:
            continue
        key = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5] and r[1] in have]
        backwards = ", ".join(f"{k} DESC" for k in key) if key else "rowid DESC"
        marks = ", ".join("?" * len(cols))
        insert = f"INSERT OR IGNORE INTO {table}({', '.join(cols)}) VALUES ({marks})"
        select = f"SELECT {', '.join(cols)} FROM {table}"
        conn.execute("BEGIN")
        for order in ("", f" ORDER BY {backwards}"):
            try:
                for row in old.execute(select + order):
                    conn.execute(insert, row)
                break  # read to the end: nothing more to find backwards
            except sqlite3.DatabaseError:
                continue  # a damaged page: keep what came before it, then read from the end
        conn.execute("COMMIT")
    old.close()


def damage(path: Path) -> str | None:
    """What is wrong with the catalog at ``path`` (read-only, the whole file checked), or
    None when it is healthy. Raises CatalogTooNew for a newer ClipDesk's catalog: rebuilding
    it here would drop what that version keeps."""
    if path.stat().st_size == 0:
        return "the file is empty, 0 bytes"
    try:
        conn = connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CatalogTooNew(
                f"the catalog {path} has schema version {version}, but this ClipDesk knows "
                f"only up to {SCHEMA_VERSION}: update ClipDesk (nothing was changed)"
            )
        result = [r[0] for r in conn.execute("PRAGMA integrity_check(3)")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    return None if result == ["ok"] else "; ".join(result)


def _counts(path: Path) -> dict[str, int]:
    conn = connect_readonly(path)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()


def _check_space(path: Path) -> None:
    """Refuse before writing anything when the backup and the rebuilt catalog cannot fit."""
    size = sum(
        os.path.getsize(f"{path}{s}") for s in ("", *SIDE_FILES) if os.path.exists(f"{path}{s}")
    )
    need = 2 * size + FULL_BELOW  # the backup, and a new catalog no bigger than the old one
    free = shutil.disk_usage(path.parent).free
    if free < need:
        raise RepairNoSpace(
            f"the disk holding the catalog is full: repair needs about {_mb(need)} free for "
            f"the backup and the rebuilt catalog, and {_mb(free)} is free; free some space "
            "and run it again (nothing was changed)"
        )


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _remove(*paths: Path) -> None:
    for p in paths:
        for suffix in ("", *SIDE_FILES):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{p}{suffix}")


def repair(path: Path) -> RepairReport:
    """Back up ``path`` (and its WAL), rebuild it from what can be read, open it once to
    bring it to the current schema; a healthy catalog is left as it is (the report's
    ``healthy``). Raises FileNotFoundError when there is no catalog, CatalogInUse when
    another process has it open, RepairNoSpace when the disk cannot hold the copies; a
    repair that fails leaves the catalog and its folder as they were."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    with RepairLock(path):  # no other process has it open, and none opens it meanwhile
        problem = damage(path)
        if problem is None:
            return RepairReport(None, "", _counts(path))
        _check_space(path)
        return _rebuild(path)


def _rebuild(path: Path) -> RepairReport:
    backup = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    new = path.with_name(f"{path.name}.recovering")
    readable = path.with_name(f"{path.name}.recovered-rows")
    _remove(new, readable)  # what a repair killed midway left
    original_touched = False
    try:
        for suffix in ("", *SIDE_FILES):
            src = Path(f"{path}{suffix}")
            if src.exists():
                shutil.copy2(src, f"{backup}{suffix}")
        # Every row that can be read from the backup, then any more that SQLite's own
        # .recover finds (it reads past damaged pages), into a fresh catalog of the current
        # schema, so that no table or column is missing afterwards.
        conn = _fresh(new)
        try:
            _copy_rows(backup, conn)
            method = "row copy"
            if _with_cli(backup, readable):
                _copy_rows(readable, conn)
                method = "row copy and sqlite3 .recover"
        finally:
            conn.close()
            _remove(readable)
        conn = sqlite3.connect(new, isolation_level=None)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the recovered catalog is not consistent either")
            migrate(conn)
            counts = {}
            for table in COUNTED:
                counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()
        for suffix in SIDE_FILES:  # they belong to the damaged file, which is backed up
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{suffix}")
                original_touched = True
        os.replace(new, path)
    except BaseException as exc:
        # The catalog is as it was (its backup is kept only if its WAL is gone already).
        _remove(new, readable)
        if not original_touched:
            _remove(backup)
        if os.name == "nt" and isinstance(exc, PermissionError) and not original_touched:
            raise in_use(path) from exc  # Windows: another process has the file open
        raise
    return RepairReport(backup, method, counts)
