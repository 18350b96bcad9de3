"""Sidecar conflicts: a mark (stars, colour label, flag) changed both in ClipDesk and in the
photo's sidecar since ClipDesk last read or wrote it, to different values. Neither an export
nor a read writes over one (clipdesk/sidecars/marks_sync.py); the user decides, per photo or
for a selection: take the sidecar's value, or keep ClipDesk's (the next export writes it).

The window and `clipdesk conflicts` call the same two functions: :func:`conflicts` and
:func:`resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipdesk.ops.changes import Change, OpChanges, changes, report
from clipdesk.ops.tags import photo_ids as ids_of
from clipdesk.pathnames import shown
from clipdesk.pipeline.library import Library


@dataclass(frozen=True)
class SidecarConflict:
    """One mark of one photo in conflict: ClipDesk's value, the sidecar's, and the base (what
    both were when ClipDesk last read or wrote the sidecar). Stars are 0-5; a label or a flag
    is its name, or None."""

    photo_id: int
    path: str
    mark: str  # 'stars', 'label' or 'flag'
    clipdesk: int | str | None
    file: int | str | None
    base: int | str | None

    def describe(self) -> str:
        """'label: ClipDesk red, the sidecar green (both changed since none)'."""
        from clipdesk.sidecars.xmp.marks_plan import Conflict

        return Conflict(self.mark, self.clipdesk, self.file, self.base).describe()

    def to_json(self) -> dict:
        return {
            "photo": shown(self.path),
            "mark": self.mark,
            "clipdesk": self.clipdesk,
            "sidecar": self.file,
            "base": self.base,
        }


def conflicts(lib: Library, photo_ids: list[int] | None = None) -> list[SidecarConflict]:
    """The sidecar conflicts of present photos (of these only, if given), in path order."""
    rows = lib.catalog.sidecar_conflicts(photo_ids)
    return [SidecarConflict(*row) for row in rows]


def photos_in_conflict(lib: Library) -> int:
    """How many photos have sidecar conflicts (`clipdesk status`, the window's badge)."""
    return lib.catalog.conflict_count()


def resolve(lib: Library, photo_ids: list[int] | None, take_file: bool) -> OpChanges:
    """Decide the conflicts of these photos (None: every photo's). ``take_file``: the
    sidecar's values become the photo's marks (one step `clipdesk undo` takes back); else
    ClipDesk's stay, and the next `clipdesk export` writes them into the sidecar. What
    changed: the photos decided (their marks, with ``take_file``)."""
    from clipdesk.sidecars.marks_sync import resolve_conflicts

    decided = resolve_conflicts(lib.catalog, photo_ids, take_file)
    if not decided:
        return OpChanges(frozenset())
    return report(lib, changes(Change.FLAGS, photo_ids=decided))


def resolve_paths(lib: Library, photos: list[str | Path] | None, take_file: bool) -> OpChanges:
    """:func:`resolve` for photos given by path (None: every photo in conflict)."""
    return resolve(lib, ids_of(lib, photos) if photos is not None else None, take_file)
