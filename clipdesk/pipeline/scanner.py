"""Walk photo folders and bring the catalog's file records up to date.

An unchanged file (same size and mtime) costs one stat. A new path whose whole content
matches a photo that is no longer at its old path is a move: the record, and with it the
embedding and tags, follows the file (identity.py: the sampled hash finds the candidates,
the whole-content hash decides). The watcher scans only the
paths its events name (``paths``), and skips files still being written (``settle``).
"""

from __future__ import annotations

import os
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.catalog import Catalog, PhotoRow
from clipdesk.imaging import SUPPORTED_EXTENSIONS
from clipdesk.pipeline import links
from clipdesk.pipeline.identity import content_hash, full_hash


@dataclass
class FileEntry:
    path: str
    size: int
    mtime_ns: int
    inode: int = 0


def walk_photos(
    root: str | os.PathLike[str],
    errors: list[tuple[str, str]] | None = None,
    added_folder: str | os.PathLike[str] | None = None,
) -> Iterator[FileEntry]:
    """Supported files under ``root``, a folder inside ``added_folder`` (default:
    ``root`` itself): hidden files and folders skipped, links never walked through, so that
    each photo is found once, at its own path (the rule: pipeline/links.py).

    A folder or photo that cannot be looked at (no permission, a link loop, an I/O error),
    and a link that is not followed (one out of the folder), is skipped and, when
    ``errors`` is given, listed there with the reason.
    """
    errors = [] if errors is None else errors
    added = os.fspath(root if added_folder is None else added_folder)
    seen_dirs: set[tuple[int, int]] = set()
    stack = [os.fspath(root)]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError as exc:
            errors.append((folder, _reason(exc, "cannot open folder")))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:  # one folder mounted twice (a bind mount) is walked once
            continue
        seen_dirs.add(key)
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            errors.append((folder, _reason(exc, "cannot open folder")))
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            photo = os.path.splitext(entry.name)[1].lower() in SUPPORTED_EXTENSIONS
            why: str | None = None
            try:
                if entry.is_dir():
                    if entry.is_symlink():
                        why = links.folder_link(entry.path, added)
                    else:
                        stack.append(entry.path)
                elif photo:
                    st = entry.stat()
                    if not stat.S_ISREG(st.st_mode):  # a link to a device is one too
                        why = not_a_file(st.st_mode)
                    elif entry.is_symlink():
                        why = links.file_link(entry.path, added)
                    else:
                        yield FileEntry(entry.path, st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError as exc:
                if photo:
                    why = _reason(exc)
            if why:
                errors.append((entry.path, why))


@dataclass
class ScanResult:
    seen: int = 0
    added: int = 0
    changed: int = 0
    moved: int = 0
    missing: int = 0
    restored: int = 0
    missing_folders: list[str] = field(default_factory=list)
    # The photos behind the counts, for the worker's events.
    added_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)
    moved_ids: list[int] = field(default_factory=list)
    missing_ids: list[int] = field(default_factory=list)
    restored_ids: list[int] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # still being written: look again later
    # Files that could not be recorded (path, reason); each costs itself, never the scan.
    errors: list[tuple[str, str]] = field(default_factory=list)


def scan(
    catalog: Catalog,
    folder_ids: list[int] | None = None,
    paths: Iterable[str] | None = None,
    settle: float = 0.0,
) -> ScanResult:
    """Reconcile the catalog with the files on disk for the given (default: all) folders.

    With ``paths`` (files or folders, e.g. from watcher events), only those, inside the
    given folders, are looked at. A file modified less than ``settle`` seconds ago is left
    for a later scan (listed in ``deferred``): it may still be being copied.

    Files are looked at (stat, content hash) outside any transaction; what they change is
    written in short transactions (:class:`_Writes`), so another process's write (a
    ``clipdesk tag`` during the scan of a big folder) gets in between two of them.
    """
    result = ScanResult()
    every_folder = catalog.folders()
    folders = [(i, p) for i, p in every_folder if folder_ids is None or i in folder_ids]
    wanted = None if paths is None else _outermost(paths)
    now_ns = time.time_ns()
    # A future mtime (a camera with a wrong clock) says nothing about a copy in progress.
    young = (now_ns - int(settle * 1e9), now_ns + 10**9) if settle > 0 else None
    new_files: list[tuple[int, FileEntry]] = []
    vanished: dict[int, PhotoRow] = {}
    writes = _Writes(catalog, result)
    for folder_id, root in folders:
        if not os.path.isdir(root):
            # An unmounted drive: keep every record (and its tags), mark them missing.
            known = catalog.photos_in_folder(folder_id)
            result.missing_folders.append(root)
            gone = [r.id for r in known.values() if r.status != "missing"]
            writes.add(root, lambda gone=gone: catalog.mark_missing(gone))
            result.missing_ids.extend(gone)
            continue
        if wanted is None:
            known = catalog.photos_in_folder(folder_id)
            entries: Iterable[FileEntry] = walk_photos(root, result.errors)
        else:
            inside = [p for p in wanted if _is_within(p, root)]
            if not inside:
                continue
            known = {}
            for p in inside:
                known.update(catalog.photos_under(folder_id, p))
            entries = (e for p in inside for e in _entries_at(p, root, result.errors))
        for entry in entries:
            if young and young[0] < entry.mtime_ns < young[1]:
                known.pop(entry.path, None)  # neither new nor vanished until it settles
                result.deferred.append(entry.path)
                continue
            result.seen += 1
            row = known.pop(entry.path, None)
            if row is None:
                new_files.append((folder_id, entry))
            elif _same_file(row, entry):
                if row.status == "missing":
                    writes.add(entry.path, lambda row=row: catalog.restore(row.id))
                    result.restored += 1
                    result.restored_ids.append(row.id)
            else:
                _changed(writes, row, entry, result)
        vanished.update((r.id, r) for r in known.values())

    moves = _MoveFinder(catalog, vanished)
    for folder_id, entry in new_files:
        _added(writes, folder_id, entry, moves, result)
    gone = [r.id for r in vanished.values() if r.status != "missing"]
    writes.add("", lambda: catalog.mark_missing(gone))
    writes.add("", lambda: catalog.drop_unread(moves.dropped))
    writes.flush()
    result.changed = len(result.changed_ids)
    result.missing += len(gone)
    # A link into another added folder is no skipped entry: its target is indexed there.
    result.errors = links.drop_links_into_library(result.errors, [p for _, p in every_folder])
    result.missing_ids.extend(gone)
    return result


