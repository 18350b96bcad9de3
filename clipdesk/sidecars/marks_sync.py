"""The two-way sync's record, between the catalog and a photo's sidecar: the base of each
three-way comparison, the sidecar as last seen, and its conflicts.

For each photo the catalog keeps (``sidecar_exports``; :class:`clipdesk.catalog.sidecar_records.
SyncRecord`):

- ``marks``: the base (stars, label, flag as they stood when ClipDesk and the sidecar last
  agreed on them), the sidecar's marks fields as last read or written and what they were taken
  to say, and the values ClipDesk itself wrote there (so that it removes only its own);
- ``keywords``: the base (the tag paths the sidecar held when ClipDesk last read or wrote it,
  less the changes it has not read) and the keyword fields as last seen;
- ``seen_*``: the sidecar's path, size, mtime and SHA-256 when last read or written. A sidecar
  that differs is read again (:mod:`clipdesk.sidecars.resync`); a NULL hash says "read it
  again" (an export that left another program's change in it, not read yet).

The three ways, mark by mark (the same rule on both sides, :func:`three_way`): changed on one
side only, that side wins; changed on both to the same value, nothing to do; to different
values, a conflict, recorded here (``sidecar_conflicts``) until the user decides (``clipdesk
conflicts``): neither an export nor a read writes over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clipdesk.catalog import Catalog
from clipdesk.catalog.marks import Marks
from clipdesk.catalog.sidecar_records import SyncRecord
from clipdesk.sidecars.xmp.marks import MARKS, RATING, Fields, Seen, Stated, normal
from clipdesk.sidecars.xmp.marks_plan import Conflict, MarksRequest
from clipdesk.sidecars.xmp.sync_plan import (
    KeywordBase,
    KeywordsSeen,
    SyncRequest,
    SyncState,
)


def base_marks(value: dict | None) -> Marks:
    """The base marks of a record (``Marks()``: none, or not valid)."""
    if not value:
        return Marks()
    try:
        return Marks(int(value.get("stars") or 0), value.get("label"), value.get("flag"))
    except ValueError:
        return Marks()


def marks_json(base: Marks, seen: Seen | None, written: Fields) -> dict:
    """The ``marks`` record: the base, the sidecar as last seen, what ClipDesk wrote."""
    out: dict = base.as_dict()
    if seen is not None:
        out.update(seen.to_json())
    out["written"] = {k: v for k, v in written.items() if isinstance(v, str)}
    return out


def keywords_json(base: KeywordBase) -> dict:
    """The ``keywords`` record: the base paths, and the fields as last seen."""
    seen = base.seen or KeywordsSeen()
    return {"paths": sorted(base.paths), **seen.to_json()}


def _written(record: SyncRecord) -> Fields:
    written = normal((record.marks or {}).get("written") or {})
    if record.rating == "-1":  # the export record's: ClipDesk wrote the reject rating
        written.setdefault(RATING, "-1")
    return written


def keyword_base(record: SyncRecord) -> KeywordBase | None:
    value = record.keywords
    if not value or "paths" not in value:
        return None
    return KeywordBase(frozenset(value["paths"]), KeywordsSeen.from_json(value))


def sync_request(
    catalog: Catalog, photo_id: int, marks: Marks, ours: Iterable[str] = ()
) -> SyncRequest:
    """What an export of the photo's sidecar asks of the sync (its catalog ``marks`` now;
    ``ours``: the tag paths the export record says ClipDesk wrote there)."""
    record = catalog.sync_record(photo_id)
    mr = MarksRequest(
        marks, base_marks(record.marks), Seen.from_json(record.marks), _written(record)
    )
    return SyncRequest(mr, keyword_base(record), frozenset(ours))


@dataclass(frozen=True)
class PendingRecord:
    """The record an export leaves for the two-way sync (:func:`pending_record`)."""

    marks: dict | None
    keywords: dict | None
    seen: tuple | None
    conflicts: tuple[tuple, ...]


def pending_record(catalog: Catalog, photo_id: int, outcome) -> PendingRecord | None:
    """The record of the photo's sidecar after an export's ``outcome`` (a PhotoOutcome):
    what it holds now. One left holding another program's change keeps no hash, so that the
    next read reads it. None: nothing to record, or the record says it already."""
    state: SyncState | None = outcome.sync.state
    if state is None:
        return None
    record = catalog.sync_record(photo_id)
    marks = record.marks
    if state.marks is not None:
        marks = marks_json(state.marks.base, state.marks.seen, state.marks.written)
    keywords = keywords_json(state.keywords) if state.keywords is not None else record.keywords
    fp = state.fingerprint
    if fp is None:
        seen = None
    elif fp.size < 0:
        seen = (None, -1, 0, "")
    else:
        sha = None if state.unseen else fp.sha256
        seen = (str(outcome.sidecar), fp.size, fp.mtime_ns, sha)
    conflicts = tuple((c.mark, c.clipdesk, c.file, c.base) for c in outcome.sync.conflicts)
    now = (record.path, record.size, record.mtime_ns, record.sha256)
    had = tuple(c[2:] for c in catalog.sidecar_conflicts([photo_id]))
    if (marks, keywords, seen, conflicts) == (record.marks, record.keywords, now, had):
        return None
    return PendingRecord(marks, keywords, seen, conflicts)


def write_record(catalog: Catalog, photo_id: int, pending: PendingRecord) -> None:
    """Write :func:`pending_record`'s record (in the caller's transaction)."""
    catalog.record_sync(photo_id, pending.marks, pending.keywords, pending.seen)
    catalog.set_conflicts(photo_id, pending.conflicts)


# ---------------------------------------------------------------- reading a sidecar


def three_way(c, b, f) -> str:
    """'same' (nothing changed, or only ClipDesk: export writes it), 'file' (the sidecar's
    change: it comes in), 'both' (the same change on both sides), 'conflict'."""
    if f == b:
        return "same"
    if c == b:
        return "file"
    return "both" if c == f else "conflict"


@dataclass(frozen=True)
class MarksRead:
    """A read's outcome for one photo's marks: the marks to set in the catalog (mark ->
    value), the new base, the conflicts."""

    sets: dict
    base: Marks
    conflicts: tuple[Conflict, ...]


def read_marks(catalog_marks: Marks, base: Marks, stated: Stated) -> MarksRead:
    """The three ways of a read (module docstring): what the sidecar's ``stated`` marks do to
    the catalog's, against ``base``."""
    sets, new_base, conflicts = {}, {}, []
    for mark in MARKS:
        c, b = getattr(catalog_marks, mark), getattr(base, mark)
        f = stated.get(mark, b)
        way = three_way(c, b, f)
        if way == "file":
            sets[mark] = f
        if way == "conflict":
            conflicts.append(Conflict(mark, c, f, b))
        new_base[mark] = b if way in ("same", "conflict") else f
    return MarksRead(sets, Marks(**new_base), tuple(conflicts))


