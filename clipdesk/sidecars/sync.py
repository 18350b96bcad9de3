"""Between the catalog and XMP sidecars: export tags, import existing keywords.

Export writes a photo's confirmed tags (and, if asked, its suggestions above their
threshold) and removes only keywords ClipDesk manages: ones it exported before
that are no longer wanted, and ones the user rejected in ClipDesk. A keyword
another program wrote stays. The photo's marks (stars, colour label, pick or reject flag)
go into xmp:Rating, xmp:Label and digiKam's ColorLabel and PickLabel, three ways against what
the sidecar held when ClipDesk last read or wrote it: a change another program made since
is never written over, and a mark changed on both sides is a conflict, left for the user
(:mod:`clipdesk.sidecars.marks_sync`, :mod:`clipdesk.sidecars.xmp.sync_plan`). The faces
confirmed as a named person go in as MWG face regions, next to every region another program
wrote; those
ClipDesk wrote before and that are no longer wanted are taken out, and only those
(:mod:`clipdesk.sidecars.xmp.region_edit`). Import turns keywords found in sidecars and in the
photos' embedded XMP/IPTC into ``imported`` tags, and their face regions into faces, never
overriding a decision (:mod:`clipdesk.sidecars.keyword_import`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clipdesk.catalog import Catalog, flags
from clipdesk.catalog.marks import Marks, marks_of
from clipdesk.pathnames import lookup_forms
from clipdesk.people import faces_db
from clipdesk.places import places_db
from clipdesk.sidecars import marks_sync
from clipdesk.sidecars.keyword_import import ImportReport, import_keywords
from clipdesk.sidecars.xmp import ExportReport, PhotoOutcome, export_sidecars, location
from clipdesk.sidecars.xmp.export import ExportItem
from clipdesk.sidecars.xmp.naming import sidecar_path
from clipdesk.sidecars.xmp.ownership import Siblings, stem
from clipdesk.sidecars.xmp.rating import REJECT_RATING, RatingRequest, is_reject
from clipdesk.sidecars.xmp.region_edit import RegionRequest, RegionsPlan, Written
from clipdesk.sidecars.xmp.regions import overlaps
from clipdesk.sidecars.xmp.sync_plan import SyncRequest
from clipdesk.tagging.store import TagStore

__all__ = ["ImportReport", "export_library", "import_keywords", "outside_library", "photos_under"]


def photos_under(catalog: Catalog, paths: list[str | Path] | None) -> list[tuple[int, str]]:
    """(id, path) of present photos, under the given files or folders (default: all)."""
    rows = catalog.present_photos()
    if not paths:
        return rows
    wanted = [str(Path(f).expanduser().resolve()) for p in paths for f in lookup_forms(p)]
    return [
        (i, p)
        for i, p in rows
        if any(p == w or p.startswith(w.rstrip(os.sep) + os.sep) for w in wanted)
    ]


def outside_library(catalog: Catalog, paths: list[str | Path] | None) -> list[str]:
    """The given paths that are no catalogued photo and hold none (as given by the user)."""
    if not paths:
        return []
    rows = [p for _, p in catalog.present_photos()]
    out = []
    for given in paths:
        forms = [str(Path(f).expanduser().resolve()) for f in lookup_forms(given)]
        if not any(p == w or p.startswith(w.rstrip(os.sep) + os.sep) for w in forms for p in rows):
            out.append(os.fspath(given))
    return out


@dataclass
class _Planned:
    """One photo's part of an export: what to write, what to remove, what the catalog had."""

    photo_id: int
    path: str
    desired: set[str]
    remove: set[str]
    before: set[str]
    created: bool
    rejected: bool = False  # flagged rejected in the catalog
    rated: bool = False  # the record says ClipDesk wrote the reject rating into the sidecar
    regions: RegionRequest | None = None  # its named faces, and the regions ClipDesk wrote
    sync: SyncRequest | None = None  # its marks (the reject rating too), three ways
    place: tuple[tuple[str, str], ...] = ()  # its place from GPS, as Lightroom's fields
    placed: tuple[tuple[str, str], ...] = ()  # those fields ClipDesk wrote before (the record)

    @property
    def rating(self) -> RatingRequest:
        """Set the reject rating, take ClipDesk's own away again, or leave the rating alone
        (with ``sync``, the marks' plan does it)."""
        if self.sync is not None:
            return ""
        return "reject" if self.rejected else "unreject" if self.rated else ""

    @property
    def marks(self) -> Marks:
        m = self.sync.marks if self.sync is not None else None
        return m.marks if m is not None else Marks()

    @property
    def has_marks(self) -> bool:
        """The photo has marks, or had when ClipDesk last read or wrote its sidecar: the export
        writes them, or says what the sidecar changed, or the conflict it leaves."""
        m = self.sync.marks if self.sync is not None else None
        return m is not None and not (m.marks.empty and m.base.empty)

    @property
    def regions_before(self) -> tuple[tuple[Written, ...], bool]:
        r = self.regions
        return (r.ours, r.created) if r is not None else ((), False)


