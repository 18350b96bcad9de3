"""Watching photo folders: watchdog events -> debounced, coalesced change batches. No Qt.

One watchdog Observer holds a recursive watch per folder root. Events are collected
per path. A path is ready once no event has touched it for ``debounce`` seconds and
its size and mtime are what they were at its last event (a file still being copied
keeps changing). Ready paths go out together once no event at all has arrived for
``debounce`` seconds (a camera import of 2,000 files is one batch), or after
``max_delay`` at the latest, so that one slow copy does not hold back the files
already complete.

A folder falls back to polling (a full rescan every ``poll_interval``) when the OS
runs out of watches or the folder is on a network filesystem that sends no events.
Every ``poll_interval`` the roots are checked: a root that vanished (an unmounted
drive, a moved folder) is reported with a rescan, which marks its photos missing,
and is watched again, with another rescan, when it comes back.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from clipdesk.imaging import SUPPORTED_EXTENSIONS

log = logging.getLogger(__name__)

# Filesystems whose changes made on other machines never reach inotify.
NETWORK_FS = frozenset(
    {"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs", "9p", "davfs", "afpfs"}
)
# Opening and reading files (our own decoder does) must not count as changes.
_EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]

# Photos, and XMP sidecars: one another program changed is read again (sidecars/resync.py).
WATCHED_EXTENSIONS = frozenset(SUPPORTED_EXTENSIONS) | {".xmp"}

# folder id -> changed paths in it, or None for "rescan the whole folder"
Changes = dict[int, "set[str] | None"]


@dataclass(frozen=True)
class WatchMode:
    mode: str  # "events", "polling" or "missing"
    reason: str | None = None


def mount_fstype(path: str, mounts_file: str = "/proc/mounts") -> str | None:
    """The type of the filesystem holding ``path``, from the mount table (Linux; else None)."""
    try:
        with open(mounts_file, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    real = os.path.realpath(path)
    best, fstype = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        # The mount table escapes spaces and tabs in paths as octal (\040).
        mnt = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[1])
        if _is_within(real, mnt) and len(mnt) >= len(best):
            best, fstype = mnt, parts[2]
    return fstype


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _file_stat(path: str) -> tuple[int, int] | None:
    """(size, mtime) of a file; None for a folder or a path that is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return None if os.path.isdir(path) else (st.st_size, st.st_mtime_ns)


def _dir_identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if os.path.isdir(path) else None


@dataclass
class _Pending:
    folder_id: int
    last_event: float
    stat: tuple[int, int] | None  # at the last event


@dataclass
class _Folder:
    root: str
    handler: _Handler
    mode: WatchMode = WatchMode("missing")
    watch: ObservedWatch | None = None
    identity: tuple[int, int] | None = None
    next_poll: float = 0.0


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher, folder_id: int, root: str):
        self.watcher, self.folder_id, self.root = watcher, folder_id, root

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher._on_event(self.folder_id, self.root, event)


