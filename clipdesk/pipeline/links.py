"""Symbolic links in photo folders: the one rule, and the records it moves.

A scan never walks through a link. Every photo is indexed once, at its own path (its
folders resolved, no link on the way), so that one file is one record however many links
name it, and a path given through a link (``clipdesk tags Phone/x.jpg``) resolves to that
record. What happens to a link found in an added folder, a folder link or a photo link
alike:

- its target is inside the same added folder: nothing to do, the walk reaches the target
  at its own path (``2024/back -> ..`` included: no loop, no second copy);
- its target is inside another added folder: nothing to do either, the target is indexed
  once, under that folder;
- its target is outside every added folder: not followed, and reported as a skipped entry
  naming the folder to add (``add`` / ``index`` print it); a link to a folder that holds
  the added one (``up -> ..`` at its top) is said to be one, as adding it would pull in
  the whole tree;
- its target is hidden (a name starting with ".") or, for a photo link, not named like a
  photo: not followed, and reported, since nothing else would index it;
- it is broken or loops: a photo link is reported as unreadable, as before; a folder link
  cannot be told from any other broken name and is left out.

The walk of one folder (scanner.walk_photos) knows only that folder, so it reports every
link that leaves it; :func:`drop_links_into_library`, where every added folder is known,
drops those whose target another added folder holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from clipdesk.catalog import Catalog
from clipdesk.imaging import SUPPORTED_EXTENSIONS
from clipdesk.pathnames import shown


class LinkOut(str):
    """Why a link out of its folder was not followed; knows the link's target, so that the
    scan step can drop it when another added folder holds the target."""

    target: str

    def __new__(cls, text: str, target: str) -> LinkOut:
        reason = super().__new__(cls, text)
        reason.target = target
        return reason


def within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _hidden(path: str, root: str) -> bool:
    rel = os.path.relpath(path, root)
    return rel != "." and any(part.startswith(".") for part in rel.split(os.sep))


def folder_link(path: str, folder: str) -> str | None:
    """Why the link to a folder at ``path``, met in the added ``folder``, is reported as
    skipped; None when its target is reached anyway (inside ``folder``)."""
    target = os.path.realpath(path)
    root = os.path.realpath(folder)
    if within(target, root):
        if _hidden(target, root):
            return f"a link to a hidden folder ({shown(target)}): not followed"
        return None
    if within(os.path.realpath(os.path.dirname(path)), target):
        return LinkOut(
            f"a link out of the folder, to a folder that holds it ({shown(target)}): not "
            f"followed (it would pull in all of {shown(target)})",
            target,
        )
    return LinkOut(
        f"a link out of the folder (to {shown(target)}): not followed; "
        f"add {shown(target)} as a folder to include it",
        target,
    )


def file_link(path: str, folder: str) -> str | None:
    """Why the link to a regular file at ``path`` (named like a photo), met in the added
    ``folder``, is reported as skipped; None when its target is indexed anyway."""
    target = os.path.realpath(path)
    root = os.path.realpath(folder)
    if within(target, root):
        if _hidden(target, root):
            return f"a link to a hidden file ({shown(target)}): not followed"
        if os.path.splitext(target)[1].lower() not in SUPPORTED_EXTENSIONS:
            return f"a link to a file not named like a photo ({shown(target)}): not followed"
        return None
    where = os.path.dirname(target)
    return LinkOut(
        f"a link out of the folder (to {shown(target)}): not followed; "
        f"add {shown(where)} as a folder to include it",
        target,
    )


def first_link(path: str, folder: str) -> str | None:
    """The outermost link on the way from the added ``folder`` down to ``path`` (``path``
    itself included), or None: a path a watcher event names may run through one."""
    rel = os.path.relpath(path, folder)
    if rel == "." or rel.startswith(".."):
        return None
    at = folder
    for part in rel.split(os.sep):
        at = os.path.join(at, part)
        if os.path.islink(at):
            return at
    return None


def link_reason(path: str, folder: str) -> str | None:
    """What :func:`folder_link` or :func:`file_link` says of the link at ``path``; None for
    a link that is broken or names no photo (left out, as any such name is)."""
    if os.path.isdir(path):
        return folder_link(path, folder)
    if os.path.splitext(path)[1].lower() in SUPPORTED_EXTENSIONS and os.path.isfile(path):
        return file_link(path, folder)
    return None


def drop_links_into_library(
    errors: list[tuple[str, str]], folders: Iterable[str]
) -> list[tuple[str, str]]:
    """A scan's skipped entries without the links whose target an added folder holds
    (not hidden there): those photos are in the library, indexed under their own folder."""
    roots = [os.path.realpath(f) for f in folders]

    def in_library(target: str) -> bool:
        return any(within(target, r) and not _hidden(target, r) for r in roots)

    return [
        (path, why)
        for path, why in errors
        if not (isinstance(why, LinkOut) and in_library(why.target))
    ]


def rehome(catalog: Catalog, folder_id: int, root: str) -> int:
    """Records that an older release kept under a link's path, whose file is really in the
    added folder ``root``, move to the file's own path in it, tags and all (in one
    transaction); how many. Without this, adding the real folder of a linked one would
    index each of its photos a second time. A record whose real path another record
    already holds is left: the next scan marks it missing."""
    root = os.path.realpath(root)
    real_of: dict[str, str] = {}  # each folder of the catalog resolved once, not each photo
    moves: list[tuple[int, str, int]] = []
    taken: set[str] = set()  # two links to one folder: its photos go to one record each
    for other_id, _ in catalog.folders():
        for path, row in catalog.photos_in_folder(other_id).items():
            parent, name = os.path.split(path)
            if parent not in real_of:
                real_of[parent] = os.path.realpath(parent)
            real = os.path.join(real_of[parent], name)
            if real == path or real in taken or not within(real, root):
                continue
            if catalog.photo_by_path(real) is None:
                taken.add(real)
                moves.append((row.id, real, row.mtime_ns))
    if moves:
        with catalog.transaction():
            for photo_id, real, mtime_ns in moves:
                catalog.move_photo(photo_id, folder_id, real, mtime_ns)
    return len(moves)
