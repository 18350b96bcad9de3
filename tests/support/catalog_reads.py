"""Reading a home's catalog from the test's own read-only connection (as the GUI reads)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def query(home: Path, sql: str, *args):
    """A read-only look at the catalog from the test's own connection (as the GUI reads)."""
    conn = sqlite3.connect(
        f"file:{home / 'data' / 'catalog.sqlite3'}?mode=ro", uri=True, timeout=10
    )
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def count(home: Path, sql: str, *args) -> int:
    return query(home, sql, *args)[0][0]
