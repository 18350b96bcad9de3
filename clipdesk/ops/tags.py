"""Decisions on photos: confirm, reject, add a tag, undo; and a photo's tags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clipdesk.ops.changes import Change, changes, report
from clipdesk.ops.errors import OpError
from clipdesk.pathnames import lookup_forms, shown
from clipdesk.pipeline.library import Library
from clipdesk.tagging import corrections, tagpath
from clipdesk.tagging.corrections import PhotoTag
from clipdesk.tagging.states import TagState
from clipdesk.tagging.store import TagRow, TagStore, UnknownTag
from clipdesk.tagging.vocabulary import VocabularyError, check_name
from clipdesk.wording import plural

CONFIRMED, REJECTED = TagState.CONFIRMED, TagState.REJECTED


def find_tag(lib: Library, name: str) -> TagRow:
    """The tag at a path, or a bare leaf name when it is unambiguous."""
    try:
        return TagStore(lib.catalog).get(name)
    except UnknownTag as exc:
        raise OpError(str(exc)) from None


def tag_path(lib: Library, tag_id: int) -> str:
    return TagStore(lib.catalog).paths()[tag_id]


def photo_ids(lib: Library, photos: list[str | Path]) -> list[int]:
    """Catalog ids of photo files given by path (as the shell gives it, or as ClipDesk
    shows a name that is not valid UTF-8, with ``\\xff`` escapes)."""
    ids = []
    for p in photos:
        row = find_photo(lib, p)
        if row is None:
            raise OpError(_not_in_library(p))
        ids.append(row.id)
    return ids


def find_photo(lib: Library, photo: str | Path):
    """The catalog row of a photo given by path, or None. A path through a link finds the
    photo at its own path, where the scan records it (pipeline/links.py); then the path as
    written, where an older release may have recorded it."""
    for form in lookup_forms(photo):
        given = Path(form).expanduser()
        for path in dict.fromkeys((str(given.resolve()), os.path.abspath(given))):
            row = lib.catalog.photo_by_path(path)
            if row is not None:
                return row
    return None


def _not_in_library(photo: str | Path) -> str:
    given = Path(photo).expanduser()
    if not given.exists():  # a mistyped name: that is the news, not the library
        return f"{shown(str(photo))} does not exist, and is not in the library: check its name"
    real = given.resolve()
    if str(real) != os.path.abspath(given):
        return (
            f"{shown(str(photo))} is not in the library: through a link it is {shown(str(real))}, "
            f"which is not in the library either; add its folder with `clipdesk add "
            f"{shown(str(real.parent))}`"
        )
    return f"{shown(str(photo))} is not in the library (add its folder first)"


@dataclass(frozen=True)
class Decided:
    """What a decision did: ``changed`` photos took ``state``; ``already`` had it as the
    user's own decision before, and were left as they were."""

    tag_id: int
    path: str
    state: str
    changed: int
    already: int


def decide(lib: Library, photo_ids: list[int], tag_id: int, state: str) -> Decided:
    """Confirm or reject a tag on photos, as one undoable step."""
    n = corrections.decide(lib.catalog, photo_ids, tag_id, state)
    _decided(lib, photo_ids, [tag_id])
    return Decided(tag_id, tag_path(lib, tag_id), state, n, len(set(photo_ids)) - n)


def _decided(lib: Library, photo_ids, tag_ids) -> None:
    report(lib, changes(Change.TAGS, Change.CORRECTIONS, photo_ids=photo_ids, tag_ids=tag_ids))


def typed_path(path: str) -> str:
    """A tag path typed by a person, cleaned, each level checked as a vocabulary file's names
    are (length, control characters); an OpError says what is wrong with it."""
    path = tagpath.clean(path)
    try:
        for name in tagpath.split(path):
            check_name(name)
    except VocabularyError as exc:
        raise OpError(str(exc)) from None
    return path


def add_tag(lib: Library, photo_ids: list[int], path: str) -> int:
    """Confirm a tag on photos, creating it (and its parents) when new; the tag's id."""
    return add(lib, photo_ids, path).tag_id


def add(lib: Library, photo_ids: list[int], path: str) -> Decided:
    """:func:`add_tag`, saying what it did (``clipdesk tag --add``)."""
    path = typed_path(path)
    store = TagStore(lib.catalog)
    before = set(store.paths())
    try:
        with lib.catalog.transaction():
            tag_id = store.ensure(path)
    except VocabularyError as exc:
        raise OpError(str(exc)) from None
    created = set(store.paths()) - before
    n = corrections.decide(lib.catalog, photo_ids, tag_id, CONFIRMED, created_tags=created)
    if created:
        report(lib, changes(Change.VOCABULARY, tag_ids=created))
    _decided(lib, photo_ids, [tag_id])
    return Decided(tag_id, tag_path(lib, tag_id), CONFIRMED, n, len(set(photo_ids)) - n)


@dataclass(frozen=True)
class UndoReport:
    photos: int  # photo-tags restored; 0: there was nothing to undo
    tag_ids: tuple[int, ...]
    tags: tuple[str, ...]
    state: str | None  # the decision undone
    faces: str | None = None  # an action on faces undone instead (ops.people.undo says which)
    marks: str | None = None  # a change of marks undone instead (ops.marks.undo says which)

    def describe(self) -> str:
        if self.faces is not None:
            return f"undid the last action on faces ({self.faces})"
        if self.marks is not None:
            return f"undid {self.marks}"
        if not self.photos:
            return "nothing to undo"
        verb = {CONFIRMED: "confirmed", REJECTED: "rejected"}.get(self.state or "", "changed")
        names = ", ".join(f"“{t}”" for t in self.tags) or "a deleted tag"
        return f"undid {names} {verb} on {plural(self.photos, 'photo')}"


def undo(lib: Library) -> UndoReport:
    """Undo the last decision step, a tag's, a face's or a change of marks (whichever was taken
    last: `clipdesk undo` and Ctrl+Z in the Library take back a face named in the large view
    or the stars just given too), and say what it was."""
    from clipdesk.catalog import marks
    from clipdesk.ops import marks as marks_ops
    from clipdesk.ops import people as people_ops
    from clipdesk.people import faces_db

    last = {
        "faces": faces_db.last_log_at(lib.catalog),
        "marks": marks.last_at(lib.catalog),
        "tags": corrections.last_at(lib.catalog),
    }
    known = [(at, kind) for kind, at in last.items() if at is not None]
    kind = max(known)[1] if known else "tags"
    if kind == "faces":
        return UndoReport(0, (), (), None, faces=people_ops.undo(lib))
    if kind == "marks":
        return UndoReport(0, (), (), None, marks=marks_ops.undo(lib))
    paths = TagStore(lib.catalog).paths()  # before: the undo may delete a tag it created
    undone = corrections.undo(lib.catalog)
    if undone.photos:
        gone = [t for t in undone.tag_ids if t not in TagStore(lib.catalog).paths()]
        if gone:
            report(lib, changes(Change.VOCABULARY, tag_ids=gone))
        _decided(lib, undone.photo_ids, undone.tag_ids)
    names = tuple(paths[t] for t in undone.tag_ids if t in paths)
    return UndoReport(undone.photos, undone.tag_ids, names, undone.state)


def tags_of(lib: Library, photo: str | Path) -> list[PhotoTag]:
    (photo_id,) = photo_ids(lib, [photo])
    return corrections.tags_of(lib.catalog, photo_id)
