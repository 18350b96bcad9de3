"""Forget photos whose files are gone (``clipdesk forget --missing``, the window's
"Forget missing photos…"): their records, tags and decisions leave the catalog.

A missing photo is kept by default because it may come back (an unplugged drive, a
renamed folder: it returns with its tags). Forgetting is therefore asked for, and even
then the photos of a folder that is not found at all (an unmounted drive) are kept unless
that folder, or a path in it, is named. A present photo is never forgotten, and no file
is ever touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.catalog import forgetting
from clipdesk.catalog.forgetting import MissingPhoto, TagsOn
from clipdesk.ops.changes import Change, changes, report
from clipdesk.ops.errors import OpError
from clipdesk.pathnames import lookup_forms, shown
from clipdesk.pipeline.library import Library
from clipdesk.pipeline.links import within
from clipdesk.tagging import corrections
from clipdesk.wording import plural


@dataclass(frozen=True)
class ForgetPlan:
    """What forgetting would do: the missing photos chosen, the folders not found that go
    with them (named ones), and the folders not found whose photos are kept (not named)."""

    photos: tuple[MissingPhoto, ...]
    tags: TagsOn
    folders: tuple[tuple[int, str], ...] = ()
    kept: tuple[tuple[str, int], ...] = ()  # (folder, missing photos kept in it)


@dataclass(frozen=True)
class Forgotten:
    """What forgetting did (or, in a dry run, would do)."""

    photos: int
    tags: TagsOn
    folders: tuple[str, ...] = ()
    kept: tuple[tuple[str, int], ...] = ()
    dry_run: bool = False
    paths: tuple[str, ...] = field(default=(), repr=False)  # the photos, in a dry run

    def lines(self) -> list[str]:
        """The summary, one line first, then the folders that went or were kept."""
        verb = "would forget" if self.dry_run else "forgot"
        if self.photos:
            after = "nothing was changed" if self.dry_run else "no file was touched"
            what = their_tags(self.tags)
            out = [f"{verb} {plural(self.photos, 'missing photo')} (with {what}); {after}"]
        else:
            out = ["no missing photos to forget"]
        out += [f"{verb} the folder {shown(f)} too (not found)" for f in self.folders]
        out += [
            f"kept {plural(n, 'missing photo')} of {shown(f)}, a folder not found "
            f"(unmounted?), for when it comes back; `clipdesk forget --missing {shown(f)}` "
            "forgets them"
            for f, n in self.kept
        ]
        return out


def their_tags(tags: TagsOn) -> str:
    """ "3 tags, 1 of them decided by you", in the words every summary uses."""
    if not tags.tags:
        return "no tags"
    mine = f", {tags.decisions:,} of them decided by you" if tags.decisions else ""
    return f"{plural(tags.tags, 'tag')}{mine}"


def _forms(path: str | Path) -> list[str]:
    """What a path the user gave may mean: as written (a link's own path, as an older
    release recorded photos under it) and resolved, for each of its lookup forms."""
    out = []
    for form in lookup_forms(path):
        p = Path(form).expanduser()
        out += [os.path.abspath(p), str(p.resolve())]
    return list(dict.fromkeys(out))


def plan_missing(
    lib: Library,
    paths: Iterable[str | Path] | None = None,
    folder_ids: Iterable[int] | None = None,
) -> ForgetPlan:
    """The missing photos under ``paths`` (files or folders in the library), or in
    ``folder_ids``, or, with neither, in every folder that is there; an OpError names a
    path that no added folder holds."""
    cat = lib.catalog
    folders = dict(cat.folders())
    absent = {i for i, root in folders.items() if not os.path.isdir(root)}
    missing = forgetting.missing_photos(cat, folder_ids)
    named: set[int] = set()  # folders named by the user: chosen even when not found
    roots: set[int] = set()  # folders named by their root: they go too when not found
    if paths is not None:
        wanted: list[str] = []
        for given in paths:
            forms = _forms(given)
            holders = {i for i, root in folders.items() for f in forms if within(f, root)}
            if not holders:
                raise OpError(
                    f"{shown(str(given))} is not in the library (no added folder holds it): "
                    "`clipdesk status` lists the folders"
                )
            named |= holders
            roots |= {i for i in holders if folders[i] in forms}
            wanted += forms
        missing = [p for p in missing if any(within(p.path, w) for w in wanted)]
    elif folder_ids is not None:
        named = roots = set(folder_ids)
    chosen = tuple(p for p in missing if p.folder_id not in absent or p.folder_id in named)
    kept: dict[int, int] = {}
    for p in missing:
        if p.folder_id in absent and p.folder_id not in named:
            kept[p.folder_id] = kept.get(p.folder_id, 0) + 1
    return ForgetPlan(
        chosen,
        forgetting.tags_on(cat, [p.id for p in chosen]),
        tuple((i, folders[i]) for i in sorted(roots & absent)),
        tuple((folders[i], n) for i, n in sorted(kept.items())),
    )


def forget(lib: Library, plan: ForgetPlan) -> Forgotten:
    """Forget the plan's photos that are still missing, and its folders once nothing but
    missing photos is left in them; their decided tags learn again without them."""
    cat = lib.catalog
    with cat.transaction():
        done = forgetting.forget_missing(cat, [p.id for p in plan.photos])
        gone = tuple(root for i, root in plan.folders if forgetting.forget_folder(cat, i))
        corrections.queue_learning(cat, done.tags.decided_tag_ids)
    thumbnails = lib.thumbnails
    for content_hash, _ in done.orphaned:
        thumbnails.discard(content_hash)
    if done.tags.tags:
        kinds = [Change.TAGS] + ([Change.CORRECTIONS] if done.tags.decisions else [])
        report(lib, changes(*kinds, photo_ids=done.photo_ids, tag_ids=done.tags.tag_ids))
    return Forgotten(len(done.photo_ids), done.tags, gone, plan.kept)


def forget_missing(
    lib: Library,
    paths: Iterable[str | Path] | None = None,
    folder_ids: Iterable[int] | None = None,
    dry_run: bool = False,
) -> Forgotten:
    """Forget the missing photos :func:`plan_missing` chooses (a dry run only says so)."""
    plan = plan_missing(lib, paths, folder_ids)
    if dry_run:
        return Forgotten(
            len(plan.photos),
            plan.tags,
            tuple(root for _, root in plan.folders),
            plan.kept,
            dry_run=True,
            paths=tuple(p.path for p in plan.photos),
        )
    return forget(lib, plan)
