"""Where an export may write: the photo's own folder, never through a link, never over a
read-only sidecar unless the user forces it.

Links are never written through, not even when their target is inside a library folder: a
link's target can change between the check and the write (a race no check closes), a link into
another photo's folder would make one photo's tags land in another's sidecar, and the user who
made the link can always point the sidecar convention at the real file instead. "Skipped: it is
a link" is a line the user can act on; a file changed somewhere else is not.

A read-only sidecar (no write permission bit, or one this user may not write) is a request to
leave it alone: it is reported and skipped. ``force`` replaces it anyway, and the replacement
keeps its mode (still read-only afterwards).

The checks here run in the plan, so a dry run reports exactly what the run will skip; the
atomic write (:func:`clipdesk.sidecars.xmp.atomic.install`) checks again at the rename.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from clipdesk.sidecars.xmp.errors import SidecarError

LINK_REASON = "it is a link (ClipDesk never writes through links; replace it by a plain file)"
READ_ONLY_REASON = "it is read-only (export with --force to replace it, keeping its mode)"


def read_only(st: os.stat_result, path: Path) -> bool:
    """True when nobody may write the file by its mode, or this user may not."""
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return True
    return not os.access(path, os.W_OK)


def not_a_file(mode: int) -> str:
    """One line for something named like a sidecar that is not a regular file."""
    for test, what in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return f"it is {what}, not a sidecar file"
    return "it is not a regular file"


def check_target(photo: Path, target: Path, *, force: bool = False) -> None:
    """Raise :class:`SidecarError` when ``target`` must not be written for ``photo``."""
    if os.path.normcase(os.path.abspath(target.parent)) != os.path.normcase(
        os.path.abspath(photo.parent)
    ):
        raise SidecarError(target, "it is not in the photo's folder")
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise SidecarError(
                target,
                "the sidecar's name would be too long for the file system "
                "(shorten the photo's name, or export with --naming base)",
            ) from exc
        raise SidecarError(target, f"cannot look at it: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(st.st_mode):
        raise SidecarError(target, LINK_REASON)
    if not stat.S_ISREG(st.st_mode):
        raise SidecarError(target, not_a_file(st.st_mode))
    if not force and read_only(st, target):
        raise SidecarError(target, READ_ONLY_REASON)
