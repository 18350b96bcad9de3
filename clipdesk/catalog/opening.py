"""How a catalog file is opened: the lock beside it, the read-only and full-disk ways in.

Who has the catalog open: an advisory lock beside it, so that `clipdesk repair` never
swaps the file under a process that is writing it.

Every connection that may write the catalog (a :class:`~clipdesk.catalog.db.Catalog` opened
for writing: a terminal command, the worker) holds a shared lock on ``catalog.sqlite3.lock``
for as long as it is open. Repair takes the same lock exclusive, without waiting, and
refuses while anyone else holds it; while repair holds it, a process that opens the catalog
waits (saying so once) and then opens the repaired file. Read-only connections (the
window's reader, a catalog on a read-only disk) take no lock: what they read stays readable
through the old file, and they write nothing that could be lost.

The locks are ``fcntl.flock`` on POSIX: the OS drops them when a process ends, however it
ends, so a killed process never leaves a stale lock. Windows' ``msvcrt`` has no shared
lock: there repair takes the exclusive one and writers take none, and Windows itself refuses
to delete or replace a file another process has open: repair then stops with the catalog as
it was, and says that another process has it open.
(The index lock, pipeline/locks.py, and the worker lock, worker/state.py, take it exclusive.)
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from clipdesk.errors import Fatal

LOCK_SUFFIX = ".lock"
WAIT_MESSAGE = "waiting for `clipdesk repair` to finish (it is rebuilding the catalog)…"
POLL_S = 0.1


class CatalogInUse(Fatal):
    """Repair was asked for while another process has the catalog open."""


def lock_path(catalog: Path) -> Path:
    """The lock file beside ``catalog`` (``catalog.sqlite3.lock``)."""
    catalog = Path(catalog)
    return catalog.with_name(catalog.name + LOCK_SUFFIX)


def try_flock(fd: int, exclusive: bool) -> bool:
    """Take the lock on ``fd`` if it is free now (shared or exclusive); never waits."""
    if os.name == "nt":
        if not exclusive:
            return True  # no shared locks in msvcrt (see the module's note)
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _open(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        pass
    try:  # a lock file another user made: a read-only descriptor holds a flock as well
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


def in_use(catalog: Path) -> CatalogInUse:
    return CatalogInUse(
        f"another ClipDesk process has the catalog {catalog} open (a command such as add, "
        "index, export or tag): let it finish, then run `clipdesk repair` again (nothing "
        "was changed)"
    )


class OpenLock:
    """This process has the catalog open for writing (a shared hold); ``release`` drops it."""

    def __init__(self, catalog: Path, on_wait: Callable[[str], None] | None = None):
        in_memory = str(catalog) in ("", ":memory:")
        self._fd = None if in_memory else _open(lock_path(catalog))
        # No lock file can be made (a read-only or full folder): nobody can replace the
        # catalog there either, so there is nothing to guard against.
        if self._fd is None:
            return
        told = False
        while not try_flock(self._fd, exclusive=False):
            if not told and on_wait is not None:
                told = True
                on_wait(WAIT_MESSAGE)
            try:
                time.sleep(POLL_S)
            except BaseException:  # Ctrl-C while waiting: nothing is held
                self.release()
                raise

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


class RepairLock:
    """The catalog to oneself: no other process has it open for writing, and none opens it
    until ``release``. Raises :class:`CatalogInUse` at once when another one has it."""

    def __init__(self, catalog: Path):
        self._fd: int | None = os.open(lock_path(catalog), os.O_RDWR | os.O_CREAT, 0o666)
        if try_flock(self._fd, exclusive=True):
            return
        # Only shared holders (writers) let a shared lock through; another repair does not.
        repairing = not try_flock(self._fd, exclusive=False)
        self.release()
        if repairing:
            raise CatalogInUse(
                f"another `clipdesk repair` is already working on {catalog}: wait for it to "
                "finish (this one changed nothing)"
            )
        raise in_use(catalog)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RepairLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def stays_empty(path: Path, wait: float = 1.0) -> bool:
    """Whether the file exists with 0 bytes, and still has none after ``wait`` seconds (a
    catalog another process is creating right now is 0 bytes for an instant)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            if path.stat().st_size:
                return False
        except FileNotFoundError:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.1)


FULL_DISK = "database or disk is full"  # SQLite's own words, which the CLI explains
FULL_BELOW = 1 << 20  # free bytes under which SQLite cannot make its -shm and -wal files


def disk_full(folder: Path) -> bool:
    """Whether the disk holding ``folder`` has (next to) no free space left."""
    try:
        return shutil.disk_usage(folder).free < FULL_BELOW
    except OSError:
        return False


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to the catalog at ``path``, as it is on disk."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        # A WAL catalog in a folder where its -shm cannot be made: nobody can write it
        # there either, so it is read as it is on disk.
        conn.close()
        conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None, timeout=30)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    return conn
