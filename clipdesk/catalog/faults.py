"""What is wrong with a catalog, in words a user can act on (the CLI's one line, the window's
banner).

The whole table of faults, what the user sees and what is lost: docs/faults.md.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from clipdesk.catalog.busy import is_locked
from clipdesk.catalog.db import Catalog, CatalogDamaged
from clipdesk.catalog.opening import disk_full
from clipdesk.catalog.schema import SCHEMA_VERSION, CatalogTooNew

REPAIR = "run `clipdesk repair` to back it up and recover what can be read"


def explain(exc: BaseException, catalog: Path) -> str | None:
    """One line saying what is wrong with the catalog and what to do; None when ``exc`` is
    not a catalog fault a user can meet."""
    if isinstance(exc, (CatalogDamaged, CatalogTooNew)):
        return str(exc)
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, sqlite3.IntegrityError):
        return None
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return (
            f"the catalog {catalog} (or its folder) is read-only: make it writable to "
            "index or tag (browsing and search work as they are)"
        )
    if "locked" in text or "busy" in text:
        return "another ClipDesk process is writing the catalog: try again when it is done"
    if "disk is full" in text or ("disk i/o error" in text and disk_full(catalog.parent)):
        return "the disk holding the catalog is full: free some space and try again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return str(CatalogDamaged(catalog, str(exc)))
    if "unable to open" in text:
        return f"cannot open the catalog {catalog}: check that you may read and write it"
    return None


def catalog_problem(path: Path) -> str | None:
    """Why the catalog at ``path`` cannot be used as it is, looked at quickly and read-only
    (no migration, no write); None when there is no catalog yet, it looks fine, or another
    process holds it for the moment (a writer waits for that)."""
    path = Path(path)
    try:
        if not path.exists():
            return None
        if path.stat().st_size == 0:
            return str(CatalogDamaged(path, "the file is empty, 0 bytes"))
        with Catalog(path, readonly=True) as cat:
            version = cat.schema_version()
            if version > SCHEMA_VERSION:
                return str(
                    CatalogTooNew(
                        f"the catalog {path} has schema version {version}, but this ClipDesk "
                        f"knows only up to {SCHEMA_VERSION}; update ClipDesk to open it"
                    )
                )
            # No integrity check here (it reads the whole file): a damaged page met later
            # is reported by the read or the job that meets it, in the same words.
            if version:
                cat.conn.execute("SELECT id FROM photos LIMIT 1").fetchall()
    except (sqlite3.Error, OSError, CatalogDamaged, CatalogTooNew) as exc:
        if is_locked(exc):
            return None
        return explain(exc, path) or f"cannot read the catalog {path}: {exc}"
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return explain(sqlite3.OperationalError("readonly"), path)
    return None
