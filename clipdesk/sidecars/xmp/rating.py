"""The reject rating of a sidecar: read ``xmp:Rating`` and decide what a write does to it.

-1 is "rejected" (the XMP specification's ``xmp:Rating``; darktable and Adobe Bridge write it).
Export sets it only where a sidecar has no rating (another program's rating is kept, and said),
and removes it only when asked to ("unreject": the caller knows ClipDesk wrote it). The write
itself is :mod:`clipdesk.sidecars.xmp.sidecar`'s, through either engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from clipdesk.sidecars.xmp import _exiv2, rdfedit, safexml
from clipdesk.sidecars.xmp.errors import SidecarError

#: What export asks of a sidecar's rating: set the reject rating, remove ClipDesk's own, or
#: leave it alone ("").
RatingRequest = Literal["", "reject", "unreject"]
REJECT_RATING = "-1"


def is_reject(value: str | None) -> bool:
    """True for the reject rating (``-1``; xmp:Rating is a Real, so ``-1.0`` too)."""
    try:
        return value is not None and float(value) == -1
    except ValueError:
        return False


def read_rating(path: Path, data: bytes | None) -> str | None:
    """The sidecar's ``xmp:Rating`` (None: none, or no sidecar). Raises SidecarError."""
    if data is None:
        return None
    try:
        return rdfedit.read_simple(data, _exiv2.XMP_RATING)
    except safexml.XmlLimit as exc:
        raise SidecarError(path, str(exc)) from exc
    except safexml.XmlRefused:
        pass
    try:
        return _exiv2.read_text(data, _exiv2.XMP_RATING)
    except _exiv2.Exiv2Failure as exc:
        raise SidecarError(path, str(exc)) from exc


@dataclass(frozen=True)
class RatingPlan:
    """What a write does to the rating: ``edit`` is handed to the engines ({} for nothing,
    a value to set, None to remove)."""

    edit: dict[str, str | None]
    change: Literal["", "rejected", "unrejected"]
    before: str | None
    note: str = ""

    @property
    def after(self) -> str | None:
        return self.edit.get(_exiv2.XMP_RATING, self.before) if self.edit else self.before

    def dropped(self, note: str) -> RatingPlan:
        """The engine could not write it: nothing changes, and the note says why."""
        return RatingPlan({}, "", self.before, note)


def plan_rating(current: str | None, request: RatingRequest) -> RatingPlan:
    """What a write does to a sidecar whose rating is ``current``, for ``request``."""
    if request == "reject":
        if current is None:
            return RatingPlan({_exiv2.XMP_RATING: REJECT_RATING}, "rejected", current)
        if not is_reject(current):
            return RatingPlan({}, "", current, f"kept the rating {current} another program set")
    elif request == "unreject" and is_reject(current):
        return RatingPlan({_exiv2.XMP_RATING: None}, "unrejected", current)
    return RatingPlan({}, "", current)
