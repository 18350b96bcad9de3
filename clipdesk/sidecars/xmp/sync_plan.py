"""An export's part in the two-way sync: it re-reads the sidecar just before writing (the same
read as the keywords' merge) and never overwrites a change it has not seen.

- **Marks**: three ways against the base (:mod:`clipdesk.sidecars.xmp.marks_plan`).
- **Keywords**: a keyword another program removed from the sidecar since ClipDesk last read or
  wrote it is not written back, and one another program added is not taken out (even a
  keyword the user rejected in ClipDesk before): both are left for the next read, which brings
  them into the catalog (:mod:`clipdesk.sidecars.marks_sync`). A keyword is one set: changed on
  both sides, it changed the same way, so keywords never conflict.

What a sidecar says of a keyword, as of a mark, follows the fields that changed since it was
last seen: darktable removes a keyword from ``dc:subject`` and ``lr:hierarchicalSubject`` and
leaves ``digiKam:TagsList`` as it was; the stale entry does not bring the keyword back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from clipdesk.sidecars.xmp.fields import (
    DIGIKAM_SEP,
    Keywords,
    MergeResult,
    leaf,
    normalize_path,
)
from clipdesk.sidecars.xmp.marks import read_fields
from clipdesk.sidecars.xmp.marks_plan import (
    Conflict,
    MarksAfter,
    MarksPlan,
    MarksRequest,
    plan_marks,
    settle,
)
from clipdesk.sidecars.xmp.rating import RatingPlan
from clipdesk.sidecars.xmp.sidecar_read import Fingerprint


@dataclass(frozen=True)
class KeywordsSeen:
    """A sidecar's keyword fields as ClipDesk last read or wrote them, and the tag paths they
    were taken to hold."""

    fields: Keywords = Keywords()
    paths: frozenset[str] = frozenset()

    def to_json(self) -> dict:
        f = self.fields
        return {
            "flat": list(f.flat),
            "hierarchical": list(f.hierarchical),
            "digikam": list(f.digikam),
            "file": sorted(self.paths),
        }

    @classmethod
    def from_json(cls, value: Mapping | None) -> KeywordsSeen | None:
        if not value or "file" not in value:
            return None
        kw = Keywords(
            tuple(value.get("flat", ())),
            tuple(value.get("hierarchical", ())),
            tuple(value.get("digikam", ())),
        )
        return cls(kw, frozenset(value["file"]))


def _presence(kw: Keywords):
    lr = {normalize_path(h).casefold() for h in kw.hierarchical}
    dk = {normalize_path(d, DIGIKAM_SEP).casefold() for d in kw.digikam}
    flat = {normalize_path(f, "\x00").casefold() for f in kw.flat}

    def of(path: str) -> tuple[bool, bool, bool]:
        key = path.casefold()
        return key in lr, key in dk, (leaf(path).casefold() in flat or key in flat)

    return of


def keyword_view(now: Keywords, seen: KeywordsSeen | None) -> frozenset[str]:
    """The tag paths ``now``'s fields hold (module docstring), given how they were last seen
    (None: never, every field is believed)."""
    paths = now.paths
    if seen is None:
        return paths
    here, there = _presence(now), _presence(seen.fields)
    before = {p.casefold() for p in seen.paths}
    out = set()
    for path in paths | seen.paths:
        a, b = here(path), there(path)
        if a == b:
            present = path.casefold() in before
        else:
            added = any(x and not y for x, y in zip(a, b, strict=True))
            present = (
                added or path in paths and not any(y and not x for x, y in zip(a, b, strict=True))
            )
        if present:
            out.add(path)
    return frozenset(out)


@dataclass(frozen=True)
class KeywordBase:
    """The keywords' base: the tag paths the sidecar held when ClipDesk last read or wrote it
    (less the changes it has not read), and its keyword fields as last seen."""

    paths: frozenset[str] = frozenset()
    seen: KeywordsSeen | None = None


@dataclass(frozen=True)
class SyncRequest:
    """What the two-way sync asks of one export write (either part may be None: no base).
    ``ours``: the tag paths the export record says ClipDesk wrote (or, an export killed before
    it could say, may have written): never another program's to keep."""

    marks: MarksRequest | None = None
    keywords: KeywordBase | None = None
    ours: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SyncState:
    """The sidecar as ClipDesk knows it after a write: the catalog records it. ``unseen``: it
    holds changes of another program that the catalog has not read yet (read it again)."""

    marks: MarksAfter | None
    keywords: KeywordBase | None
    unseen: bool
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True)
class SyncOutcome:
    """What the sync part of a write did and left: ``changes`` (the marks' words for the line),
    ``withheld`` (the other program's keyword changes, kept: ``-Tag`` it removed, which is not
    written back, ``+Tag`` it added, which is not taken out), ``conflicts``, and ``state`` to
    record (None: nothing asked)."""

    changes: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    state: SyncState | None = None