def _plan_photo(
    store: TagStore,
    photo_id: int,
    path: str,
    paths: dict[int, str],
    include_suggested: bool,
    rejected: set[int],
    unsplittable: set[int],
    marks: dict[int, Marks] | None = None,
) -> _Planned:
    desired, rejected_tags = set(), set()
    for tag_id, state, score, threshold in store.states_on(photo_id):
        if tag_id in unsplittable:  # a flat keyword with '|' read as written: left as it is
            continue
        if state == "confirmed" or (
            include_suggested and state == "suggested" and (score or 0) >= threshold
        ):
            desired.add(paths[tag_id])
        elif state == "rejected":
            rejected_tags.add(paths[tag_id])
    before, created, rating = store.catalog.export_state(photo_id)
    place = places_db.place_of(store.catalog, photo_id, desired)
    return _Planned(
        photo_id,
        path,
        desired,
        (before - desired) | rejected_tags,
        before,
        created,
        photo_id in rejected,
        is_reject(rating),
        _regions(store.catalog, photo_id),
        marks_sync.sync_request(
            store.catalog, photo_id, (marks or {}).get(photo_id, Marks()), before
        ),
        _location(place),
        tuple(sorted(store.catalog.export_location(photo_id).items())),
    )


def _location(place) -> tuple[tuple[str, str], ...]:
    """A place's names as Lightroom's location fields (those it has)."""
    if place is None:
        return ()
    named = ((location.CITY, place.city), (location.STATE, place.region))
    return tuple((k, v) for k, v in (*named, (location.COUNTRY, place.country)) if v)


def _regions(catalog: Catalog, photo_id: int) -> RegionRequest | None:
    """What export asks of a photo's face regions: its faces confirmed as a named person
    and the regions ClipDesk wrote before; None when there are neither."""
    ours, created = catalog.export_regions(photo_id)
    confirmed = any(f.state == "confirmed" for f in faces_db.faces_of(catalog, photo_id))
    faces = tuple(faces_db.named_regions(catalog, photo_id)) if confirmed else ()
    if not faces and not ours:
        return None
    photo = catalog.photo(photo_id)
    return RegionRequest(
        faces,
        tuple(Written.from_json(r) for r in ours),
        created,
        (photo.orientation or 1) if photo else 1,
        photo.width if photo else None,
        photo.height if photo else None,
    )


def _merged_regions(members: list[_Planned]) -> RegionRequest | None:
    """The regions of a RAW+JPEG pair's shared sidecar: the owner's record, and the named
    faces of every photo of the pair, each face once (the same name at an overlapping place
    is one face). The owner's orientation and size give the frame."""
    owner = members[0].regions
    faces: list[tuple[str, tuple]] = []
    for m in members:
        for name, box in m.regions.faces if m.regions is not None else ():
            if not any(n.casefold() == name.casefold() and overlaps(b, box) for n, b in faces):
                faces.append((name, box))
    if owner is None:
        other = next((m.regions for m in members if m.regions is not None), None)
        if other is None:
            return None
        return RegionRequest(tuple(faces), (), False, other.orientation, other.width, other.height)
    return RegionRequest(
        tuple(faces), owner.ours, owner.created, owner.orientation, owner.width, owner.height
    )


