"""Crash-safe replacement of a small file: temp file in the same folder, fsync, os.replace.

A crash at any point leaves either the old file or the new one. Temp files are named
``.<name>.<host>-<pid>-<random>.clipdesk-tmp``; one left behind by a killed process is removed
by the next write to the same file (when its process is gone, or after an hour when it cannot
be told, e.g. another machine on a network share).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from pathlib import Path

TEMP_SUFFIX = ".clipdesk-tmp"
STALE_AFTER_S = 3600.0


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def temp_name(target: Path) -> str:
    """A fresh temp file name for ``target`` (in the same folder)."""
    return f".{target.name}.{_host()}-{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _owner_alive(host: str, pid: int) -> bool | None:
    """Whether the process that made a temp file still runs; None when it cannot be told."""
    if host != _host() or os.name != "posix":
        return None  # os.kill(pid, 0) would terminate the process on Windows
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def stale_temps(target: Path) -> list[Path]:
    """Temp files of earlier writes to ``target`` whose writer is gone."""
    prefix = f".{target.name}."
    out: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return out
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        tag = name[len(prefix) : -len(TEMP_SUFFIX)]
        host, _, rest = tag.partition("-")
        pid_text = rest.partition("-")[0]
        alive = _owner_alive(host, int(pid_text)) if pid_text.isdigit() else None
        if alive is None:
            try:
                alive = time.time() - entry.stat().st_mtime < STALE_AFTER_S
            except OSError:
                continue
        if not alive:
            out.append(Path(entry.path))
    return out


def remove_stale_temps(target: Path) -> int:
    """Delete :func:`stale_temps` of ``target``; return how many were removed."""
    n = 0
    for path in stale_temps(target):
        try:
            path.unlink()
            n += 1
        except OSError:  # already gone, or a read-only folder: the write will say so
            pass
    return n


def write_temp(target: Path, data: bytes, mode: int | None) -> Path:
    """Write ``data`` to a new fsynced temp file beside ``target``; return its path.

    ``mode`` (permission bits) is applied when given, e.g. the replaced file's. Raises OSError
    (PermissionError for a read-only folder); nothing is left behind on failure.
    """
    tmp = target.with_name(temp_name(target))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable: best effort, POSIX only, never raises (the rename
    has happened; a file system that cannot fsync a directory is not an error)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