def apply_reads(catalog: Catalog, reads: dict[int, MarksRead]) -> list[int]:
    """Set the marks the sidecars brought (not the user's action: not logged for undo). The
    photos whose marks changed."""
    from clipdesk.catalog.marks import KEEP, set_each

    changes = {
        photo_id: tuple(r.sets.get(m, KEEP) for m in ("stars", "label", "flag"))
        for photo_id, r in reads.items()
        if r.sets
    }
    if not changes:
        return []
    return set_each(catalog, changes, what="read from sidecars", log=False)


def resolve_conflicts(catalog: Catalog, photo_ids: list[int] | None, take_file: bool) -> list[int]:
    """Decide the sidecar conflicts of these photos (None: all). ``take_file``: the sidecar's
    values become the photo's (the user's decision: ``clipdesk undo`` takes it back); else
    ClipDesk's stay and the next export writes them over the sidecar's. The photos decided."""
    from clipdesk.catalog.marks import KEEP, set_each

    rows = catalog.sidecar_conflicts(photo_ids)
    files: dict[int, dict] = {}
    for photo_id, _, mark, _, file, _ in rows:
        files.setdefault(photo_id, {})[mark] = file
    if not files:
        return []
    if take_file:
        changes = {
            i: tuple(f.get(m, KEEP) for m in ("stars", "label", "flag")) for i, f in files.items()
        }
        set_each(catalog, changes, what="the sidecars' marks (conflicts decided)")
    with catalog.transaction():
        for photo_id, file in files.items():
            # the sidecar's values are the base now: ClipDesk's differ (an export writes
            # them) or are the same (nothing to write)
            marks = dict(catalog.sync_record(photo_id).marks or {})
            marks.update(file)
            catalog.set_marks_base(photo_id, marks)
            catalog.set_conflicts(photo_id, [])
    return sorted(files)


__all__ = [
    "MarksRead",
    "apply_reads",
    "base_marks",
    "keyword_base",
    "keywords_json",
    "marks_json",
    "PendingRecord",
    "pending_record",
    "read_marks",
    "resolve_conflicts",
    "write_record",
    "sync_request",
    "three_way",
]
