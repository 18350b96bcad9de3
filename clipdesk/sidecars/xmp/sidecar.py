"""Plan and write the keywords (and the reject rating) of one photo's XMP sidecar.

Writes are read-modify-write (the read is :mod:`clipdesk.sidecars.xmp.sidecar_read`'s, under its
limits)
through exiv2 (every property ClipDesk does not manage survives); a sidecar exiv2 cannot
round-trip (it rejects the RDF, or would change a value) has only its keyword properties edited
in place by :mod:`clipdesk.sidecars.xmp.rdfedit`, every other byte kept (the new bytes, by either
engine, are :mod:`clipdesk.sidecars.xmp.sidecar_bytes`'s). One function, :func:`_prepare`,
computes the new bytes (or the reason to skip) for both :func:`plan_sidecar` (the dry run) and
:func:`update_sidecar`, so a dry run reports exactly what the run does. Writes are crash-safe
(temp file + fsync + ``os.replace``, see :mod:`clipdesk.sidecars.xmp.atomic`) and compare-and-swap:
the
sidecar is re-read just before the rename, and if another program changed it meanwhile the merge
starts again from the new content (a few times) instead of overwriting.
The photo itself is never opened for writing.

Besides keywords, a write may set the reject rating (``xmp:Rating`` -1) or remove it: it is
only ever added where the sidecar has no rating (a rating another program set is kept, and said
so), and only removed when the caller says ClipDesk wrote it (``rating="unreject"``). Both
engines do it; when the keyword editor cannot, the keywords are still written and the outcome
says "rating not written: ...".

And face regions: ``regions`` (a :class:`clipdesk.sidecars.xmp.region_edit.RegionRequest`) puts
ClipDesk's named faces in as MWG regions and takes out those it wrote before, every other
program's region kept (:mod:`clipdesk.sidecars.xmp.region_edit`). They are spliced into the
sidecar's bytes first; a change of keywords or rating is then made on that, by either engine.
A change of regions alone is a change, written byte for byte outside the regions.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from clipdesk.sidecars.xmp import atomic, guard, location, sidecar_bytes
from clipdesk.sidecars.xmp.errors import SidecarError
from clipdesk.sidecars.xmp.fields import Keywords, MergeResult, merge
from clipdesk.sidecars.xmp.naming import DEFAULT_NAMING, Naming, sidecar_path
from clipdesk.sidecars.xmp.rating import RatingPlan, RatingRequest, plan_rating, read_rating
from clipdesk.sidecars.xmp.region_edit import RegionRequest, RegionsPlan, plan_regions
from clipdesk.sidecars.xmp.sidecar_read import Fingerprint, read_bytes, read_keywords
from clipdesk.sidecars.xmp.sync_plan import SyncOutcome, SyncRequest, plan_sync

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SidecarPlan:
    """What writing would do (a dry run): paths added / removed, and whether bytes change."""

    photo: Path
    sidecar: Path
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: bool
    fingerprint: Fingerprint
    remove_file: bool = False  # tidy: the sidecar would hold nothing, so it would go
    new_bytes: bytes | None = None  # exactly what update_sidecar would write
    rating: Literal["", "rejected", "unrejected"] = ""  # the rating change it would make
    rating_after: str | None = None  # the sidecar's xmp:Rating afterwards
    rating_note: str = ""  # e.g. "kept the rating 4 another program set"
    regions: RegionsPlan = RegionsPlan()  # the face regions it would add and remove
    sync: SyncOutcome = SyncOutcome()  # the marks, and the other programs' changes
    location: dict[str, str] | None = None  # ClipDesk's location fields after (None: as before)

    @property
    def outcome(self) -> Literal["written", "unchanged", "removed"]:
        """What :func:`update_sidecar` would report (on the sidecar as it is now)."""
        if self.remove_file:
            return "removed"
        return "written" if self.changed else "unchanged"


@dataclass(frozen=True)
class SidecarWrite:
    """The result of :func:`update_sidecar`. ``reread`` is True when the sidecar had changed
    since ``expected`` or during the write, and the merge was redone on the new content."""

    photo: Path
    sidecar: Path
    outcome: Literal["written", "unchanged", "removed"]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    fingerprint: Fingerprint
    reread: bool = False
    created: bool = False  # the file did not exist: ClipDesk made it
    rating: Literal["", "rejected", "unrejected"] = ""  # the rating change made
    rating_after: str | None = None  # the sidecar's xmp:Rating afterwards
    rating_note: str = ""
    regions: RegionsPlan = RegionsPlan()  # ClipDesk's face regions in it now, what changed
    sync: SyncOutcome = SyncOutcome()  # the marks, and the other programs' changes
    location: dict[str, str] | None = None  # ClipDesk's location fields in it now (None: as
    # they were recorded: nothing written)


def _target(photo: Path, naming: Naming, force: bool = False) -> Path:
    target = sidecar_path(photo, naming)
    guard.check_target(photo, target, force=force)  # never a link, nor read-only unless forced
    if os.path.normcase(os.path.abspath(target)) == os.path.normcase(os.path.abspath(photo)):
        raise SidecarError(target, "the sidecar would be the photo itself")
    return target


@dataclass(frozen=True)
class _Prepared:
    """The sidecar as read now, the merge, and what writing would do: the new bytes, or
    removing the file (tidy), or nothing (unchanged). A skip is a raised SidecarError."""

    data: bytes | None
    fingerprint: Fingerprint
    result: MergeResult
    new: bytes | None
    remove_file: bool
    rating: RatingPlan
    regions: RegionsPlan
    sync: SyncOutcome = SyncOutcome()
    location: dict[str, str] | None = None

    @property
    def changed(self) -> bool:
        return self.remove_file or self.new is not None


def _prepare(
    target: Path,
    add: Iterable[str],
    remove: Iterable[str],
    digikam: bool,
    tidy: bool,
    extra: Mapping[str, str | list] | None = None,
    rating: RatingRequest = "",
    regions: RegionRequest | None = None,
    sync: SyncRequest | None = None,
    fill: Mapping[str, str] | None = None,
    filled: Mapping[str, str] | None = None,
) -> _Prepared:
    """The one planning step of both the dry run and the run. Raises SidecarError.

    ``fill``: the place's ``photoshop:City``, ``State``, ``Country``, written with ``extra``
    only where the sidecar has them empty; ``filled``: those ClipDesk wrote before, removed
    where the place no longer names them (:func:`location.plan`).

    With ``sync``, the marks and the keywords are planned three ways against the catalog's
    base on the sidecar as read here (:mod:`clipdesk.sidecars.xmp.sync_plan`): a change
    another program made since ClipDesk last read the sidecar is never written over."""
    data, fp = read_bytes(target)
    current = read_keywords(target, data)
    placed = None
    if fill or filled:
        changes, placed = location.plan(data, fill or {}, filled or {})
        extra = {**(extra or {}), **changes}
    if sync is None:
        rated = plan_rating(read_rating(target, data) if rating else None, rating)
        prep = _prepare_bytes(
            target, data, fp, current, add, remove, digikam, tidy, extra, rated, regions
        )
        return _located(prep, placed, filled)
    synced = plan_sync(sync, current, data, add, remove)
    rated = synced.rating or plan_rating(None, "")
    prep = _prepare_bytes(
        target, data, fp, current, synced.add, synced.remove, digikam, tidy, extra, rated, regions
    )
    after = None if prep.remove_file else (prep.new if prep.new is not None else data)
    outcome = synced.outcome(after, prep.result, prep.rating)
    return _located(replace(prep, result=synced.ours(prep.result), sync=outcome), placed, filled)


def _located(
    prep: _Prepared, placed: dict[str, str] | None, filled: Mapping[str, str] | None
) -> _Prepared:
    """``prep`` with ClipDesk's location fields as they will be after it is written (read
    back from its bytes: the keyword editor that stands in for exiv2 writes none), or None
    where nothing is written."""
    if placed is None or (prep.new is None and not prep.remove_file):
        return prep
    if prep.remove_file:
        return replace(prep, location={})
    now = location.read_location(prep.new)
    ours = {**(filled or {}), **placed}
    still = {k: v for k, v in ours.items() if now.get(k, "").casefold() == v.casefold()}
    return replace(prep, location=still)


def _prepare_bytes(
    target: Path,
    data: bytes | None,
    fp: Fingerprint,
    current: Keywords,
    add: Iterable[str],
    remove: Iterable[str],
    digikam: bool,
    tidy: bool,
    extra: Mapping[str, str | list] | None,
    rated: RatingPlan,
    regions: RegionRequest | None,
) -> _Prepared:
    result = merge(current, add, remove, digikam=digikam)
    faces = plan_regions(data, regions)
    base = faces.data if faces.changed else data  # the regions first, in the file's own bytes
    done = faces.without_data()
    if not result.changed and not rated.edit and not faces.changed:
        return _Prepared(data, fp, result, None, False, rated, done)
    if tidy and sidecar_bytes.would_be_empty(target, base, result.keywords, current, rated.edit):
        return _Prepared(data, fp, result, None, True, rated, done)
    if not result.changed and not rated.edit:  # the regions alone: every other byte kept
        return _Prepared(data, fp, result, base, False, rated, done)
    new, dropped = sidecar_bytes.new_bytes(
        target, base, result.keywords, current, extra, rated.edit
    )
    if dropped:
        rated = rated.dropped(dropped)
    if not result.changed and not rated.edit:  # only the rating, and it could not be written
        if faces.changed:
            return _Prepared(data, fp, result, base, False, rated, done)
        return _Prepared(data, fp, result, None, False, rated, done)
    return _Prepared(data, fp, result, new, False, rated, done)


def plan_sidecar(
    photo: Path,
    add: Iterable[str],
    remove: Iterable[str],
    *,
    naming: Naming = DEFAULT_NAMING,
    digikam: bool = True,
    tidy: bool = False,
    force: bool = False,
    rating: RatingRequest = "",
    regions: RegionRequest | None = None,
    sync: SyncRequest | None = None,
    fill: Mapping[str, str] | None = None,
    filled: Mapping[str, str] | None = None,
) -> SidecarPlan:
    """Dry run of :func:`update_sidecar`: what would change, without writing anything.

    Computed by the same step as the write (the new bytes included), so it raises the same
    :class:`SidecarError` for a sidecar the write would skip.
    """
    photo = Path(photo)
    target = _target(photo, naming, force)
    p = _prepare(
        target,
        list(add),
        list(remove),
        digikam,
        tidy,
        rating=rating,
        regions=regions,
        sync=sync,
        fill=fill,
        filled=filled,
    )
    r, rt = p.result, p.rating
    return SidecarPlan(
        photo,
        target,
        r.added,
        r.removed,
        p.changed,
        p.fingerprint,
        p.remove_file,
        p.new,
        rt.change,
        None if p.remove_file else rt.after,
        rt.note,
        _gone(p.regions) if p.remove_file else p.regions,
        p.sync,
        p.location,
    )


def _gone(regions: RegionsPlan) -> RegionsPlan:
    """The regions of a sidecar that is removed: none of ClipDesk's are left."""
    return RegionsPlan(removed=regions.removed)


