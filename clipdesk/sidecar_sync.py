"""Between the catalog and XMP sidecars: export tags, import existing keywords.

Export writes a photo's confirmed tags (and, if asked, its suggestions above their
threshold) and removes only keywords ClipDesk manages: ones it exported before
that are no longer wanted, and ones the user rejected in ClipDesk. A keyword
another program wrote stays. Import turns keywords found in sidecars and in the
photos' embedded XMP/IPTC into ``imported`` tags, never overriding a decision.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.catalog import Catalog
from clipdesk.pathnames import lookup_forms
from clipdesk.tagging.store import TagStore
from clipdesk.xmp import ExportReport, PhotoOutcome, export_sidecars, read_photo_keywords


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


def _plan_photo(
    store: TagStore, photo_id: int, paths: dict[int, str], include_suggested: bool
) -> tuple[set[str], set[str], bool]:
    """(tags to write, tags to remove, whether ClipDesk created the sidecar)."""
    desired, rejected = set(), set()
    for tag_id, state, score, threshold in store.states_on(photo_id):
        if state == "confirmed" or (
            include_suggested and state == "suggested" and (score or 0) >= threshold
        ):
            desired.add(paths[tag_id])
        elif state == "rejected":
            rejected.add(paths[tag_id])
    before, created = store.catalog.export_record(photo_id)
    return desired, (before - desired) | rejected, created


def export_library(
    catalog: Catalog,
    paths: list[str | Path] | None = None,
    naming: str = "ext",
    include_suggested: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int | None, PhotoOutcome], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ExportReport:
    store = TagStore(catalog)
    tag_paths = store.paths()
    photos = photos_under(catalog, paths)
    plan = {}
    items = []
    for photo_id, path in photos:
        desired, remove, created = _plan_photo(store, photo_id, tag_paths, include_suggested)
        if not desired and not remove:
            continue  # nothing of ours to say: no sidecar is created
        plan[path] = (photo_id, desired, created)
        items.append((Path(path), desired, remove, created and not desired))
    report = export_sidecars(
        items, naming=naming, dry_run=dry_run, progress=progress, cancelled=cancelled
    )
    if not dry_run:
        with catalog.transaction():
            for outcome in report.outcomes:
                if outcome.outcome == "skipped":
                    continue
                photo_id, desired, created = plan[str(outcome.photo)]
                if outcome.outcome == "removed":  # ours, and empty: gone, so nothing to remember
                    catalog.forget_export(photo_id)
                else:
                    catalog.record_export(photo_id, desired, created or outcome.created)
    return report


@dataclass
class ImportReport:
    photos: int = 0
    keywords: int = 0
    new_tags: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def import_keywords(
    catalog: Catalog, photos: list[tuple[int, str]], naming: str = "ext"
) -> ImportReport:
    """Keywords from sidecars and embedded metadata become confirmed ``imported`` tags.

    Tags first seen here are created disabled: the user's own keywords ("Rome 2019") are
    shown and filterable, but not suggested on other photos until the user enables them.
    """
    report = ImportReport()
    store = TagStore(catalog)
    known_ids = {t.id for t in store.all()}
    now = time.time()
    found = []
    for photo_id, path in photos:
        kw = read_photo_keywords(Path(path), prefer=naming)
        report.errors.extend((path, e) for e in kw.errors)
        if kw.paths:
            found.append((photo_id, kw.paths))
    with catalog.transaction():
        for photo_id, paths in found:
            report.photos += 1
            for tag_path in sorted(paths):
                report.keywords += store.mark_imported(photo_id, store.ensure(tag_path), now)
        for tag in store.all():  # new tags and any new parents they brought
            if tag.id not in known_ids:
                store.update(tag.id, enabled=False)
                report.new_tags.append(tag.path)
        catalog.mark_keywords_read(photo_id for photo_id, _ in photos)
    return report
