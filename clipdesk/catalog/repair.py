"""Recover a damaged catalog: back the file up, keep every row SQLite can still read.

Used only when the user asks (`clipdesk repair`); a damaged catalog is never replaced
silently. SQLite's own ``.recover`` (the ``sqlite3`` command-line shell) reads past damaged
pages; without that shell, the tables are copied row by row into a fresh catalog, each up to
its first unreadable row. What is lost is found again by the next ``clipdesk index``: photos
by scanning the folders, embeddings by embedding again; lost decisions stay lost, which is
why the backup is kept.
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

from clipdesk.catalog.schema import MIGRATIONS, SCHEMA_VERSION, migrate

SIDE_FILES = ("-wal", "-shm")
COUNTED = ("folders", "photos", "embeddings", "tags", "photo_tags", "corrections")


@dataclass
class RepairReport:
    backup: Path
    method: str  # "sqlite3 .recover" or "row copy"
    counts: dict[str, int] = field(default_factory=dict)  # rows kept per table


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


def repair(path: Path) -> RepairReport:
    """Back up ``path`` (and its WAL), rebuild it from what can be read, open it once to
    bring it to the current schema. Raises FileNotFoundError when there is no catalog."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    backup = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("", *SIDE_FILES):
        src = Path(f"{path}{suffix}")
        if src.exists():
            shutil.copy2(src, f"{backup}{suffix}")
    new = path.with_name(f"{path.name}.recovering")
    readable = path.with_name(f"{path.name}.recovered-rows")
    for p in (new, readable):
        for suffix in ("", *SIDE_FILES):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{p}{suffix}")
    # Every row that can be read from the backup, then any more that SQLite's own .recover
    # finds (it reads past damaged pages), into a fresh catalog of the current schema, so
    # that no table or column is missing afterwards.
    conn = _fresh(new)
    try:
        _copy_rows(backup, conn)
        method = "row copy"
        if _with_cli(backup, readable):
            _copy_rows(readable, conn)
            method = "row copy and sqlite3 .recover"
    finally:
        conn.close()
        for suffix in ("", *SIDE_FILES):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{readable}{suffix}")
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
    os.replace(new, path)
    return RepairReport(backup, method, counts)
