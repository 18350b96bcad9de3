"""Keywords other programs wrote (sidecars, the photos' embedded XMP/IPTC) become tags.

A keyword is text from a file, taken by the rules of a typed tag name
(:func:`clipdesk.tagging.vocabulary.check_name`): one with a control character (a line
break, a tab, a direction override) or longer than a name may be is not imported, and the
photo's problem says which and why. A flat keyword is one name as written (``a||b`` is not
``a`` > ``b``). A photo bringing more than :data:`MAX_KEYWORDS` has none imported, with a
problem saying so.

The work is linear in the keywords (the tag tree is matched in memory, read once) and is
written in short transactions of whole photos, each photo's tags with its "keywords read"
mark, so another writer (``clipdesk tag``, the window) waits for one of them at most, a
run stopped (``cancel``, Ctrl-C, a kill) keeps what it wrote, and the next run reads the
rest.

Face regions come in with the keywords, in the same transaction
(:func:`clipdesk.people.imports.import_regions`): MWG and Microsoft regions of the sidecar and
of the embedded XMP, turned to the photo as displayed (:mod:`clipdesk.sidecars.xmp.regions`),
each face once. A named region is a confirmed face of ``People|Name``, which the photo then
carries; an unnamed one a face to group. A region that cannot be used (no area, numbers that
are not, a name no tag may have) is skipped, and the photo's problem says why; regions
ClipDesk itself wrote into the sidecar (the export record) are not read back as new faces.
A photo bringing more than :data:`MAX_REGIONS` has none imported.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.catalog import Catalog
from clipdesk.pathnames import to_db
from clipdesk.people import photo_tags
from clipdesk.people.imports import PEOPLE, import_regions
from clipdesk.progress import Cancel
from clipdesk.sidecars.xmp import PhotoKeywords, read_photo_keywords
from clipdesk.sidecars.xmp.errors import SidecarError
from clipdesk.sidecars.xmp.fields import Keywords
from clipdesk.sidecars.xmp.ownership import Siblings
from clipdesk.sidecars.xmp.region_edit import Written
from clipdesk.sidecars.xmp.region_geometry import Box
from clipdesk.sidecars.xmp.regions import FoundRegion, RegionsRead, shown_faces, summary
from clipdesk.sidecars.xmp.sidecar_read import read_sidecar
from clipdesk.tagging.store import TagStore, TagTree
from clipdesk.tagging.vocabulary import VocabularyError, check_name

# A person's keywords on one photo are tens, a few hundred with Lightroom's parents and
# synonyms; each new tag costs its prompts' encoding at the next index. Thousands on one
# photo are a tool's dump: reported, not imported.
MAX_KEYWORDS = 1_000
# A write transaction takes whole photos until this many keywords (or BATCH_PHOTOS photos):
# a few milliseconds of another writer's wait.
BATCH_KEYWORDS = 2_000
BATCH_PHOTOS = 256
# A group photo has tens of faces; thousands of regions on one photo are a tool's dump.
MAX_REGIONS = 500


@dataclass
class ImportReport:
    photos: int = 0
    keywords: int = 0
    new_tags: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False  # stopped by ``cancel``: the photos not reached are still unread
    faces: int = 0  # faces added or named from face regions


@dataclass
class _Photo:
    """One photo's keywords (and face regions) as read, checked: the tags to give it, the
    faces (name or None, box on the photo as displayed), the problems met."""

    photo_id: int
    tags: list[list[str]]
    problems: list[str]
    faces: list[tuple[str | None, Box]] = field(default_factory=list)
    read: PhotoKeywords | None = None  # as read: the two-way sync records its sidecar


def checked_keywords(keywords: Keywords) -> tuple[list[list[str]], list[str]]:
    """The tags these keyword fields name, each as its checked levels, and the one-line
    problems of those refused (none when all are fine)."""
    found = keywords.tag_levels()
    if len(found) > MAX_KEYWORDS:
        return [], [
            f"{len(found):,} keywords, more than the {MAX_KEYWORDS:,} one photo may bring "
            "(the limit): none imported"
        ]
    tags, refused = [], []
    for levels in sorted(found):
        try:
            if len(levels) == 1:  # a flat keyword (or a one-level path): '|' is text in it
                tags.append([check_name(levels[0], flat=True)])
            else:
                tags.append([check_name(level) for level in levels])
        except VocabularyError as exc:
            refused.append(str(exc))
    if not refused:
        return tags, []
    more = f" (and {len(refused) - 1:,} more)" if len(refused) > 1 else ""
    return tags, [f"{len(refused):,} keywords not imported: {refused[0]}{more}"]


def import_keywords(
    catalog: Catalog,
    photos: list[tuple[int, str]],
    naming: str = "ext",
    pair_raw: bool = False,
    cancel: Cancel | None = None,
) -> ImportReport:
    """Keywords from sidecars and embedded metadata become confirmed ``imported`` tags.

    A ``photo.xmp`` is read only for the file it belongs to (:mod:`clipdesk.sidecars.xmp.ownership`,
    the rule export follows): not a JPEG's when its RAW sibling owns it. With base naming and
    ``pair_raw`` (a RAW+JPEG pair is one photo, as export treats it), the other photos of the
    pair also get the keywords of the owner's ``photo.xmp``.

    Tags first seen here are created disabled: the user's own keywords ("Rome 2019") are
    shown and filterable, but not suggested on other photos until the user enables them.

    Precedence (a photo with embedded keywords and a sidecar): the keywords are the union of
    both, as Lightroom Classic and darktable do on import; see ``docs/xmp.md``. A sidecar or
    embedded block that cannot be read, or a keyword refused (module docstring), costs only
    its own keywords: the rest is still read, the reason is recorded per photo (``clipdesk
    status`` lists it), and the run goes on. ``cancel`` set: the run stops before the next
    photo (within one photo's read), keeping what it wrote.
    """
    report = ImportReport()
    store = TagStore(catalog)
    tree: TagTree | None = None  # read once, when the first keyword is to be written
    created: list[int] = []
    now = time.time()
    siblings = Siblings()
    pairs = _PairedSidecars(catalog, siblings) if pair_raw and naming == "base" else None
    batch: list[_Photo] = []
    keywords = 0
    for photo_id, path in photos:
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        read = _read(catalog, photo_id, path, naming, siblings, pairs)
        report.errors.extend((path, e) for e in read.problems)
        batch.append(read)
        keywords += len(read.tags) + len(read.faces)
        if keywords >= BATCH_KEYWORDS or len(batch) >= BATCH_PHOTOS:
            tree = _write(store, tree, batch, now, report, created)
            batch, keywords = [], 0
    if batch:
        _write(store, tree, batch, now, report, created)
    if created:
        paths = store.paths()
        report.new_tags = [paths[i] for i in created if i in paths]
    return report


def _read(
    catalog: Catalog,
    photo_id: int,
    path: str,
    naming: str,
    siblings: Siblings,
    pairs: _PairedSidecars | None,
) -> _Photo:
    """One photo's keywords and face regions, read outside any transaction."""
    kw = read_photo_keywords(Path(path), prefer=naming, siblings=siblings)
    errors, fields = list(kw.errors), kw.keywords
    if pairs is not None:
        try:
            shared = pairs.keywords(path)
        except SidecarError as exc:
            errors.append(str(exc))
        else:  # read with the photo's own fields as one set
            own = kw.sidecar.keywords if kw.sidecar else None
            fields = Keywords.joined(own, kw.embedded, shared) if shared else fields
    tags, refused = checked_keywords(fields)
    reads = [r for r in (kw.sidecar.regions if kw.sidecar else None, kw.embedded_regions) if r]
    faces, troubles = checked_regions(catalog, photo_id, reads) if reads else ([], [])
    return _Photo(photo_id, tags, errors + refused + troubles, faces, kw)


def checked_regions(
    catalog: Catalog, photo_id: int, reads: list[RegionsRead]
) -> tuple[list[tuple[str | None, Box]], list[str]]:
    """The faces these regions give (the name checked like a typed tag name, the box on the
    photo as displayed), and one line for those refused (none when all are fine)."""
    problems = [p for r in reads for p in r.problems]
    photo = catalog.photo(photo_id)
    orientation = (photo.orientation or 1) if photo else 1
    ours = [Written.from_json(r) for r in catalog.export_regions(photo_id)[0]]

    def written_by_clipdesk(r: FoundRegion) -> bool:
        return r.area is not None and any(w.same(Written(r.name or "", r.area)) for w in ours)

    found = shown_faces(
        reads,
        orientation,
        photo.width if photo else None,
        photo.height if photo else None,
        written_by_clipdesk,
    )
    if len(found) > MAX_REGIONS:
        return [], [
            f"{len(found):,} face regions, more than the {MAX_REGIONS:,} one photo may bring "
            "(the limit): none imported"
        ]
    faces: list[tuple[str | None, Box]] = []
    for r in found:
        name = None
        if r.name is not None and r.name.strip():
            try:
                name = check_name(" ".join(r.name.split()))
            except VocabularyError as exc:
                problems.append(f"{r.source} region: {exc}")
                continue
        faces.append((name, r.box))
    line = summary(problems)
    return faces, [line] if line else []


def _write(
    store: TagStore,
    tree: TagTree | None,
    batch: list[_Photo],
    now: float,
    report: ImportReport,
    created: list[int],
) -> TagTree | None:
    """One short transaction: these photos' tags, their "keywords read" marks and problems."""
    if tree is None and any(p.tags or p.faces for p in batch):
        tree = TagTree(store)  # the whole tree, read before the transaction
    catalog = store.catalog
    synced = _first_reads(catalog, batch)  # the marks first, in their own transaction
    with catalog.transaction():
        if tree is not None:
            tree.fresh()  # another process may have changed the tags since (then: re-read)
        for p in batch:
            if p.tags:
                assert tree is not None
                ids = []
                for levels in p.tags:
                    tag_id, new = tree.resolve(levels, create=True, enabled=False)
                    assert tag_id is not None
                    ids.append(tag_id)
                    created.extend(new)
                report.photos += 1
                report.keywords += store.mark_imported(p.photo_id, ids, now)
            if p.faces:
                assert tree is not None
                for name in sorted({n for n, _ in p.faces if n}):
                    # made here, so the tree (which matches the next photos' keywords) has it
                    created.extend(tree.resolve([PEOPLE, name], create=True, enabled=False)[1])
                added = import_regions(catalog, p.photo_id, p.faces)
                if added:
                    report.faces += added
                    photo_tags.sync(catalog, [p.photo_id])  # People|Name on the photo
        done = [p.photo_id for p in batch]
        catalog.mark_keywords_read(done)
        problems = {p.photo_id: [to_db(e) for e in p.problems] for p in batch if p.problems}
        catalog.record_keyword_problems(done, problems)
        synced.record(catalog)
    return tree


def _first_reads(catalog: Catalog, batch: list[_Photo]):
    """The two-way sync's part: the marks these sidecars (and photos) bring, and the records
    of the sidecars as read, to write with the keywords (:mod:`clipdesk.sidecars.resync`)."""
    from clipdesk.sidecars.resync import first_reads

    reads = [(p.photo_id, p.read) for p in batch if p.read is not None]
    return first_reads(
        catalog,
        [(i, r.sidecar, r.embedded_marks) for i, r in reads if not r.sidecar_failed],
    )


class _PairedSidecars:
    """With pairing, the keywords a photo gets from the ``photo.xmp`` its pair's owner (the
    RAW) has: the pairs :func:`clipdesk.sidecars.sync.export_library` merges into one sidecar
    (the owner must be a photo of the library, as there)."""

    def __init__(self, catalog: Catalog, siblings: Siblings) -> None:
        self.catalog, self.siblings = catalog, siblings
        self._present: set[str] | None = None
        self._read: dict[str, Keywords] = {}

    def keywords(self, path: str) -> Keywords | None:
        """The keywords of the shared sidecar ``path`` is paired into (None: none). Raises
        SidecarError when that sidecar cannot be read."""
        folder, name = os.path.split(path)
        owner = self.siblings.owner(path)
        if owner is None or owner == name or len(self.siblings.of(path)) < 2:
            return None
        if self._present is None:  # only once a pair is met
            self._present = {p for _, p in self.catalog.present_photos()}
        sidecar = self.siblings.base_sidecar(path)
        if os.path.join(folder, owner) not in self._present or sidecar is None:
            return None
        if sidecar not in self._read:
            self._read[sidecar] = read_sidecar(Path(sidecar)).keywords
        return self._read[sidecar]
