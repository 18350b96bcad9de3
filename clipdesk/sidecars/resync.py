"""Sidecars read again: one another program changed since ClipDesk last read or wrote it comes
back into the catalog (the marks, and keywords added or removed), three ways against the base
(:mod:`clipdesk.sidecars.marks_sync`).

When: at ``clipdesk add`` / ``index`` and every full scan of the worker, for every photo whose
keywords were read (:func:`changed_photos`: a stat per sidecar; a sidecar whose size and mtime
are as recorded is not opened), and on the watcher's event for a ``.xmp`` file
(:func:`photos_of_sidecars`). A sidecar whose bytes are as recorded (a ``touch``) is not read
again; one never recorded (a catalog from before this) is read once, as a first read would.

What comes in, per photo, in short transactions of whole photos:

- **marks**: changed in the sidecar only, the sidecar's value (not logged for undo: it is not
  a user action here); changed on both sides to different values, a conflict (recorded, left);
- **keywords**: one added there becomes a confirmed tag (a rejection made in ClipDesk before
  included: the user has since given it in the other program), one removed there leaves the
  photo (only where it was confirmed; a person's tag stays with the faces that name it);
- **a sidecar that went**: nothing leaves the catalog; the base is reset, so the next export
  writes ClipDesk's marks and keywords anew.

The photo files are never opened here. A sidecar that cannot be read costs that photo only:
its problem is recorded as its keywords' problems are, and it is read again next time.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.catalog import Catalog
from clipdesk.catalog.marks import Marks, marks_of
from clipdesk.catalog.sidecar_records import SyncRecord
from clipdesk.pathnames import to_db
from clipdesk.progress import Cancel
from clipdesk.sidecars.marks_sync import (
    MarksRead,
    apply_reads,
    base_marks,
    keyword_base,
    keywords_json,
    marks_json,
    read_marks,
)
from clipdesk.sidecars.xmp.errors import SidecarError
from clipdesk.sidecars.xmp.fields import SEP, Keywords
from clipdesk.sidecars.xmp.marks import Fields, Seen, resolve
from clipdesk.sidecars.xmp.naming import find_sidecar
from clipdesk.sidecars.xmp.ownership import Siblings
from clipdesk.sidecars.xmp.sidecar_read import SidecarRead, read_sidecar
from clipdesk.sidecars.xmp.sync_plan import KeywordBase, KeywordsSeen, keyword_view
from clipdesk.tagging import corrections
from clipdesk.tagging.store import TagStore, TagTree

BATCH_PHOTOS = 128  # photos per write transaction


@dataclass
class ResyncReport:
    """What reading sidecars again brought: the photos read, those whose marks or keywords
    changed, the keyword changes, the photos left with conflicts, the problems."""

    read: int = 0
    changed_ids: set[int] = field(default_factory=set)
    marks: int = 0
    keywords: int = 0
    conflicts: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False


def _find(photo: str, naming: str, siblings: Siblings) -> Path | None:
    try:
        return find_sidecar(Path(photo), naming, siblings)  # type: ignore[arg-type]
    except OSError:
        return None


def changed_photos(
    catalog: Catalog, photos: list[tuple[int, str]], naming: str, siblings: Siblings | None = None
) -> list[tuple[int, str]]:
    """Those of ``photos`` whose sidecar is not as last read or written: another path, size
    or mtime, gone or new, never recorded, or marked to be read again."""
    siblings = siblings or Siblings()
    seen = catalog.sync_seen([i for i, _ in photos])
    out = []
    for photo_id, path in photos:
        side = _find(path, naming, siblings)
        record = seen.get(photo_id)
        if record is None:
            out.append((photo_id, path))
            continue
        spath, size, mtime_ns, sha = record
        if side is None:
            if size != -1:
                out.append((photo_id, path))
            continue
        if sha is None or spath != str(side):
            out.append((photo_id, path))
            continue
        try:
            st = os.stat(side)
        except OSError:
            out.append((photo_id, path))
            continue
        if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
            out.append((photo_id, path))
    return out


def photos_of_sidecars(catalog: Catalog, sidecars: list[str]) -> list[tuple[int, str]]:
    """The photos (id, path) whose keywords were read that a sidecar at these paths may
    belong to: ``photo.jpg.xmp``'s ``photo.jpg``, ``photo.xmp``'s ``photo.*``."""
    out: dict[int, str] = {}
    for sidecar in sidecars:
        folder, name = os.path.split(sidecar)
        stem = name[: -len(".xmp")] if name.lower().endswith(".xmp") else name
        for photo_id, path in catalog.photos_named(folder, stem.split(".")[0]):
            base = os.path.basename(path)
            if base == stem or os.path.splitext(base)[0] == stem:
                out[photo_id] = path
    return sorted(out.items())


@dataclass
class _Read:
    """One photo's sidecar as read now (None: it has none), and its record then."""

    photo_id: int
    path: str
    sidecar: SidecarRead | None
    record: SyncRecord
    embedded: Fields | None = None  # the photo's own XMP marks (a first read only)


