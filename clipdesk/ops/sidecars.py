"""XMP sidecars: export the chosen tags, import keywords other programs wrote."""

from __future__ import annotations

from pathlib import Path

from clipdesk.library import Library
from clipdesk.ops.errors import OpError
from clipdesk.pathnames import shown
from clipdesk.sidecar_sync import (
    ImportReport,
    export_library,
    import_keywords,
    outside_library,
    photos_under,
)
from clipdesk.xmp import ExportReport


def _check_inside(lib: Library, paths: list[str | Path] | None) -> None:
    """A path that names no photo of the library is a mistake worth saying, not "wrote 0"."""
    outside = outside_library(lib.catalog, paths)
    if outside:
        raise OpError(
            f"{shown(outside[0])} is not in the library (no indexed photo is there): "
            "add its folder with `clipdesk add`, or give a photo or folder inside it"
        )


def export(
    lib: Library,
    paths: list[str | Path] | None = None,
    naming: str | None = None,
    include_suggested: bool = False,
    dry_run: bool = False,
    progress=None,
    cancelled=None,
    force: bool = False,
    pair_raw: bool | None = None,
) -> ExportReport:
    """Write (or, in a dry run, list) each photo's tags into its sidecar.

    A naming (or RAW+JPEG pairing) chosen for a real export becomes the default; a dry run
    changes nothing. ``force`` replaces read-only sidecars (keeping their mode).
    """
    _check_inside(lib, paths)
    naming = naming or lib.settings.sidecar_naming
    pair_raw = lib.settings.sidecar_pair_raw if pair_raw is None else pair_raw
    s = lib.settings
    if not dry_run and (naming, pair_raw) != (s.sidecar_naming, s.sidecar_pair_raw):
        s.sidecar_naming, s.sidecar_pair_raw = naming, pair_raw
        s.save(lib.paths.settings_file)
    return export_library(
        lib.catalog,
        paths,
        naming,
        include_suggested,
        dry_run,
        progress,
        cancelled,
        force=force,
        pair_raw=pair_raw,
    )


def import_photo_keywords(lib: Library, paths: list[str | Path] | None = None) -> ImportReport:
    """Read keywords from sidecars and embedded metadata of these photos (default: all)."""
    _check_inside(lib, paths)
    photos = photos_under(lib.catalog, paths)
    s = lib.settings
    return import_keywords(lib.catalog, photos, s.sidecar_naming, s.sidecar_pair_raw)