BATCH_ROWS = 256  # files' writes per transaction, at most
BATCH_SECONDS = 0.25  # and at most this long gathering them


class _Writes:
    """A scan's catalog writes, gathered while files are looked at and committed in short
    transactions (a few hundred files, or a quarter of a second, each). The write lock is
    held only while they are written, never while files are read or folders walked.

    A write that fails for one file (a name no encoding can store) costs that file: it is
    reported in ``result.errors`` and the others are written."""

    def __init__(self, catalog: Catalog, result: ScanResult):
        self.catalog, self.result = catalog, result
        self.queued: list[tuple[str, Callable[[], object]]] = []
        self.since = 0.0

    def add(self, path: str, write: Callable[[], object]) -> None:
        if not self.queued:
            self.since = time.monotonic()
        self.queued.append((path, write))
        if len(self.queued) >= BATCH_ROWS or time.monotonic() - self.since >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.queued:
            return
        queued, self.queued = self.queued, []
        with self.catalog.transaction():
            for path, write in queued:
                try:
                    write()
                except (OSError, ValueError) as exc:  # ValueError: a name SQLite refuses
                    self.result.errors.append((path, _reason(exc)))


class _MoveFinder:
    """Which known photo a new file is, when it is a move: one whose old path is gone
    (vanished in this scan, or no longer there) and whose whole content is the file's.

    The sampled hash and size find the candidates; the whole-content hash decides, so a
    different photo of the same size that differs only between the samples is a new photo,
    never the old one with its tags. A candidate whose whole content was never read (an
    older release indexed it and the fingerprint step has not reached it) cannot be proved
    the same, so it is not taken: it stays missing with its tags. A record its scan made
    and no decode has reached yet carries nothing (no embedding, no tag): it is dropped
    (``dropped``) and the file recorded as new, under a new id, so that nothing decoded
    for the old record (the worker keeps decodes by photo id) is taken for it.

    Each content's candidates are read once per scan. One still at its path, or one that
    can never be proved, is looked at once; only a vanished one whose whole content differs
    from this file is kept for the next file (a string comparison), so a folder of
    thousands of identical files (zero-byte ones, say) costs linear time, not quadratic."""

    def __init__(self, catalog: Catalog, vanished: dict[int, PhotoRow]):
        self.catalog, self.vanished = catalog, vanished
        self.candidates: dict[tuple[str, int], deque[PhotoRow]] = {}
        self.dropped: list[int] = []

    def take(self, hash_: str, size: int, path: str) -> PhotoRow | None:
        """The photo that moved to ``path``, or None. Raises OSError when the file cannot be
        read whole."""
        key = (hash_, size)
        cands = self.candidates.get(key)
        if cands is None:
            cands = self.candidates[key] = deque(self.catalog.photos_by_hash(hash_, size))
        whole = None
        for _ in range(len(cands)):
            cand = cands.popleft()  # either it moved here, or it is still where it was
            if cand.id not in self.vanished and _exists(cand.path):
                continue
            if cand.full_hash is None:
                if self.catalog.derives_nothing(cand.id):  # nothing to carry, or to lose
                    self.vanished.pop(cand.id, None)
                    self.dropped.append(cand.id)
                    return None
                continue  # never the same, for any file: not looked at again
            whole = whole or full_hash(path)
            if whole == cand.full_hash:
                self.vanished.pop(cand.id, None)
                return cand
            cands.append(cand)  # not this file: it may be another new file's
        return None


def _exists(path: str) -> bool:
    try:
        return os.path.exists(path)
    except (OSError, ValueError):
        return False