def resync(
    catalog: Catalog,
    photos: list[tuple[int, str]],
    naming: str,
    cancel: Cancel | None = None,
) -> ResyncReport:
    """Read these photos' sidecars again and bring what changed into the catalog (module
    docstring). ``cancel`` stops it between photos; the rest is read next time."""
    report = ResyncReport()
    siblings = Siblings()
    batch: list[_Read] = []
    for photo_id, path in photos:
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        record = catalog.sync_record(photo_id)
        side = _find(path, naming, siblings)
        try:
            read = read_sidecar(side) if side is not None else None
        except SidecarError as exc:
            report.errors.append((path, str(exc)))
            with catalog.transaction():
                catalog.record_keyword_problems([photo_id], {photo_id: [to_db(str(exc))]})
            continue
        report.read += 1
        batch.append(_Read(photo_id, path, read, record))
        if len(batch) >= BATCH_PHOTOS:
            _apply(catalog, batch, report)
            batch = []
    if batch:
        _apply(catalog, batch, report)
    return report


@dataclass(frozen=True)
class _Plan:
    """What reading one photo's sidecar does: its marks' three ways, its new records (marks,
    keywords, fingerprint), the keywords to confirm and to drop (against the base), and those
    to import as a first read does (no base yet). ``touch``: only the time moved."""

    read: MarksRead
    marks: dict | None = None
    keywords: dict | None = None
    seen: tuple | None = None
    confirm: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    soft: tuple[str, ...] = ()
    touch: bool = False


@dataclass
class FirstReads:
    """The sync's records of photos read for the first time, to write in the transaction
    that marks their keywords read (:meth:`record`)."""

    plans: dict[int, _Plan] = field(default_factory=dict)
    again: list[int] = field(default_factory=list)  # recorded before: read as changed ones

    def record(self, catalog: Catalog) -> None:
        """Write the records (in the caller's transaction)."""
        for photo_id, plan in self.plans.items():
            catalog.record_sync(photo_id, plan.marks, plan.keywords, plan.seen)
            conflicts = plan.read.conflicts
            catalog.set_conflicts(
                photo_id, [(c.mark, c.clipdesk, c.file, c.base) for c in conflicts]
            )
        for photo_id in self.again:
            catalog.read_again(photo_id)


def first_reads(
    catalog: Catalog, reads: list[tuple[int, SidecarRead | None, Fields]]
) -> FirstReads:
    """The sync's part of a photo's first read (``add``, ``index``, ``import-keywords``):
    (photo id, its sidecar as read (None: none), the marks fields of its own XMP). The marks
    the sidecar states, else those the photo's XMP states, become the photo's where it has
    none of its own (set here, in a transaction of their own), and the records of the
    sidecars as read are returned, for the caller to write with the keywords. A photo whose
    sidecar was recorded before (its content changed; ``import-keywords``) is left to be read
    as a changed sidecar is, at the next ``index``."""
    out = FirstReads()
    batch = []
    for photo_id, sidecar, embedded in reads:
        record = catalog.sync_record(photo_id)
        if record.size is not None:
            out.again.append(photo_id)
        else:
            batch.append(_Read(photo_id, "", sidecar, record, embedded))
    current = marks_of(catalog, [r.photo_id for r in batch])
    for r in batch:
        out.plans[r.photo_id] = _plan(r, current.get(r.photo_id, Marks()), first=True)
    apply_reads(catalog, {i: p.read for i, p in out.plans.items()})
    return out


def _apply(catalog: Catalog, batch: list[_Read], report: ResyncReport) -> None:
    """Bring these sidecars' changes into the catalog, and record them as read."""
    current = marks_of(catalog, [r.photo_id for r in batch])
    plans = {}
    for r in batch:
        plan = _plan(r, current.get(r.photo_id, Marks()), first=False)
        if plan is not None:
            plans[r.photo_id] = plan
    # the marks first: a kill before the records are written leaves them to be read again
    changed = apply_reads(catalog, {i: p.read for i, p in plans.items() if not p.touch})
    report.marks += len(changed)
    report.changed_ids.update(changed)
    if not plans:
        return
    store = TagStore(catalog)
    needs_tree = any(p.confirm or p.drop or p.soft for p in plans.values())
    tree = TagTree(store) if needs_tree else None
    now = time.time()
    with catalog.transaction():
        if tree is not None:
            tree.fresh()
        paths = {p.casefold(): i for i, p in store.paths().items()} if needs_tree else {}
        for r in batch:
            plan = plans.get(r.photo_id)
            if plan is None:
                continue
            if catalog.sync_record(r.photo_id).sha256 != r.record.sha256:
                continue  # recorded by another process meanwhile: its record stands
            if plan.touch:
                catalog.touch_seen(r.photo_id, plan.seen[2])
                continue
            catalog.read_position_again(r.photo_id)
            n = _keywords(catalog, tree, paths, r, plan, now)
            report.keywords += n
            if n:
                report.changed_ids.add(r.photo_id)
            catalog.record_sync(r.photo_id, plan.marks, plan.keywords, plan.seen)
            conflicts = plan.read.conflicts
            catalog.set_conflicts(
                r.photo_id, [(c.mark, c.clipdesk, c.file, c.base) for c in conflicts]
            )
            report.conflicts += bool(conflicts)


