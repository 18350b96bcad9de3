"""The GUI's own read-only view of the catalog.

Small reads (a page of grid rows, one photo's tags) run on the GUI thread over one read-only
connection. Reads that grow with the library (every photo id under a filter, tag counts) run
on a private thread pool, each on a fresh connection, and their result comes back on the GUI
thread. The worker is the only writer; WAL lets these reads go on while it commits.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from clipdesk.catalog import Catalog
from clipdesk.catalog.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)
ReadFn = Callable[[Catalog], Any]


class NotReady(RuntimeError):
    """The catalog file exists but the worker has not finished creating its tables."""


def _open(path: Path) -> Catalog:
    catalog = Catalog(path, readonly=True)
    if catalog.schema_version() < SCHEMA_VERSION:
        catalog.close()
        raise NotReady(path)
    return catalog


class _Read(QRunnable):
    def __init__(self, reader: CatalogReader, token: int, fn: ReadFn):
        super().__init__()
        self.reader, self.token, self.fn = reader, token, fn

    def run(self) -> None:
        result, error = None, None
        try:
            with _open(self.reader.path) as catalog:
                result = self.fn(catalog)
        except Exception as exc:  # reported on the GUI thread; never kills the pool thread
            error = exc
        self.reader._finished.emit(self.token, result, error)


class CatalogReader(QObject):
    """Read-only catalog access for the windows; ``changed`` fires when the catalog moved on."""

    changed = Signal()
    _finished = Signal(int, object, object)

    def __init__(self, path: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self._catalog: Catalog | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._pending: dict[int, tuple[str | None, Callable[[Any], None]]] = {}
        self._latest: dict[str, int] = {}
        self._tokens = itertools.count(1)
        self._closed = False
        self._finished.connect(self._deliver)
        # Change notices arrive in bursts while the worker indexes: coalesce them.
        self._coalesce = QTimer(self, singleShot=True, interval=400)
        self._coalesce.timeout.connect(self.changed)

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def catalog(self) -> Catalog | None:
        """The GUI thread's connection, opened on first use; None until the catalog exists."""
        if self._catalog is None and not self._closed and self.exists:
            try:
                self._catalog = _open(self.path)
            except NotReady:
                pass  # the worker is creating it: the next change notice tries again
            except sqlite3.Error as exc:
                log.warning("cannot open the catalog yet: %s", exc)
        return self._catalog

    def read(self, fn: ReadFn, done: Callable[[Any], None], key: str | None = None) -> None:
        """Run ``fn(catalog)`` off the GUI thread, then ``done(result)`` on it.

        With a ``key``, a newer read under the same key supersedes an older one still running:
        only the newest result is delivered.
        """
        if self._closed or not self.exists:
            return
        token = next(self._tokens)
        self._pending[token] = (key, done)
        if key is not None:
            self._latest[key] = token
        self._pool.start(_Read(self, token, fn))

    def notify_changed(self, now: bool = False) -> None:
        """The catalog changed: tell the windows (coalesced unless ``now``)."""
        if self._closed:
            return
        if now:
            self._coalesce.stop()
            self.changed.emit()
        elif not self._coalesce.isActive():
            self._coalesce.start()

    @Slot(int, object, object)
    def _deliver(self, token: int, result: Any, error: BaseException | None) -> None:
        key, done = self._pending.pop(token, (None, None))
        if done is None or self._closed:
            return
        if key is not None and self._latest.get(key) != token:
            return  # a newer read under this key is on its way
        if isinstance(error, NotReady):
            return
        if error is not None:
            log.warning("catalog read failed: %s", error)
            return
        done(result)

    def reopen(self) -> None:
        """Drop the GUI thread's connection (it is opened again on next use): the catalog file
        was replaced, e.g. by ``clipdesk repair``, and the old connection still sees the old one."""
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def close(self) -> None:
        """Stop background reads and close the connection; nothing is delivered afterwards."""
        self._closed = True
        self._coalesce.stop()
        self._pool.clear()
        self._pool.waitForDone()
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None
