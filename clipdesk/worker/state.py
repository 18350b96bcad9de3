"""Which worker owns a catalog and how each folder is watched, for other processes to read.

The running worker holds an exclusive lock on ``worker.lock`` in the data dir for its
whole life; the OS drops the lock when the process ends, however it ends (SIGKILL
included), so a lock that can be taken means no worker is alive, whatever a stale
``watch.json`` beside it says. (Who scans and embeds right now: pipeline/locks.py.)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import IO

from clipdesk.catalog.opening import try_flock

LOCK_FILE = "worker.lock"
STATE_FILE = "watch.json"


class WorkerAlreadyRunning(RuntimeError):
    """Another ClipDesk worker (the app or `clipdesk watch`) already owns this catalog."""


class WorkerLock:
    """The exclusive right to be this catalog's worker."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_FILE
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+b")  # noqa: SIM115 - held open for the worker's life
        if not try_flock(f.fileno(), exclusive=True):
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
        return not try_flock(
            f.fileno(), exclusive=True
        )  # closing the file releases a lock taken just to look


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
