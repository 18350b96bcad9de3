"""Stars, colour labels and pick/reject flags (catalog/marks.py), and listing photos by them
and by tags without a text query: `clipdesk rate`, `clipdesk list`, the Library's 0-9, P, X
and U keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipdesk.catalog import browse, marks
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.catalog.marks import KEEP, LABELS, Marks
from clipdesk.ops.changes import Change, changes, report
from clipdesk.ops.errors import OpError
from clipdesk.ops.tags import photo_ids
from clipdesk.pipeline.library import Library
from clipdesk.wording import plural

#: The Library's keys, as Lightroom's: 0-5 stars, 6-9 labels (purple has no key there
#: either), P pick, X reject, U neither.
KEY_STARS = {str(n): n for n in range(6)}
KEY_LABELS = {"6": "red", "7": "yellow", "8": "green", "9": "blue"}
KEY_FLAGS = {"P": "pick", "X": "reject", "U": None}


@dataclass(frozen=True)
class RateReport:
    changed: int  # photos whose marks changed
    asked: int  # photos given
    what: str  # the change, in words ("3 stars", "label red", "pick")

    def describe(self) -> str:
        if not self.changed:
            return f"nothing changed: {plural(self.asked, 'photo')} already had {self.what}"
        return f"gave {plural(self.changed, 'photo')} {self.what}"


def describe_change(stars=KEEP, label=KEEP, flag=KEEP) -> str:
    parts = []
    if stars is not KEEP:
        parts.append(plural(stars, "star") if stars else "no stars")
    if label is not KEEP:
        parts.append(f"the {label} label" if label else "no label")
    if flag is not KEEP:
        parts.append({"pick": "the pick flag", "reject": "the reject flag"}.get(flag, "no flag"))
    return ", ".join(parts)


def check(stars=KEEP, label=KEEP, flag=KEEP) -> None:
    """A bad value is one line (OpError), before anything is written."""
    if stars is KEEP and label is KEEP and flag is KEEP:
        raise OpError("nothing to set: give --stars, --label, or --pick / --reject / --unflag")
    try:
        Marks().with_changes(stars, label, flag)
    except ValueError as exc:
        raise OpError(str(exc)) from None


def rate_ids(lib: Library, ids: list[int], stars=KEEP, label=KEEP, flag=KEEP) -> RateReport:
    """Set marks on photos by id, as one step `clipdesk undo` takes back."""
    check(stars, label, flag)
    what = describe_change(stars, label, flag)
    changed = marks.set_marks(lib.catalog, ids, stars=stars, label=label, flag=flag, what=what)
    if changed:
        report(lib, changes(Change.FLAGS, photo_ids=changed))
    return RateReport(len(changed), len(set(ids)), what)


def rate(lib: Library, photos: list[str | Path], stars=KEEP, label=KEEP, flag=KEEP) -> RateReport:
    """`clipdesk rate PHOTO... [--stars N] [--label L] [--pick|--reject|--unflag]`."""
    check(stars, label, flag)
    return rate_ids(lib, photo_ids(lib, photos), stars, label, flag)


def undo(lib: Library) -> str | None:
    """Take back the last change of marks; what it was, in words (None: nothing to undo)."""
    undone = marks.undo(lib.catalog)
    if undone is None:
        return None
    report(lib, changes(Change.FLAGS, photo_ids=undone.photo_ids))
    return f"“{undone.what}” on {plural(len(undone.photo_ids), 'photo')}"


def marks_of(lib: Library, ids: list[int]) -> dict[int, Marks]:
    return marks.marks_of(lib.catalog, ids)


@dataclass(frozen=True)
class Listed:
    """One photo of `clipdesk list`."""

    id: int
    path: str
    marks: Marks
    tags: tuple[str, ...]  # confirmed and suggested, as tag paths

    def as_json(self) -> dict:
        return {"path": self.path, **self.marks.as_dict(), "tags": list(self.tags)}


def read_filter(
    lib: Library,
    with_tags=(),
    without_tags=(),
    min_stars: int = 0,
    label: str | None = None,
    flag: str | None = None,
    taken_from: str | None = None,
    taken_to: str | None = None,
) -> PhotoFilter:
    """A filter from names as the terminal gives them; an unknown tag or value is one line."""
    from clipdesk.ops.search import tag_ids  # the one lookup of typed tag names

    if not 0 <= min_stars <= 5:
        raise OpError(f"stars go from 0 to 5, not {min_stars}")
    if label is not None and label not in (*LABELS, "none"):
        raise OpError(f"a colour label is one of {', '.join(LABELS)} or none, not {label!r}")
    if flag is not None and flag not in ("pick", "reject", "none"):
        raise OpError(f"a flag is pick, reject or none, not {flag!r}")
    inc, exc = tag_ids(lib, with_tags, without_tags)
    return PhotoFilter(
        include_tags=inc,
        exclude_tags=exc,
        taken_from=taken_from,
        taken_to=taken_to,
        min_stars=min_stars,
        label=label,
        flag=flag,
    )


def list_photos(lib: Library, flt: PhotoFilter, order: str = "name") -> list[Listed]:
    """Every photo the filter lets through (in ``order``: catalog.browse.ORDERS), with its
    marks and tags: `clipdesk list`."""
    from clipdesk.tagging.store import TagStore

    ids = [int(i) for i in browse.photo_ids(lib.catalog, flt, order=order)]
    briefs = browse.briefs(lib.catalog, ids)
    tag_ids = browse.tags_of_photos(lib.catalog, ids)
    paths = TagStore(lib.catalog).paths()
    return [
        Listed(
            i,
            b.path,
            Marks(b.stars, b.label, b.flag),
            tuple(sorted(paths[t] for t in tag_ids.get(i, ()) if t in paths)),
        )
        for i in ids
        if (b := briefs.get(i)) is not None
    ]
