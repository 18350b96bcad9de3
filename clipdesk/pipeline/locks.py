"""The index lock: one run at a time embeds a library's photos. ``index.lock`` in the data
folder is held by whoever embeds right now: a ``clipdesk index`` or ``add`` from its scan
to its last embedding, the worker for each index job. Another run waits for it (the
terminal) or looks again soon (the worker), so two runs never decode and embed the same
photos twice.

The locks are ``fcntl.flock`` on POSIX and ``msvcrt.locking`` on Windows: the OS drops
them when the process ends, however it ends, so a killed run never leaves a stale lock
(the pid in the file is only for the message).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from clipdesk.catalog.opening import try_flock

INDEX_LOCK_FILE = "index.lock"


class IndexLock:
    """The right to embed this library's photos now (one index run at a time)."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / INDEX_LOCK_FILE
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def try_acquire(self) -> bool:
        """Take the lock if no other run holds it; True when this one holds it now."""
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+b")  # noqa: SIM115 - held open while the lock is held
        if not try_flock(f.fileno(), exclusive=True):
            f.close()
            return False
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()).encode())
        f.flush()
        self._file = f
        return True

    def holder(self) -> str:
        """The pid of the run that holds the lock, as written in the file ("?" if unknown)."""
        try:
            return self.path.read_bytes().decode(errors="replace").strip() or "?"
        except OSError:
            return "?"

    def acquire(
        self,
        on_wait: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        poll: float = 0.2,
    ) -> bool:
        """Wait for the lock; ``on_wait`` hears once that another run holds it. False when
        ``cancel`` was set before the lock was had."""
        told = False
        while not self.try_acquire():
            if not told and on_wait is not None:
                told = True
                on_wait(f"another index run is in progress (pid {self.holder()}); waiting…")
            if cancel is not None and cancel.wait(poll):
                return False
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None