@dataclass(frozen=True)
class SyncPlan:
    """The sync's part of one prepared write: the keywords to add and remove (the other
    program's changes taken out), the marks' plan, and what the sidecar holds now."""

    request: SyncRequest
    add: tuple[str, ...]
    remove: tuple[str, ...]
    withheld: tuple[str, ...] = ()
    marks: MarksPlan | None = None
    keywords_now: Keywords = Keywords()
    file_paths: frozenset[str] = frozenset()

    @property
    def rating(self) -> RatingPlan | None:
        return self.marks.rating if self.marks is not None else None

    @property
    def gone(self) -> set[str]:
        """The keywords the other program removed (their removal is made whole, not ours)."""
        return {w[1:] for w in self.withheld if w.startswith("-")}

    def ours(self, merged: MergeResult) -> MergeResult:
        """The merge, less the other program's removals made whole (not ClipDesk's)."""
        gone = self.gone
        return replace(merged, removed=tuple(p for p in merged.removed if p not in gone))

    def outcome(self, after: bytes | None, merged: MergeResult, rating: RatingPlan) -> SyncOutcome:
        """The outcome once the sidecar holds ``after`` (None: removed) with ``merged``
        keywords and the rating plan as finally written (its edits dropped: not written)."""
        req, plan = self.request, self.marks
        kept = after is not None
        kw_after = merged.keywords if kept else Keywords()
        keywords = None  # no base yet: the next read takes the sidecar's keywords as a first read
        unseen_kw = True
        if req.keywords is not None:
            paths = (set(req.keywords.paths) | set(merged.added)) if kept else set()
            paths -= set(merged.removed) - self.gone
            seen = KeywordsSeen(self.keywords_now, self.file_paths)
            view = keyword_view(kw_after, seen) if kept else frozenset()
            keywords = KeywordBase(frozenset(paths), KeywordsSeen(kw_after, view))
            was = {p.casefold() for p in req.keywords.paths}
            unseen_kw = kept and {p.casefold() for p in self.file_paths} != was
        marks_after = None
        if plan is not None and req.marks is not None:
            wrote = bool(plan.rating.edit) and rating.edit == plan.rating.edit
            fields = read_fields(after) if kept else {}
            marks_after = settle(plan, req.marks, fields, wrote)
        unseen = unseen_kw or (marks_after is not None and marks_after.unseen)
        state = SyncState(marks_after, keywords, unseen)
        conflicts = plan.conflicts if plan is not None else ()
        changes = plan.changes if plan is not None and rating.edit else ()
        whole = sorted(self.gone & set(merged.removed)) if kept else []
        changes += tuple(f"-{p} (another program's removal, made whole)" for p in whole)
        return SyncOutcome(changes, self.withheld, conflicts, state)


def plan_sync(
    request: SyncRequest,
    now: Keywords,
    data: bytes | None,
    add: Iterable[str],
    remove: Iterable[str],
) -> SyncPlan:
    """The sync's part of a write to a sidecar holding ``data`` (keywords ``now``)."""
    add, remove = list(add), list(remove)
    kb = request.keywords
    file_paths = keyword_view(now, kb.seen if kb is not None else None)
    withheld: list[str] = []
    if kb is not None:
        base = {p.casefold() for p in kb.paths}
        there = {p.casefold() for p in file_paths}
        gone = [p for p in add if p.casefold() in base and p.casefold() not in there]
        ours = {p.casefold() for p in request.ours}
        new = [
            p
            for p in remove
            if p.casefold() not in base and p.casefold() in there and p.casefold() not in ours
        ]
        add = [p for p in add if p not in gone]
        # a removal is made whole (darktable leaves digiKam:TagsList as it was, and the merge
        # would put the leaf back in dc:subject from it); it stays in the base until read
        remove = [p for p in remove if p not in new] + gone
        withheld = [f"-{p}" for p in sorted(gone)] + [f"+{p}" for p in sorted(new)]
    marks = None
    if request.marks is not None:
        marks = plan_marks(read_fields(data), request.marks)
    return SyncPlan(request, tuple(add), tuple(remove), tuple(withheld), marks, now, file_paths)


__all__ = [
    "Conflict",
    "KeywordBase",
    "KeywordsSeen",
    "MarksRequest",
    "SyncOutcome",
    "SyncPlan",
    "SyncRequest",
    "SyncState",
    "keyword_view",
    "plan_sync",
]
