"""What an export does to a sidecar's marks: three ways, mark by mark, against the base.

The base is the marks as they stood when ClipDesk last read or wrote the sidecar (the catalog's
record). For each mark (stars, label, flag), with the catalog's value, the base's, and the
sidecar's as read just now (:func:`clipdesk.sidecars.xmp.marks.resolve`):

- changed in ClipDesk only (catalog != base, file == base): ClipDesk's is written;
- changed in the file only (file != base, catalog == base): the file's is kept, and the export
  says so; the next read (``clipdesk index``, the watcher) brings it into the catalog;
- changed on both sides to the same value: nothing to write;
- changed on both sides to different values: a conflict; nothing is written for that mark,
  the export reports it, and the catalog records it until the user decides.

What is written, as each program reads it: ``xmp:Rating`` -1 for a reject, else the stars (0
stars and no flag: none, or 0 where a rating was there; one ClipDesk wrote itself is removed);
``xmp:Label`` with Lightroom's name and ``digiKam:ColorLabel`` with digiKam's number;
``digiKam:PickLabel`` 1 for a reject, 3 for a pick. A reject where another program gave stars
(the only change ClipDesk made being the flag) keeps their rating, as ClipDesk always did (the
note says "kept the rating 4 another program set"): the reject goes in ``PickLabel`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from clipdesk.catalog.marks import Marks
from clipdesk.sidecars.xmp.marks import (
    COLOR_LABEL,
    DIGIKAM,
    DT_LABELS,
    LABEL,
    LIGHTROOM,
    MARKS,
    PICK_LABEL,
    PICKS,
    RATING,
    URGENCY,
    Fields,
    Seen,
    Stated,
    resolve,
)
from clipdesk.sidecars.xmp.rating import RatingPlan

REMOVE = None  # an edit that removes the field


@dataclass(frozen=True)
class Conflict:
    """A mark changed on both sides since the base, to different values."""

    mark: str
    clipdesk: int | str | None
    file: int | str | None
    base: int | str | None

    def describe(self) -> str:
        """'label: ClipDesk red, the sidecar green (both changed since none)'."""

        def show(v) -> str:
            if self.mark == "stars":
                return f"{v} star{'s' if v != 1 else ''}"
            return str(v) if v is not None else "none"

        return (
            f"{self.mark}: ClipDesk {show(self.clipdesk)}, the sidecar {show(self.file)} "
            f"(both changed since {show(self.base)})"
        )


@dataclass(frozen=True)
class MarksRequest:
    """What export asks of one sidecar's marks: the catalog's marks, the base (the marks when
    ClipDesk last read or wrote the sidecar; ``Marks()`` when it never did), the sidecar as
    last seen (None: never) and the values ClipDesk itself wrote there."""

    marks: Marks
    base: Marks = Marks()
    seen: Seen | None = None
    written: Fields = field(default_factory=dict)


@dataclass(frozen=True)
class MarksPlan:
    """A write's part for the marks: ``rating`` carries the edits to the engines (and the reject
    rating's change and notes, as before); ``writes`` the marks ClipDesk writes, ``kept``
    those the sidecar changed that the catalog has not read, ``conflicts`` those changed on
    both sides; ``changes`` the words for the line; ``now``/``stated`` the sidecar's fields
    and marks as read."""

    rating: RatingPlan
    writes: Stated = field(default_factory=dict)
    kept: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    changes: tuple[str, ...] = ()
    now: Fields = field(default_factory=dict)
    stated: Stated = field(default_factory=dict)
    in_step: tuple[str, ...] = ()  # changed on both sides to the same value


def plan_marks(now: Fields, request: MarksRequest) -> MarksPlan:
    """The three-way plan (module docstring) for a sidecar whose marks fields are ``now``."""
    stated = resolve(now, request.seen)
    writes: Stated = {}
    kept, conflicts, in_step = [], [], []
    for mark in MARKS:
        c, b = getattr(request.marks, mark), getattr(request.base, mark)
        f = stated.get(mark, b)
        if c == b:
            if f != b:
                kept.append(mark)
        elif f == b:
            writes[mark] = c
        elif f == c:
            in_step.append(mark)
        else:
            conflicts.append(Conflict(mark, c, f, b))
    target = {m: writes.get(m, stated.get(m, getattr(request.base, m))) for m in MARKS}
    edit, notes = _edits(now, writes, target, request.written)
    r_now = now.get(RATING) if isinstance(now.get(RATING), str) else None
    change: Literal["", "rejected", "unrejected"] = ""
    if RATING in edit:
        if edit[RATING] == "-1":
            change = "rejected"
        elif _rating(r_now) == -1:
            change = "unrejected"
    if kept:
        notes.append(_kept_note(kept, now, request.seen))
    words = _changes(writes, edit, change)
    plan = RatingPlan(edit, change, r_now, "; ".join(notes))
    return MarksPlan(
        plan, writes, tuple(kept), tuple(conflicts), words, now, stated, tuple(in_step)
    )


def _rating(value) -> float | None:
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _edits(
    now: Fields, writes: Stated, target: Stated, written: Mapping
) -> tuple[dict[str, str | None], list[str]]:
    """The field edits that write ``writes`` (``target``: every mark as it will stand)."""
    edit: dict[str, str | None] = {}
    notes: list[str] = []
    r_now = now.get(RATING) if isinstance(now.get(RATING), str) else None
    r = _rating(r_now)

    def put(key: str, value: str | None) -> None:
        if now.get(key) != value and not (value is None and key not in now):
            edit[key] = value

    if "flag" in writes or "stars" in writes:
        if target["flag"] == "reject":
            theirs = r is not None and r != -1 and r_now != written.get(RATING)
            if theirs and "stars" not in writes:  # their stars stay: the reject is a pick label
                notes.append(f"kept the rating {r_now} another program set")
            elif r != -1:
                put(RATING, "-1")
        elif r == -1 or "stars" in writes:
            stars = target["stars"] or 0
            if stars:
                put(RATING, str(stars))
            elif r_now is not None:
                put(RATING, REMOVE if r_now == written.get(RATING) else "0")
    if "flag" in writes:
        put(PICK_LABEL, PICKS.get(str(target["flag"]), REMOVE))
    if "label" in writes:
        label = target["label"]
        if label is not None:
            put(LABEL, LIGHTROOM[str(label)])
            put(COLOR_LABEL, str(DIGIKAM[str(label)]))
        else:
            put(LABEL, REMOVE)
            # digiKam reads photoshop:Urgency when ColorLabel is missing, and darktable's list
            # would speak: "0" says "no label" to digiKam (and to ClipDesk's reading)
            other = URGENCY in now or bool(now.get(DT_LABELS))
            put(COLOR_LABEL, "0" if other else REMOVE)
    return edit, notes


def _changes(writes: Stated, edit: Mapping, change: str) -> tuple[str, ...]:
    """The words for a photo's line, for the marks whose fields change (the reject rating
    keeps its own words, ``rating: rejected``)."""
    out = []
    if "stars" in writes and RATING in edit and change == "":
        out.append(f"stars: {writes['stars']}")
    if "label" in writes and ({LABEL, COLOR_LABEL} & set(edit)):
        out.append(f"label: {writes['label'] or 'none'}")
    if "flag" in writes and (PICK_LABEL in edit or RATING in edit):
        flag = writes["flag"]
        if not (flag == "reject" and change == "rejected") and not (
            flag is None and change == "unrejected"
        ):
            out.append(f"flag: {flag or 'none'}")
    return tuple(out)


def _kept_note(kept: list[str], now: Fields, seen: Seen | None) -> str:
    """'kept the rating 4 another program set (...)' for marks the sidecar changed."""
    was_reject = seen is not None and _rating(seen.fields.get(RATING)) == -1
    names = []
    for mark in kept:
        if mark == "stars" or (
            mark == "flag" and RATING in now and (was_reject or _is_reject(now))
        ):
            name = f"the rating {now[RATING]}" if RATING in now else "the rating's removal"
        elif mark == "flag":
            name = (
                f"the pick label {now[PICK_LABEL]}" if PICK_LABEL in now else "the flag's removal"
            )
        elif LABEL in now:
            name = f"the label {now[LABEL]}"
        elif COLOR_LABEL in now:
            name = f"the colour label {now[COLOR_LABEL]}"
        else:
            name = "the label's removal" if DT_LABELS not in now else "darktable's colour label"
        if name not in names:
            names.append(name)
    return f"kept {', '.join(names)} another program set (the next `clipdesk index` reads it)"


def _is_reject(now: Fields) -> bool:
    return _rating(now.get(RATING)) == -1


@dataclass(frozen=True)
class MarksAfter:
    """The marks record after a write: the base, the sidecar as now seen, what ClipDesk wrote
    there, and whether the sidecar holds changes the catalog has not read."""

    base: Marks
    seen: Seen
    written: Fields
    unseen: bool


def settle(plan: MarksPlan, request: MarksRequest, after: Fields, wrote: bool) -> MarksAfter:
    """The record once the sidecar holds ``after`` (``wrote``: the marks edits went in)."""
    writes = plan.writes if wrote else {}
    stated = resolve(after, Seen(plan.now, plan.stated))
    base = {}
    for mark in MARKS:
        c, b = getattr(request.marks, mark), getattr(request.base, mark)
        agreed = (mark in writes or mark in plan.in_step) and stated.get(mark, c) == c
        base[mark] = c if agreed else b  # what the sidecar does not say now stays to write
    written = dict(request.written)
    if wrote:
        for key, value in plan.rating.edit.items():
            if value is None:
                written.pop(key, None)
            else:
                written[key] = value
    unseen = bool(plan.kept or plan.conflicts)
    return MarksAfter(Marks(**base), Seen(after, stated), written, unseen)
