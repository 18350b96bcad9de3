"""Repair a damaged catalog, when the user asks for it (`clipdesk repair`)."""

from __future__ import annotations

from clipdesk.catalog.repair import RepairReport, repair
from clipdesk.ops.errors import OpError
from clipdesk.pipeline.library import Library


def repair_catalog(lib: Library) -> RepairReport:
    """Back the catalog up and rebuild it from what SQLite can still read; the next index
    run finds the photos and re-embeds what was lost. A healthy catalog is left as it is
    (``report.healthy``); while another process has it open, nothing is done
    (``CatalogInUse``, one line)."""
    lib.close()  # never through an open connection
    path = lib.paths.catalog
    if not path.exists():
        raise OpError(f"there is no catalog at {path}: nothing to repair")
    return repair(path)
