"""Which worker owns a catalog, who is embedding its photos, and how each folder is watched,
for other processes to read.

The running worker holds an exclusive lock on ``worker.lock`` in the data dir for its
whole life; the OS drops the lock when the process ends, however it ends (SIGKILL
included), so a lock that can be taken means no worker is alive, whatever a stale
``watch.json`` beside it says.

``index.lock`` is held by whoever embeds the library's photos right now: a ``clipdesk
index`` or ``add`` for its whole run, the worker for each of its index jobs. A second run
waits for it, so two runs never decode and embed the same photos twice. The locks are
``fcntl.flock`` on POSIX and ``msvcrt.locking`` on Windows: both are dropped by the OS
when the process ends, so a killed run never leaves a stale lock behind (the pid in the
file is only for the message).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

LOCK_FILE = "worker.lock"
INDEX_LOCK_FILE = "index.lock"
STATE_FILE = "watch.json"


class WorkerAlreadyRunning(RuntimeError):
    """Another ClipDesk worker (the app or `clipdesk watch`) already owns this catalog."""


def _try_lock(f: IO[bytes]) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class WorkerLock:
    """The exclusive right to be this catalog's worker."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_FILE
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+b")  # noqa: SIM115 - held open for the worker's life
        if not _try_lock(f):
            f.seek(0)
            pid = f.read().decode(errors="replace").strip() or "?"
            f.close()
            raise WorkerAlreadyRunning(
                f"another ClipDesk (pid {pid}) is already indexing this library; "
                "stop it first, or use it"
            )
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()).encode())
        f.flush()
        self._file = f
        clean_stray_files(self.path.parent)  # what a killed worker left half-written

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None


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
        if not _try_lock(f):
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
        stop: Callable[[], bool] | None = None,
        poll: float = 0.2,
    ) -> bool:
        """Wait for the lock; ``on_wait`` hears once that another run holds it. False when
        ``stop()`` said to give up before the lock was had."""
        told = False
        while not self.try_acquire():
            if not told and on_wait is not None:
                told = True
                on_wait(f"another index run is in progress (pid {self.holder()}); waiting…")
            if stop is not None and stop():
                return False
            time.sleep(poll)
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None


def clean_stray_files(data_dir: Path) -> list[Path]:
    """Remove the ``watch.<pid>.tmp`` files of workers that died while writing them (the pid
    is not alive); the files removed."""
    removed = []
    for tmp in Path(data_dir).glob(f"{Path(STATE_FILE).stem}.*.tmp"):
        pid = tmp.suffixes[-2].lstrip(".") if len(tmp.suffixes) >= 2 else ""
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                tmp.unlink()
            except OSError:
                continue
            removed.append(tmp)
    return removed


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # no signal 0 there: keep the file unless the pid is surely gone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def worker_alive(data_dir: Path) -> bool:
    """True when some process holds the worker lock on this data dir."""
    path = Path(data_dir) / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+b") as f:
        return not _try_lock(f)  # closing the file releases a lock taken just to look


def write_state(data_dir: Path, folders: dict[str, dict]) -> None:
    """Record how each folder is watched, atomically (readers see the old or the new file)."""
    path = Path(data_dir) / STATE_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps({"pid": os.getpid(), "updated_at": time.time(), "folders": folders}, indent=2),
        encoding="utf-8",
    )
    os.replace(tmp, path)


def clear_state(data_dir: Path) -> None:
    (Path(data_dir) / STATE_FILE).unlink(missing_ok=True)


def read_state(data_dir: Path) -> dict | None:
    """The running worker's watch state: {"pid", "folders": {path: {"mode", "reason"}}};
    None when no worker is alive."""
    if not worker_alive(data_dir):
        return None
    try:
        return json.loads((Path(data_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"pid": None, "folders": {}}  # starting up: the state is not written yet