def _plan(r: _Read, mine: Marks, first: bool) -> _Plan | None:
    """What reading one photo's sidecar does (None: nothing)."""
    rec = r.record
    side = r.sidecar
    if side is None or not side.exists:
        if rec.size == -1 and not first:
            return None  # still none
        # none, or gone: nothing leaves the catalog; the next export writes it anew
        read = read_marks(mine, Marks(), resolve(r.embedded or {}) if first else {})
        kw = keywords_json(KeywordBase(frozenset(), KeywordsSeen()))
        return _Plan(read, marks_json(read.base, Seen(), {}), kw, (None, -1, 0, ""))
    fp = side.fingerprint
    seen = (str(side.path), fp.size, fp.mtime_ns, fp.sha256)
    if not first and rec.sha256 == fp.sha256 and rec.path == str(side.path):
        if (rec.size, rec.mtime_ns) == (fp.size, fp.mtime_ns):
            return None
        return _Plan(MarksRead({}, base_marks(rec.marks), ()), seen=seen, touch=True)
    seen_marks = Seen.from_json(rec.marks) if rec.marks is not None else None
    stated = resolve(side.marks, seen_marks)
    if first and rec.marks is None:
        stated = {**resolve(r.embedded or {}), **stated}
    read = read_marks(mine, base_marks(rec.marks), stated)
    written = dict((rec.marks or {}).get("written") or {})
    marks = marks_json(read.base, Seen(side.marks, stated), written)
    kb = keyword_base(rec)
    view = keyword_view(side.keywords, kb.seen if kb is not None else None)
    keywords = keywords_json(KeywordBase(view, KeywordsSeen(side.keywords, view)))
    if kb is None:  # no base yet: taken as a first read takes them (it did, on a first read)
        return _Plan(read, marks, keywords, seen, soft=() if first else tuple(view))
    base = {p.casefold() for p in kb.paths}
    there = {p.casefold() for p in view}
    confirm = tuple(p for p in view if p.casefold() not in base)
    drop = tuple(p for p in kb.paths if p.casefold() not in there)
    return _Plan(read, marks, keywords, seen, confirm, drop)


def _keywords(
    catalog: Catalog,
    tree: TagTree | None,
    paths: dict[str, int],
    r: _Read,
    plan: _Plan,
    now: float,
) -> int:
    """Bring the sidecar's keyword changes into the catalog; how many changed."""
    if not (plan.confirm or plan.drop or plan.soft):
        return 0
    assert tree is not None and r.sidecar is not None
    done = 0
    ids = _tag_ids(tree, r.sidecar.keywords, plan.confirm)
    if ids:
        decided = catalog.confirm_file_keywords(r.photo_id, ids, now)
        if decided:  # a rejection the user made in ClipDesk gives way: learn again
            corrections.queue_learning(catalog, decided)
        done += len(ids)
    ids = _tag_ids(tree, r.sidecar.keywords, plan.soft)
    if ids:
        done += TagStore(catalog).mark_imported(r.photo_id, ids, now)
    gone = [paths[p.casefold()] for p in plan.drop if p.casefold() in paths]
    if gone:
        done += catalog.drop_file_keywords(r.photo_id, gone)
    return done


def _tag_ids(tree: TagTree, keywords: Keywords, wanted: tuple) -> list[int]:
    """The tags (created where need be, disabled like a first read's) of these tag paths, as
    the sidecar's fields give them; a keyword no tag may be named is left out."""
    from clipdesk.sidecars.keyword_import import checked_keywords

    if not wanted:
        return []
    keys = {p.casefold() for p in wanted}
    levels = [lv for lv in keywords.tag_levels() if SEP.join(lv).casefold() in keys]
    flat = tuple(lv[0] for lv in levels if len(lv) == 1)
    hier = tuple(SEP.join(lv) for lv in levels if len(lv) > 1)
    tags, _ = checked_keywords(Keywords(flat=flat, hierarchical=hier))
    ids = []
    for name_levels in tags:
        tag_id, _ = tree.resolve(name_levels, create=True, enabled=False)
        if tag_id is not None:
            ids.append(tag_id)
    return ids
