"""Export tags to the sidecars of many photos, or plan it (dry run). No Qt: progress is a
plain callback, called after each photo from the calling thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from clipdesk.sidecars.xmp.errors import SidecarError
from clipdesk.sidecars.xmp.naming import DEFAULT_NAMING, Naming, check_naming, sidecar_path
from clipdesk.sidecars.xmp.rating import RatingRequest
from clipdesk.sidecars.xmp.region_edit import RegionRequest, RegionsPlan
from clipdesk.sidecars.xmp.sidecar import plan_sidecar, update_sidecar
from clipdesk.sidecars.xmp.sync_plan import SyncOutcome, SyncRequest
from clipdesk.wording import plural

# Adobe's mark of which file of a RAW+JPEG pair a shared ``photo.xmp`` describes.
SIDECAR_FOR_EXTENSION = "Xmp.photoshop.SidecarForExtension"

Outcome = Literal["written", "unchanged", "skipped", "removed"]


@dataclass(frozen=True)
class ExportItem:
    """One photo to export. ``tidy``: ClipDesk created its sidecar, which is removed when it
    would hold nothing. ``naming`` overrides the run's convention for this photo (a base-name
    collision, see :mod:`clipdesk.sidecars.sync`); ``note`` is said with its outcome."""

    photo: Path
    add: frozenset[str]
    remove: frozenset[str]
    tidy: bool = False
    naming: Naming | None = None
    note: str = ""
    sidecar_for: str = ""  # the RAW's extension, written as photoshop:SidecarForExtension
    rating: RatingRequest = ""  # "reject": xmp:Rating -1; "unreject": remove ClipDesk's -1
    regions: RegionRequest | None = None  # the named faces as MWG regions (None: left alone)
    sync: SyncRequest | None = None  # the marks, three ways against the catalog's base
    # Lightroom's location fields of the photo's place from GPS (exiv2 key, name), filled
    # only where the sidecar has them empty (clipdesk/sidecars/xmp/location.py); those
    # ClipDesk wrote there before (as recorded), removed where the place no longer names them
    place: tuple[tuple[str, str], ...] = ()
    placed: tuple[tuple[str, str], ...] = ()


# An ExportItem, or (photo, add, remove) / (photo, add, remove, tidy).
ExportRow = ExportItem | tuple


def _item(row: ExportRow) -> ExportItem:
    if isinstance(row, ExportItem):
        return row
    photo, add, remove, *tidy = row
    return ExportItem(Path(photo), frozenset(add), frozenset(remove), bool(tidy and tidy[0]))


@dataclass(frozen=True)
class PhotoOutcome:
    """One photo's result. In a dry run ``written`` means "would be written".

    ``added`` / ``removed`` are the tag paths that changed (or would); ``reason`` says why a
    photo was skipped (one line).
    """

    photo: Path
    sidecar: Path | None
    outcome: Outcome
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reason: str = ""
    created: bool = False  # the sidecar did not exist: ClipDesk made it
    note: str = ""  # said with the outcome: e.g. why this photo's sidecar has another name
    rating: Literal["", "rejected", "unrejected"] = ""  # the reject rating set or removed
    rating_after: str | None = None  # the sidecar's xmp:Rating afterwards
    rating_note: str = ""  # e.g. "kept the rating 4 another program set"
    regions: RegionsPlan = RegionsPlan()  # ClipDesk's face regions there now, and the change
    sync: SyncOutcome = SyncOutcome()  # the marks written, the conflicts, what was left
    location: dict[str, str] | None = None  # ClipDesk's location fields there now (None: as
    # recorded before: nothing was written)

    def changes(self) -> list[str]:
        """What changed in the sidecar, for one line: ``+Tag -Tag rating: rejected
        stars: 3 label: red flag: pick faces: +Ada -Bob``."""
        out = [f"+{t}" for t in self.added] + [f"-{t}" for t in self.removed]
        if self.rating:
            gone = self.rating == "unrejected"
            out.append("rating: reject removed" if gone else "rating: rejected")
        out += self.sync.changes
        faces = [f"+{n}" for n in self.regions.added] + [f"-{n}" for n in self.regions.removed]
        if faces:
            out.append("faces: " + " ".join(faces))
        return out


@dataclass
class ExportReport:
    """Per-photo outcomes of :func:`export_sidecars`, in input order."""

    dry_run: bool
    naming: Naming
    outcomes: list[PhotoOutcome] = field(default_factory=list)
    cancelled: bool = False

    def count(self, outcome: Outcome) -> int:
        """How many photos had ``outcome``."""
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def written(self) -> int:
        """Photos whose sidecar was (or, in a dry run, would be) written."""
        return self.count("written")

    @property
    def removed_files(self) -> int:
        """Sidecars ClipDesk had created that held nothing more, and were removed."""
        return self.count("removed")

    @property
    def unchanged(self) -> int:
        """Photos whose sidecar already held exactly these keywords."""
        return self.count("unchanged")

    @property
    def skipped(self) -> list[PhotoOutcome]:
        """Photos that were skipped, each with its reason."""
        return [o for o in self.outcomes if o.outcome == "skipped"]

    def summary(self) -> str:
        """One line for a status bar or the CLI."""
        verb = "would write" if self.dry_run else "wrote"
        text = f"{verb} {self.written}, unchanged {self.unchanged}, skipped {len(self.skipped)}"
        if self.removed_files:
            gone = "would remove" if self.dry_run else "removed"
            text += (
                f"; {gone} {plural(self.removed_files, 'empty sidecar')} that ClipDesk had created"
            )
        rejected = sum(1 for o in self.outcomes if o.rating == "rejected")
        unrejected = sum(1 for o in self.outcomes if o.rating == "unrejected")
        if rejected or unrejected:
            text += f"; reject rating {'would be ' if self.dry_run else ''}set on {rejected}"
            text += f", removed from {unrejected}"
        kept = sum(1 for o in self.outcomes if o.rating_note)
        if kept:
            text += f"; {plural(kept, 'rating')} left as they were (see the notes)"
        faces = sum(1 for o in self.outcomes if o.regions.added or o.regions.removed)
        if faces:
            text += f"; face regions {'would change' if self.dry_run else 'changed'} on {faces}"
        marks = sum(1 for o in self.outcomes if o.sync.changes)
        if marks:
            text += f"; marks {'would change' if self.dry_run else 'changed'} on {marks}"
        conflicts = sum(1 for o in self.outcomes if o.sync.conflicts)
        if conflicts:
            text += (
                f"; {plural(conflicts, 'photo')} with sidecar conflicts left as they are "
                "(`clipdesk conflicts`)"
            )
        if self.unchanged:
            text += " (unchanged: nothing new to write, or the sidecar holds it already)"
        return text + (" (cancelled)" if self.cancelled else "")


def export_one(
    photo: Path,
    add: Iterable[str],
    remove: Iterable[str],
    *,
    naming: Naming = DEFAULT_NAMING,
    dry_run: bool = False,
    digikam: bool = True,
    tidy: bool = False,
    force: bool = False,
    sidecar_for: str = "",
    rating: RatingRequest = "",
    regions: RegionRequest | None = None,
    claim: Callable[[RegionsPlan, bool], None] | None = None,
    sync: SyncRequest | None = None,
    place: Iterable[tuple[str, str]] = (),
    placed: Iterable[tuple[str, str]] = (),
) -> PhotoOutcome:
    """Export (or plan) one photo; a failure becomes a ``skipped`` outcome, never an exception
    (except programming errors)."""
    photo = Path(photo)
    if not photo.is_file():
        return PhotoOutcome(photo, None, "skipped", reason="photo not found")
    opts = {
        "naming": naming,
        "digikam": digikam,
        "tidy": tidy,
        "force": force,
        "rating": rating,
        "regions": regions,
        "sync": sync,
        "fill": dict(place),
        "filled": dict(placed),
    }
    try:
        if dry_run:  # the same planning step as the write: it reports what the write does
            r = plan_sidecar(photo, add, remove, **opts)
        else:
            extra = {SIDECAR_FOR_EXTENSION: sidecar_for} if sidecar_for else None
            r = update_sidecar(photo, add, remove, extra=extra, claim=claim, **opts)
        return PhotoOutcome(
            photo,
            r.sidecar,
            r.outcome,
            r.added,
            r.removed,
            created=getattr(r, "created", False),  # a plan creates nothing
            rating=r.rating,
            rating_after=r.rating_after,
            rating_note=r.rating_note,
            regions=r.regions,
            note=r.regions.note,
            sync=r.sync,
            location=r.location,
        )
    except SidecarError as exc:
        return PhotoOutcome(photo, exc.path, "skipped", reason=exc.reason)


def export_sidecars(
    items: Iterable[ExportRow],
    naming: Naming = DEFAULT_NAMING,
    dry_run: bool = False,
    progress: Callable[[int, int | None, PhotoOutcome], None] | None = None,
    *,
    digikam: bool = True,
    cancelled: Callable[[], bool] | None = None,
    force: bool = False,
    before: Callable[[ExportItem], None] | None = None,
    after: Callable[[ExportItem, PhotoOutcome], None] | None = None,
    claim: Callable[[ExportItem, RegionsPlan, bool], None] | None = None,
) -> ExportReport:
    """Write (or with ``dry_run`` only compute) keyword changes for many photos.

    ``items`` yields ``(photo_path, add, remove)`` with tag-path sets. ``progress(done, total,
    outcome)`` is called after each photo (``total`` is None when ``items`` has no length).
    ``cancelled()`` is polled before each photo; when it returns True the export stops and the
    report says so. A bad sidecar or a read-only folder skips that photo, never the run.

    ``before(item)`` / ``after(item, outcome)`` (real runs only) are called just before and
    just after each photo's sidecar is written: the catalog records each sidecar in the same
    step, so an interrupted export leaves records that match the files. ``force`` replaces
    read-only sidecars (keeping their mode). ``claim(item, regions, creating)`` is called
    just before the rename of a write that adds face regions (see ``update_sidecar``).
    """
    naming = check_naming(naming)
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    report = ExportReport(dry_run=dry_run, naming=naming)
    for done, row in enumerate(items, 1):
        if cancelled is not None and cancelled():
            report.cancelled = True
            break
        item = _item(row)
        if before is not None and not dry_run:
            before(item)
        try:
            result = export_one(
                item.photo,
                item.add,
                item.remove,
                naming=item.naming or naming,
                dry_run=dry_run,
                digikam=digikam,
                tidy=item.tidy,
                force=force,
                sidecar_for=item.sidecar_for,
                rating=item.rating,
                regions=item.regions,
                sync=item.sync,
                claim=(lambda r, new, item=item: claim(item, r, new)) if claim else None,
                place=item.place,
                placed=item.placed,
            )
        except OSError as exc:  # e.g. a drive unmounted mid-run
            target = sidecar_path(item.photo, item.naming or naming)
            result = PhotoOutcome(item.photo, target, "skipped", reason=str(exc.strerror or exc))
        if item.note:
            result = replace(result, note="; ".join(n for n in (item.note, result.note) if n))
        if after is not None and not dry_run:
            after(item, result)
        report.outcomes.append(result)
        if progress is not None:
            progress(done, total, result)
    return report