def _export_items(
    planned: dict[int, _Planned],
    everyone: dict[str, int],
    naming: str,
    pair_raw: bool,
    plan_other: Callable[[int, str], _Planned],
) -> list[tuple[ExportItem, list[_Planned]]]:
    """The export items, each with the photos it speaks for (more than one for a RAW+JPEG pair
    exported as one photo). With base naming a ``photo.xmp`` shared by several files goes to
    the pair's RAW; the other photos fall back to ``photo.jpg.xmp`` and say so, or with
    ``pair_raw`` their tags are merged into the RAW's sidecar."""
    out: list[tuple[ExportItem, list[_Planned]]] = []
    siblings = Siblings()
    merged: dict[str, list[_Planned]] = {}  # owner's path -> members to merge into it
    for p in planned.values():
        group = siblings.of(p.path) if naming == "base" else [os.path.basename(p.path)]
        if len(group) <= 1:
            out.append((_item(p), [p]))
            continue
        folder, name = os.path.split(p.path)
        owner = siblings.owner(p.path)  # the one rule, shared with import
        owner_path = os.path.join(folder, owner) if owner else None
        if owner == name:
            merged.setdefault(p.path, []).insert(0, p)
        elif pair_raw and owner_path in everyone:
            merged.setdefault(owner_path, []).append(p)
        else:
            base = stem(name) + ".xmp"
            others = ", ".join(n for n in group if n != name)
            note = f"{base} is shared with {others}: this photo's sidecar is {name}.xmp"
            out.append((_item(p, naming="ext", note=note), [p]))
    for owner_path, members in merged.items():
        if members[0].path != owner_path:  # the RAW itself has nothing of its own to write
            own = planned.get(everyone[owner_path]) or plan_other(everyone[owner_path], owner_path)
            members.insert(0, own)
        if not pair_raw:
            out.append((_item(members[0]), members[:1]))
            continue
        desired = set().union(*(m.desired for m in members))
        remove = set().union(*(m.remove for m in members)) - desired
        # the shared sidecar is the RAW's: it carries the RAW's reject flag
        tidy = all(m.created for m in members) and not desired and members[0].marks.empty
        tidy = tidy and not members[0].rejected
        ext = os.path.splitext(owner_path)[1].lstrip(".")
        names = ", ".join(os.path.basename(m.path) for m in members[1:])
        note = f"one sidecar for the RAW and {names} (--pair-raw)" if names else ""
        regions = _merged_regions(members)
        tidy = tidy and not (regions is not None and regions.faces)
        item = ExportItem(
            Path(owner_path),
            frozenset(desired),
            frozenset(remove),
            tidy,
            note=note,
            sidecar_for=ext,
            rating=members[0].rating,
            regions=regions,
            sync=members[0].sync,
            place=members[0].place,
            placed=members[0].placed,
        )
        out.append((item, members))
    return out


def _item(p: _Planned, naming: str | None = None, note: str = "") -> ExportItem:
    faces = p.regions is not None and bool(p.regions.faces)
    tidy = p.created and not p.desired and not p.rejected and not faces and p.marks.empty
    return ExportItem(
        Path(p.path),
        frozenset(p.desired),
        frozenset(p.remove),
        tidy,
        naming,  # type: ignore[arg-type]
        note,
        rating=p.rating,
        regions=p.regions,
        sync=p.sync,
        place=p.place,
        placed=p.placed,
    )


