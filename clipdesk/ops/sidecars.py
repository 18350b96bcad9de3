"""XMP sidecars: export the chosen tags, import keywords other programs wrote."""

from __future__ import annotations

from pathlib import Path

from clipdesk.library import Library
from clipdesk.sidecar_sync import ImportReport, export_library, import_keywords, photos_under
from clipdesk.xmp import ExportReport


def export(
    lib: Library,
    paths: list[str | Path] | None = None,
    naming: str | None = None,
    include_suggested: bool = False,
    dry_run: bool = False,
    progress=None,
    cancelled=None,
) -> ExportReport:
    """Write (or, in a dry run, list) each photo's tags into its sidecar.

    A naming chosen for a real export becomes the default; a dry run changes nothing.
    """
    naming = naming or lib.settings.sidecar_naming
    if not dry_run and naming != lib.settings.sidecar_naming:
        lib.settings.sidecar_naming = naming
        lib.settings.save(lib.paths.settings_file)
    return export_library(
        lib.catalog, paths, naming, include_suggested, dry_run, progress, cancelled
    )


def import_photo_keywords(lib: Library, paths: list[str | Path] | None = None) -> ImportReport:
    """Read keywords from sidecars and embedded metadata of these photos (default: all)."""
    photos = photos_under(lib.catalog, paths)
    return import_keywords(lib.catalog, photos, lib.settings.sidecar_naming)
