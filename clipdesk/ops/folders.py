"""Photo folders: add (checked before anything is written) and remove."""

from __future__ import annotations

import os
from pathlib import Path

from clipdesk.pathnames import shown
from clipdesk.pipeline import links
from clipdesk.pipeline.library import FolderNotFound, Library
from clipdesk.pipeline.scanner import normalise_folder


def check_folder(path: str | Path) -> Path:
    """The folder's normal form, or FolderNotFound saying why it cannot be added."""
    try:
        folder = normalise_folder(path)
        if folder.exists() and not folder.is_dir():
            raise FolderNotFound(
                f"{shown(str(path))} is a file, not a folder: add the folder it is in "
                f"({shown(str(folder.parent))})"
            )
        if not folder.is_dir():
            raise FolderNotFound(f"no such folder: {shown(str(path))}")
        os.scandir(folder).close()  # readable: a folder that cannot be listed is refused now
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Path.resolve)
        if isinstance(exc, FolderNotFound):
            raise
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FolderNotFound(f"cannot open folder {path}: {why}") from exc
    return folder


def add_folders(lib: Library, paths: list[str | Path]) -> list[int]:
    """Add folder trees (each checked first); their ids. Indexing is the caller's next step.

    Photos an older release recorded through a link into a new folder take their own path
    in it, tags and all, instead of being indexed a second time (pipeline/links.py)."""
    folders = [check_folder(p) for p in paths]
    known = {i for i, _ in lib.catalog.folders()}
    ids = [lib.catalog.add_folder(f) for f in folders]
    for folder_id, folder in zip(ids, folders, strict=True):
        if folder_id not in known:
            links.rehome(lib.catalog, folder_id, str(folder))
    return ids


def retry_failed(lib: Library) -> int:
    """Look at every failed photo again in the next index run; how many."""
    return lib.catalog.retry_failed()


def remove_folder(lib: Library, folder_id: int) -> None:
    """Forget a folder and its photos' records; the files themselves are never touched."""
    lib.catalog.remove_folder(folder_id)