def _write_error(target: Path, exc: OSError, creating: bool) -> SidecarError:
    if exc.errno == errno.ELOOP:
        return SidecarError(target, guard.LINK_REASON)
    if exc.errno == errno.EROFS or (creating and isinstance(exc, PermissionError)):
        return SidecarError(target, "folder is read-only")
    if exc.errno == errno.ENOSPC:
        return SidecarError(target, "disk is full")
    what = "write a file in its folder" if creating else "replace it"
    return SidecarError(target, f"cannot {what}: {exc.strerror or exc}")


def update_sidecar(
    photo: Path,
    add: Iterable[str],
    remove: Iterable[str],
    *,
    naming: Naming = DEFAULT_NAMING,
    digikam: bool = True,
    expected: Fingerprint | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    tidy: bool = False,
    force: bool = False,
    extra: Mapping[str, str] | None = None,
    rating: RatingRequest = "",
    regions: RegionRequest | None = None,
    claim: Callable[[RegionsPlan, bool], None] | None = None,
    sync: SyncRequest | None = None,
    fill: Mapping[str, str] | None = None,
    filled: Mapping[str, str] | None = None,
) -> SidecarWrite:
    """Add and remove tag paths in the sidecar of ``photo`` (named by ``naming``).

    ``add`` / ``remove`` are tag paths (``Animals|Dog``); only these are touched, following
    :func:`clipdesk.sidecars.xmp.fields.merge`. ``expected`` is the fingerprint the caller saw (from
    :func:`read_sidecar` or :func:`plan_sidecar`); the merge always runs on the sidecar as it is
    now, and ``reread`` in the result says it had changed. Nothing is written when the fields
    would not change (no sidecar is created for nothing to add).

    Raises :class:`SidecarError` (the sidecar is then byte-for-byte as it was) when it cannot be
    parsed, when exiv2 would lose a property, when the folder is read-only, or when another
    program kept changing it through ``max_attempts`` tries.

    ``tidy`` (for a sidecar ClipDesk created): when removing our keywords leaves exactly the
    empty document we would write, the file is removed instead ("removed").

    ``extra``: text properties written with a change of keywords or rating
    (``Xmp.photoshop.SidecarForExtension`` for a RAW+JPEG pair exported as one photo).
    ``fill``: the same, each only where the sidecar has it empty, and none where a value
    another program set there disagrees (the place's location fields); ``filled``: the
    location fields ClipDesk wrote before, removed where the place no longer names them and
    they still hold what ClipDesk wrote. ``location`` in the result: ClipDesk's location
    fields in the sidecar now (None: nothing was written).

    ``rating``: "reject" sets ``xmp:Rating`` -1 where the sidecar has no rating (another
    program's rating is kept, and ``rating_note`` says so); "unreject" removes a -1 (only ask
    for it when ClipDesk wrote that -1). A change of rating alone is a change: the sidecar is
    written (or created) for it.

    ``force``: replace a read-only sidecar (keeping its mode) instead of refusing it. A sidecar
    that is a link is always refused (:mod:`clipdesk.sidecars.xmp.guard`).

    ``regions``: the face regions to write and those ClipDesk wrote before (see the module
    docstring); ``regions`` in the result says which of ClipDesk's are there now.
    ``claim(regions, creating)`` is called just before the rename of a write that adds
    regions (``creating``: the sidecar is new), so the caller can record them ahead.
    """
    photo = Path(photo)
    add, remove = list(add), list(remove)
    target = _target(photo, naming, force)
    atomic.remove_stale_temps(target)
    reread = False
    for attempt in range(max(1, max_attempts)):
        if attempt:  # merging again: what is at the name now may be a link that appeared
            guard.check_target(photo, target, force=force)
        prep = _prepare(
            target, add, remove, digikam, tidy, extra, rating, regions, sync, fill, filled
        )
        data, fp, result, rt = prep.data, prep.fingerprint, prep.result, prep.rating
        if expected is not None and not fp.same_content(expected):
            reread = True
        if not prep.changed:
            return SidecarWrite(
                photo,
                target,
                "unchanged",
                (),
                (),
                fp,
                reread,
                rating_after=rt.before,
                rating_note=rt.note,
                regions=prep.regions,
                sync=_seen(prep.sync, fp),
            )
        if prep.remove_file:
            try:
                if read_bytes(target)[1].same_content(fp):
                    os.remove(target)
                    atomic.fsync_dir(target.parent)
                    return SidecarWrite(
                        photo,
                        target,
                        "removed",
                        (),
                        result.removed,
                        Fingerprint.of(None, None),
                        rating=rt.change,
                        regions=_gone(prep.regions),
                        sync=_seen(prep.sync, Fingerprint.of(None, None)),
                        location=prep.location,
                    )
            except OSError as exc:
                raise _write_error(target, exc, creating=False) from exc
            reread, expected = True, None  # changed meanwhile: merge again
            continue
        new = prep.new
        assert new is not None
        mode = None
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode) if data is not None else None
            tmp = atomic.write_temp(target, new, mode)
        except OSError as exc:
            raise _write_error(target, exc, creating=True) from exc
        try:
            if not read_bytes(target)[1].same_content(fp):
                reread = True  # changed while we merged: merge again on the new content
                expected = None
                continue
            if claim is not None and prep.regions.added:
                claim(prep.regions, data is None)
            if not atomic.install(tmp, target, new=data is None):
                reread, expected = True, None  # a file or link appeared, or it went: again
                continue
            atomic.note_written(target.parent)
            atomic.fsync_dir(target.parent)
        except OSError as exc:
            raise _write_error(target, exc, creating=False) from exc
        finally:
            tmp.unlink(missing_ok=True)
        try:
            written = Fingerprint.of(new, os.stat(target))
        except OSError:  # gone again already: still written, the mtime is unknown
            written = Fingerprint(0, len(new), hashlib.sha256(new).hexdigest())
        return SidecarWrite(
            photo,
            target,
            "written",
            result.added,
            result.removed,
            written,
            reread,
            data is None,
            rt.change,
            rt.after,
            rt.note,
            prep.regions,
            _seen(prep.sync, written),
            prep.location,
        )
    raise SidecarError(target, f"another program kept changing it ({max_attempts} attempts)")


def _seen(sync: SyncOutcome, fp: Fingerprint) -> SyncOutcome:
    """The sync outcome with the fingerprint of the sidecar as it now is."""
    if sync.state is None:
        return sync
    return replace(sync, state=replace(sync.state, fingerprint=fp))
