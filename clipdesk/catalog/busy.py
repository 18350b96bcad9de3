"""Waiting for the catalog's write lock, with a word to the user instead of a crash.

SQLite lets one connection write at a time. Left to SQLite, a writer that meets another
one's lock waits 30 s (the connection's busy timeout) and then fails with ``database is
locked``, losing what the user had just decided. So every write transaction begins through
:func:`begin_immediate`: it asks for the lock in short slices (SQLite's own busy handler
waits inside each), says once that it is waiting (``on_wait``, which the CLI points at
stderr and the worker at the window), and goes on waiting until it gets the lock; Ctrl-C
stops the wait between slices. Writers keep their transactions short (the scanner commits
every few hundred rows), so the wait is normally a fraction of a second.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

BUSY_SLICE_MS = 500  # one try at the lock; the connection's busy handler waits within it
NORMAL_BUSY_MS = 30_000  # the busy timeout of every other statement
WAIT_MESSAGE = "waiting for another ClipDesk process (it is writing the catalog)…"

Notice = Callable[[str], None]

# Where the "waiting" line goes when a catalog was given none (the CLI sets it to stderr).
default_notice: Notice | None = None


def set_default_notice(notice: Notice | None) -> None:
    """Where catalogs opened from now on say that they wait for another writer."""
    global default_notice
    default_notice = notice


def is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def begin_immediate(conn: sqlite3.Connection, on_wait: Notice | None = None) -> float:
    """``BEGIN IMMEDIATE``, waiting as long as another process holds the write lock; the
    first time it has to wait, ``on_wait(WAIT_MESSAGE)`` is called once. Seconds waited."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_SLICE_MS}")
    start = time.monotonic()
    told = False
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return time.monotonic() - start
            except sqlite3.OperationalError as exc:
                if not is_locked(exc):
                    raise
            if not told and on_wait is not None:
                told = True
                on_wait(WAIT_MESSAGE)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {NORMAL_BUSY_MS}")
