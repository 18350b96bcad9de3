"""Crash-safe replacement of a small file: temp file in the same folder, fsync, os.replace.

A crash at any point leaves either the old file or the new one. Temp files are named
``.<name>.<host>-<pid>-<random>.clipdesk-tmp``; one left behind by a killed process is removed
by the next write to the same file (when its process is gone, or after an hour when it cannot
be told, e.g. another machine on a network share).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import socket
import stat
import threading
import time
from pathlib import Path

TEMP_SUFFIX = ".clipdesk-tmp"
STALE_AFTER_S = 3600.0


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _temp_key(name: str) -> str:
    """The target's part of its temp names: the name itself, or for a name so long that the
    temp name would pass the file system's 255 bytes, ``~`` and a digest of it."""
    raw = os.fsencode(name)
    return name if len(raw) <= 200 else "~" + hashlib.sha1(raw).hexdigest()


def temp_name(target: Path) -> str:
    """A fresh temp file name for ``target`` (in the same folder)."""
    key = _temp_key(target.name)
    return f".{key}.{_host()}-{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


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


_TEMP_RE = re.compile(
    r"^\.(?P<target>.+)\.(?P<host>[0-9a-f]+)-(?P<pid>\d+)-[0-9a-f]+" + re.escape(TEMP_SUFFIX) + "$"
)
# Per folder: (the folder's mtime when listed, {target name: [(temp name, host, pid)]}).
# Listing a folder of 10k photos for every sidecar written would make an export quadratic;
# the listing is reused until the folder changes other than by our own writes (note_written).
_Temp = tuple[str, str, int]
_listings: dict[str, tuple[int, dict[str, list[_Temp]]]] = {}
_listings_lock = threading.Lock()


def _temps_in(folder: Path) -> dict[str, list[_Temp]]:
    try:
        mtime = os.stat(folder).st_mtime_ns
    except OSError:
        return {}
    key = str(folder)
    with _listings_lock:
        hit = _listings.get(key)
    if hit and hit[0] == mtime:
        return hit[1]
    temps: dict[str, list[_Temp]] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(TEMP_SUFFIX) and (m := _TEMP_RE.match(entry.name)):
                    temps.setdefault(m["target"], []).append((entry.name, m["host"], int(m["pid"])))
    except OSError:
        return {}
    with _listings_lock:
        _listings[key] = (mtime, temps)
    return temps


def note_written(folder: Path) -> None:
    """Our own rename changed ``folder``: keep its listing (no temp of another writer came)."""
    key = str(folder)
    with _listings_lock:
        hit = _listings.get(key)
        if hit is None:
            return
        try:
            _listings[key] = (os.stat(folder).st_mtime_ns, hit[1])
        except OSError:
            _listings.pop(key, None)


def stale_temps(target: Path) -> list[Path]:
    """Temp files of earlier writes to ``target`` whose writer is gone."""
    out: list[Path] = []
    for name, host, pid in _temps_in(target.parent).get(_temp_key(target.name), []):
        path = target.parent / name
        alive = _owner_alive(host, pid)
        if alive is None:
            try:
                alive = time.time() - path.stat().st_mtime < STALE_AFTER_S
            except OSError:
                continue  # already gone
        if not alive:
            out.append(path)
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
    if n:
        # Gone for good: a later note_written must not keep offering them from the listing.
        with _listings_lock:
            hit = _listings.get(str(target.parent))
            if hit:
                key = _temp_key(target.name)
                left = [t for t in hit[1].get(key, []) if (target.parent / t[0]).exists()]
                hit[1][key] = left
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


def install(tmp: Path, target: Path, *, new: bool) -> bool:
    """Move the finished temp file ``tmp`` to ``target``, never writing through a link.

    ``new``: ``target`` did not exist when read. It is then hard-linked into place, which
    fails if anything (a file, a link, dangling or not) has appeared there meanwhile: False is
    returned and the caller merges again. File systems without hard links fall back to the
    check-and-rename below.

    Replacing: ``target`` is checked with ``lstat`` right before ``os.replace``. A rename
    never writes through a link in any case (it replaces the directory entry), so the worst a
    link slipped in between the check and the rename can cause is that the link itself is
    replaced by the new sidecar; nothing outside the folder is touched. A link found by the
    check raises ``OSError(ELOOP)``. ``tmp`` is left for the caller to remove.
    """
    if new:
        try:
            os.link(tmp, target, follow_symlinks=False)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
                raise
        else:
            tmp.unlink(missing_ok=True)
            return True
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        if not new:
            return False  # removed meanwhile: merge again (it will be created)
    else:
        if stat.S_ISLNK(st.st_mode):
            raise OSError(errno.ELOOP, "it is a link (ClipDesk never writes through links)")
        if new:
            return False  # appeared meanwhile: merge again with its content
    os.replace(tmp, target)
    return True