class FolderWatcher:
    """Turns filesystem events under folder roots into batches for ``on_changes``.

    ``on_changes`` and ``on_mode`` are called from the watcher's own thread.
    """

    def __init__(
        self,
        on_changes: Callable[[Changes], None],
        on_mode: Callable[[int, str, WatchMode], None] | None = None,
        poll_interval: float = 30.0,
        debounce: float = 1.0,
        max_delay: float | None = None,
        network_fs: frozenset[str] = NETWORK_FS,
    ):
        self.on_changes = on_changes
        self.on_mode = on_mode or (lambda *_: None)
        self.poll_interval = poll_interval
        self.debounce = debounce
        self.max_delay = max_delay if max_delay is not None else max(4 * debounce, 2.0)
        self.network_fs = network_fs
        self.batches = 0  # batches handed to on_changes, for status and tests
        self._cond = threading.Condition()  # guards the state below
        self._schedule_lock = threading.Lock()  # serialises observer (un)scheduling
        self._folders: dict[int, _Folder] = {}
        self._pending: dict[str, _Pending] = {}
        self._ready: Changes = {}
        self._ready_since: float | None = None
        self._last_event = 0.0
        self._next_root_check = 0.0
        self._check_roots_now = False
        self._handing_out = False  # between taking a batch and on_changes returning
        self._stopping = False
        self._observer: Observer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._observer = Observer()
        self._observer.start()
        self._next_root_check = time.monotonic() + self.poll_interval
        self._thread = threading.Thread(target=self._loop, name="clipdesk-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the observer and the watcher thread, and wait for them."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._schedule_lock:
            if self._observer is not None:
                self._observer.stop()
                self._observer.join(timeout)

    def watch(self, folder_id: int, root: str) -> WatchMode:
        """Start watching a folder root (by events if possible, else by polling)."""
        root = os.path.normpath(os.fspath(root))
        with self._cond:
            if self._stopping:
                return WatchMode("missing", "stopped")
            old = self._folders.get(folder_id)
            if old is not None and old.root == root:
                return old.mode
            folder = _Folder(root, _Handler(self, folder_id, root))
            self._folders[folder_id] = folder
        if old is not None:
            self._detach(old)
        return self._attach(folder_id, folder)

    def unwatch(self, folder_id: int) -> None:
        with self._cond:
            folder = self._folders.pop(folder_id, None)
        if folder is not None:
            self._detach(folder)

    def modes(self) -> dict[int, tuple[str, WatchMode]]:
        """folder id -> (root, how it is watched)."""
        with self._cond:
            return {i: (f.root, f.mode) for i, f in self._folders.items()}

    def busy(self) -> bool:
        """True while events are waiting to settle or to go out."""
        with self._cond:
            return bool(self._pending or self._ready or self._handing_out)

    # -- attaching a watch ------------------------------------------------------------

    def _attach(self, folder_id: int, folder: _Folder) -> WatchMode:
        identity = _dir_identity(folder.root)
        watch = None
        if identity is None:
            mode = WatchMode("missing", "folder not found (unmounted?)")
        elif (fstype := mount_fstype(folder.root)) in self.network_fs:
            mode = WatchMode("polling", f"{fstype} filesystem sends no change events")
        else:
            try:
                with self._schedule_lock:
                    if self._observer is None or not self._observer.is_alive():
                        return folder.mode
                    watch = self._observer.schedule(
                        folder.handler, folder.root, recursive=True, event_filter=_EVENTS
                    )
                mode = WatchMode("events")
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EMFILE):
                    reason = f"OS limit on watches reached ({exc.strerror or exc})"
                else:
                    reason = f"cannot watch: {exc}"
                log.warning("%s: %s; polling every %gs", folder.root, reason, self.poll_interval)
                mode = WatchMode("polling", reason)
        with self._cond:
            folder.mode, folder.watch, folder.identity = mode, watch, identity
            folder.next_poll = time.monotonic() + self.poll_interval
        self.on_mode(folder_id, folder.root, mode)
        return mode

    def _detach(self, folder: _Folder) -> None:
        with self._schedule_lock:
            if folder.watch is not None and self._observer is not None:
                try:
                    self._observer.unschedule(folder.watch)
                except KeyError:  # already gone with its emitter
                    pass
            folder.watch = None

    def _emitter_alive(self, folder: _Folder) -> bool:
        observer = self._observer
        if observer is None or folder.watch is None:
            return False
        return any(e.watch == folder.watch and e.is_alive() for e in list(observer.emitters))

    # -- events (observer thread) ----------------------------------------------------------

    def _on_event(self, folder_id: int, root: str, event: FileSystemEvent) -> None:
        now = time.monotonic()
        paths = [os.fsdecode(event.src_path)]
        if event.dest_path:
            paths.append(os.fsdecode(event.dest_path))
        wanted: list[tuple[str, tuple[int, int] | None]] = []
        root_gone = False
        for path in paths:
            if path == root and event.event_type in ("deleted", "moved"):
                root_gone = True
                continue
            rel = os.path.relpath(path, root)
            if rel.startswith("..") or any(p.startswith(".") for p in rel.split(os.sep)):
                continue  # hidden files: editors' and downloaders' temporaries
            if not event.is_directory and (
                os.path.splitext(path)[1].lower() not in WATCHED_EXTENSIONS
            ):
                continue
            wanted.append((path, None if event.is_directory else _file_stat(path)))
        with self._cond:
            self._check_roots_now |= root_gone
            for path, stat in wanted:
                self._pending[path] = _Pending(folder_id, now, stat)
            self._last_event = now
            self._cond.notify_all()

    # -- the watcher thread ------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                self._cond.wait(self._wait_time(time.monotonic()))
                if self._stopping:
                    return
                self._handing_out = True
            try:
                out = self._settle(time.monotonic())
                now = time.monotonic()
                if self._check_roots_now or now >= self._next_root_check:
                    self._check_roots_now = False
                    self._next_root_check = now + self.poll_interval
                    merge_changes(out, self._check_roots())
                merge_changes(out, self._due_polls(now))
                if out:
                    self.batches += 1
                    self.on_changes(out)
            except Exception:  # a bug here must not end watching for good
                log.exception("watcher error")
            finally:
                with self._cond:
                    self._handing_out = False

    def _wait_time(self, now: float) -> float:
        """Seconds until something is due (called with the lock held)."""
        due = [self._next_root_check]
        if self._pending:
            due.append(min(p.last_event for p in self._pending.values()) + self.debounce)
        if self._ready:
            due.append(self._last_event + self.debounce)
            due.append((self._ready_since or now) + self.max_delay)
        due += [f.next_poll for f in self._folders.values() if f.mode.mode == "polling"]
        return max(0.01, min(due) - now)

    def _settle(self, now: float) -> Changes:
        """Move quiet, unchanged paths to the ready set; hand it out when it is time."""
        with self._cond:
            due = [
                (p, item)
                for p, item in self._pending.items()
                if now - item.last_event >= self.debounce
            ]
        checked = [(p, item, _file_stat(p)) for p, item in due]  # stat without the lock
        with self._cond:
            for path, item, stat in checked:
                if self._pending.get(path) is not item:
                    continue  # a newer event came meanwhile
                if stat is not None and stat != item.stat:
                    # Still changing (or changed with no event, as on some filesystems).
                    item.stat, item.last_event = stat, now
                    continue
                del self._pending[path]
                if item.folder_id not in self._folders:
                    continue
                merge_changes(self._ready, {item.folder_id: {path}})
                self._ready_since = self._ready_since or now
            quiet = now - self._last_event >= self.debounce
            late = self._ready_since is not None and now - self._ready_since >= self.max_delay
            if not self._ready or not (quiet or late):
                return {}
            out, self._ready, self._ready_since = self._ready, {}, None
            return out

    def _due_polls(self, now: float) -> Changes:
        with self._cond:
            out: Changes = {}
            for folder_id, f in self._folders.items():
                if f.mode.mode == "polling" and now >= f.next_poll:
                    f.next_poll = now + self.poll_interval
                    out[folder_id] = None
            return out

    def _check_roots(self) -> Changes:
        """Notice roots that vanished, came back, were replaced, or lost their event watch."""
        out: Changes = {}
        with self._cond:
            folders = list(self._folders.items())
        for folder_id, folder in folders:
            identity = _dir_identity(folder.root)
            mode = folder.mode.mode
            if mode == "missing":
                if identity is not None:
                    self._attach(folder_id, folder)
                    out[folder_id] = None
                continue
            if identity is None:
                self._detach(folder)
                with self._cond:
                    folder.mode, folder.identity = WatchMode("missing", "folder not found"), None
                self.on_mode(folder_id, folder.root, folder.mode)
                out[folder_id] = None  # the rescan marks its photos missing
            elif identity != folder.identity or (
                mode == "events" and not self._emitter_alive(folder)
            ):
                self._detach(folder)
                self._attach(folder_id, folder)
                out[folder_id] = None
        return out


def merge_changes(into: Changes, more: Changes) -> None:
    """Add ``more`` to ``into``; None (the whole folder) absorbs any set of paths."""
    for folder_id, paths in more.items():
        if folder_id in into and into[folder_id] is None:
            continue
        if paths is None:
            into[folder_id] = None
        else:
            into.setdefault(folder_id, set()).update(paths)  # type: ignore[union-attr]