def _outermost(paths: Iterable[str]) -> list[str]:
    """The given paths, normalised, without those inside another one of them."""
    out: list[str] = []
    for p in sorted({os.path.normpath(os.fspath(p)) for p in paths}):
        if not (out and _is_within(p, out[-1])):
            out.append(p)
    return out


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _entries_at(path: str, root: str, errors: list[tuple[str, str]]) -> Iterator[FileEntry]:
    """The supported files at ``path`` (a file, or a folder walked), skipping hidden names."""
    rel = os.path.relpath(path, root)
    if rel != "." and any(part.startswith(".") for part in rel.split(os.sep)):
        return
    link = links.first_link(path, root)
    if link is not None:  # never walked through: its target is scanned at its own path
        why = links.link_reason(link, root)
        if why:
            errors.append((link, why))
        return
    if os.path.isdir(path):
        yield from walk_photos(path, errors, root)
        return
    if os.path.splitext(path)[1].lower() not in SUPPORTED_EXTENSIONS:
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return  # deleted: the caller marks it missing
    except OSError as exc:
        errors.append((path, _reason(exc)))
        return
    if stat.S_ISREG(st.st_mode):
        yield FileEntry(path, st.st_size, st.st_mtime_ns, st.st_ino)
    else:
        errors.append((path, not_a_file(st.st_mode)))


def not_a_file(mode: int) -> str:
    """Why a name with a photo's extension is skipped when it is no regular file (a named
    pipe or a device would block or never end a read)."""
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    return f"not a photo file: {kind}"


def _reason(exc: BaseException, what: str = "cannot read file") -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{what}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _same_file(row: PhotoRow, entry: FileEntry) -> bool:
    """Unchanged: same size and mtime. A failed photo is also looked at again when its inode
    changed (a file restored by copying it back with its old timestamps)."""
    if row.size != entry.size or row.mtime_ns != entry.mtime_ns:
        return False
    return not (row.status == "failed" and entry.inode and row.inode != entry.inode)


def _changed(writes: _Writes, row: PhotoRow, entry: FileEntry, result: ScanResult) -> None:
    """The file's size or mtime moved. With the same size and a known whole-content hash,
    the file is read once to tell a ``touch`` (same bytes: the embedding and tags stay)
    from an edit (re-embedded). Any other change is taken as new content: forget what
    was derived from the old, embed again."""
    cat = writes.catalog
    try:
        h = content_hash(entry.path, entry.size)
        whole = None
        if row.full_hash is not None and row.size == entry.size and row.status != "failed":
            whole = full_hash(entry.path)
    except OSError as exc:
        # Changed but unreadable: forget the old content, record why; the new size and time
        # are kept, so the photo is looked at again when it changes.
        reason = _reason(exc)

        def change() -> None:
            cat.update_changed(row.id, entry.size, entry.mtime_ns, row.hash, entry.inode)
            cat.mark_failed(row.id, reason)
            result.changed_ids.append(row.id)
    else:
        if whole is not None and whole == row.full_hash:

            def change() -> None:  # the same bytes: only its time (or inode) moved
                cat.touch(row.id, entry.mtime_ns, entry.inode)
                if row.status == "missing":
                    cat.restore(row.id)
                    result.restored += 1
                    result.restored_ids.append(row.id)

        else:

            def change() -> None:
                cat.update_changed(row.id, entry.size, entry.mtime_ns, h, entry.inode, whole)
                result.changed_ids.append(row.id)

    writes.add(entry.path, change)


def _added(
    writes: _Writes, folder_id: int, entry: FileEntry, moves: _MoveFinder, result: ScanResult
) -> None:
    cat = writes.catalog
    try:
        h = content_hash(entry.path, entry.size)
    except OSError as exc:
        # Found but unreadable (no permission, I/O error): recorded as failed with the reason
        # so that the user sees it (no content hash: it cannot be matched as a move).
        reason = _reason(exc)

        def unreadable() -> None:
            photo_id = cat.insert_photo(folder_id, entry.path, entry.size, entry.mtime_ns, "")
            cat.set_inode(photo_id, entry.inode)
            cat.mark_failed(photo_id, reason)
            result.added += 1
            result.added_ids.append(photo_id)

        writes.add(entry.path, unreadable)
        return
    try:
        moved = moves.take(h, entry.size, entry.path)
    except OSError:  # read for its samples, then not whole: embedded (and failed) as new
        moved = None
    if moved is not None:
        # A move: the same whole content, and the old path is gone (vanished in this scan,
        # missing, or outside the paths a watcher event named).
        def move() -> None:
            cat.move_photo(moved.id, folder_id, entry.path, entry.mtime_ns)
            cat.set_inode(moved.id, entry.inode)
            result.moved += 1
            result.moved_ids.append(moved.id)

        writes.add(entry.path, move)
        return

    def insert() -> None:
        photo_id = cat.insert_photo(folder_id, entry.path, entry.size, entry.mtime_ns, h)
        cat.set_inode(photo_id, entry.inode)
        # (A whole-content hash read to rule out a move is not stored: the decode takes
        # its own, so the hash kept always belongs to the bytes that were embedded.)
        result.added_ids.append(photo_id)
        result.added += 1

    writes.add(entry.path, insert)


def normalise_folder(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().resolve()