def export_library(
    catalog: Catalog,
    paths: list[str | Path] | None = None,
    naming: str = "ext",
    include_suggested: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int | None, PhotoOutcome], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    *,
    force: bool = False,
    pair_raw: bool = False,
) -> ExportReport:
    """Export the photos under ``paths``. Each sidecar is recorded in the catalog in the same
    step as it is written (its own short transaction just before and just after the rename),
    so an export killed at any point leaves records that cover what the files hold, and the
    next export (after an undo, say) finishes the job."""
    store = TagStore(catalog)
    tag_paths = store.paths()
    rejected = flags.reject_flagged(catalog)
    unsplittable = store.unsplittable()
    everyone = {p: i for i, p in catalog.present_photos()}
    marks = marks_of(catalog)

    def plan(photo_id: int, path: str) -> _Planned:
        return _plan_photo(
            store, photo_id, path, tag_paths, include_suggested, rejected, unsplittable, marks
        )

    planned: dict[int, _Planned] = {}
    for photo_id, path in photos_under(catalog, paths):
        p = plan(photo_id, path)
        # nothing of ours to say: no sidecar is created
        if p.desired or p.remove or p.rating or p.regions is not None or p.has_marks:
            planned[photo_id] = p

    pairs = _export_items(planned, everyone, naming, pair_raw, plan)
    members = {item.photo: group for item, group in pairs}

    widened: set[int] = set()  # photos whose record was widened before their write

    def rated_after(item: ExportItem, m: _Planned, outcome: PhotoOutcome) -> bool:
        """Whether ClipDesk's reject rating is in the sidecar now: it is -1, and ClipDesk
        wrote it now or before (a -1 another program wrote stays theirs)."""
        if m is not members[item.photo][0]:  # a pair's shared sidecar carries the RAW's
            return m.rated
        return is_reject(outcome.rating_after) and (outcome.rating == "rejected" or m.rated)

    def before(item: ExportItem) -> None:
        # Write-ahead: the record covers what the sidecar may hold once renamed.
        # A sidecar not there yet is ClipDesk's if this write makes it (tidy only ever removes
        # a file that holds exactly the empty document, so claiming it ahead is safe).
        owner = members[item.photo][0]
        ahead = [
            m
            for m in members[item.photo]
            if item.add - m.before or (m is owner and m.rejected and not m.rated)
        ]
        if ahead:
            fresh = not os.path.lexists(sidecar_path(item.photo, item.naming or naming))
            with catalog.transaction():
                for m in ahead:
                    rating = REJECT_RATING if m.rated or (m is owner and m.rejected) else None
                    catalog.record_export(
                        m.photo_id, m.before | item.add, m.created or fresh, rating
                    )
            widened.update(m.photo_id for m in ahead)

    claimed: set[int] = set()  # photos whose regions record was widened before the rename

    def claim(item: ExportItem, regions: RegionsPlan, creating: bool) -> None:
        # Write-ahead for the regions: just before the rename, the record covers the regions
        # ClipDesk had there and those this write adds (known only once the sidecar is read).
        owner = members[item.photo][0]
        ours, made = owner.regions_before
        wider = [w for w in regions.written if not any(w.same(o) for o in ours)]
        with catalog.transaction():
            catalog.record_regions(
                owner.photo_id,
                [w.to_json() for w in (*ours, *wider)],
                made or regions.created,
                creating or owner.created,
            )
        claimed.add(owner.photo_id)

    def regions_after(item: ExportItem, m: _Planned, outcome: PhotoOutcome):
        """The regions record of ``m`` after this write; None keeps it as it is."""
        if item.regions is None or m is not members[item.photo][0]:
            return None
        if outcome.outcome == "skipped":
            return m.regions_before if m.photo_id in claimed else None
        if outcome.outcome == "removed":
            return ((), False)
        return (outcome.regions.written, outcome.regions.created)

    def after(item: ExportItem, outcome: PhotoOutcome) -> None:
        writes = []
        for m in members[item.photo]:
            regions = regions_after(item, m, outcome)
            if outcome.outcome == "skipped":  # the file is as it was: so is the record
                if m.photo_id in widened or regions is not None:
                    writes.append((m.photo_id, m.before, m.created, m.rated, regions))
            elif outcome.outcome == "removed":  # ours, and empty: gone, nothing to keep
                writes.append((m.photo_id, set(), False, False, ((), False)))
            else:
                created = m.created or outcome.created
                rated = rated_after(item, m, outcome)
                now = (item.add, created, rated)
                same = regions is None or _same_regions(regions, m.regions_before)
                if now != (m.before, m.created, m.rated) or m.photo_id in widened or not same:
                    writes.append((m.photo_id, *now, regions))
        owner = members[item.photo][0]
        synced = marks_sync.pending_record(catalog, owner.photo_id, outcome)
        placed = outcome.location  # the shared sidecar's location fields are the owner's
        if placed is not None and sorted(placed.items()) == list(owner.placed):
            placed = None  # recorded as it is
        if not writes and synced is None and placed is None:  # e.g. unchanged, and recorded
            return  # as it is: no transaction at all
        with catalog.transaction():
            for photo_id, tags, created, rated, regions in writes:
                if regions is None:  # left as recorded
                    record = None
                    held = any(catalog.export_regions(photo_id))
                else:
                    record = ([w.to_json() for w in regions[0]], regions[1])
                    held = bool(regions[0]) or regions[1]
                if tags or created or rated or held:
                    rating = REJECT_RATING if rated else None
                    catalog.record_export(photo_id, tags, created, rating, record)
                else:
                    catalog.forget_export(photo_id)
            if synced is not None:  # the sidecar as it now is, for the two-way sync
                marks_sync.write_record(catalog, owner.photo_id, synced)
            if placed is not None:
                catalog.record_location(owner.photo_id, placed)

    return export_sidecars(
        [item for item, _ in pairs],
        naming=naming,
        dry_run=dry_run,
        progress=progress,
        cancelled=cancelled,
        force=force,
        before=before,
        after=after,
        claim=claim,
    )


def _same_regions(a: tuple[tuple[Written, ...], bool], b: tuple[tuple[Written, ...], bool]) -> bool:
    return (
        a[1] == b[1]
        and len(a[0]) == len(b[0])
        and all(x.same(y) for x, y in zip(a[0], b[0], strict=True))
    )
