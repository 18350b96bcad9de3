"""XMP sidecars: export the chosen tags, import keywords other programs wrote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipdesk.ops.errors import OpError
from clipdesk.pathnames import shown
from clipdesk.pipeline.library import Library
from clipdesk.sidecars.sync import (
    ImportReport,
    export_library,
    import_keywords,
    outside_library,
    photos_under,
)
from clipdesk.sidecars.xmp import ExportReport, PhotoOutcome


def _check_inside(lib: Library, paths: list[str | Path] | None) -> None:
    """A path that names no photo of the library is a mistake worth saying, not "wrote 0"."""
    outside = outside_library(lib.catalog, paths)
    if outside:
        raise OpError(
            f"{shown(outside[0])} is not in the library (no indexed photo is there): "
            "add its folder with `clipdesk add`, or give a photo or folder inside it"
        )


@dataclass(frozen=True)
class ExportOptions:
    """What an export writes, the same from the terminal and the window.

    ``paths``: photos or folders (None: the whole library); ``naming``: "ext" or "base"
    (None: the saved choice); ``pair_raw``: a RAW+JPEG pair shares the RAW's sidecar (None:
    the saved choice); ``force``: replace read-only sidecars (keeping their mode).
    """

    paths: tuple[str | Path, ...] | None = None
    naming: str | None = None
    include_suggested: bool = False
    dry_run: bool = False
    force: bool = False
    pair_raw: bool | None = None


def export(
    lib: Library,
    options: ExportOptions = ExportOptions(),
    progress=None,
    cancelled=None,
) -> ExportReport:
    """Write (or, in a dry run, list) each photo's tags into its sidecar.

    A naming (or RAW+JPEG pairing) chosen for a real export becomes the default; a dry run
    changes nothing.
    """
    paths = list(options.paths) if options.paths is not None else None
    _check_inside(lib, paths)
    s = lib.settings
    naming = options.naming or s.sidecar_naming
    pair_raw = s.sidecar_pair_raw if options.pair_raw is None else options.pair_raw
    if not options.dry_run and (naming, pair_raw) != (s.sidecar_naming, s.sidecar_pair_raw):
        s.sidecar_naming, s.sidecar_pair_raw = naming, pair_raw
        s.save(lib.paths.settings_file)
    return export_library(
        lib.catalog,
        paths,
        naming,
        options.include_suggested,
        options.dry_run,
        progress,
        cancelled,
        force=options.force,
        pair_raw=pair_raw,
    )


# The reasons a sidecar was not written that the file system gave (not ClipDesk's own
# refusals: a link, a read-only sidecar without --force, a sidecar it cannot merge safely).
DISK_REASONS = (
    "disk is full",
    "folder is read-only",
    "cannot write a file in its folder",
    "cannot replace it",
    "No space left on device",
    "Read-only file system",
    "Input/output error",
)


def not_written(report: ExportReport) -> list[PhotoOutcome]:
    """The photos whose sidecar the disk refused to take: an export that leaves any is not
    done (the command's exit status is 1), whatever the rest wrote."""
    return [
        o
        for o in report.skipped
        if not report.dry_run and any(o.reason.startswith(r) for r in DISK_REASONS)
    ]


def import_photo_keywords(lib: Library, paths: list[str | Path] | None = None) -> ImportReport:
    """Read keywords from sidecars and embedded metadata of these photos (default: all)."""
    _check_inside(lib, paths)
    photos = photos_under(lib.catalog, paths)
    s = lib.settings
    return import_keywords(lib.catalog, photos, s.sidecar_naming, s.sidecar_pair_raw)
