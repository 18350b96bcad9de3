"""Export tags to the sidecars of many photos, or plan it (dry run). No Qt: progress is a
plain callback, called after each photo from the calling thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from clipdesk.xmp.errors import SidecarError
from clipdesk.xmp.naming import DEFAULT_NAMING, Naming, check_naming, sidecar_path
from clipdesk.xmp.sidecar import plan_sidecar, update_sidecar

Outcome = Literal["written", "unchanged", "skipped", "removed"]
# (photo, add, remove) or (photo, add, remove, tidy): tidy for a sidecar ClipDesk created,
# which is removed when it would hold nothing.
ExportRow = tuple


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
            text += f"; {gone} {self.removed_files} empty sidecar(s) that ClipDesk had created"
        if self.unchanged:
            text += " (unchanged: the sidecar already holds exactly these keywords)"
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
) -> PhotoOutcome:
    """Export (or plan) one photo; a failure becomes a ``skipped`` outcome, never an exception
    (except programming errors)."""
    photo = Path(photo)
    if not photo.is_file():
        return PhotoOutcome(photo, None, "skipped", reason="photo not found")
    try:
        if dry_run:
            plan = plan_sidecar(photo, add, remove, naming=naming, digikam=digikam, tidy=tidy)
            outcome: Outcome = (
                "removed" if plan.remove_file else "written" if plan.changed else "unchanged"
            )
            return PhotoOutcome(photo, plan.sidecar, outcome, plan.added, plan.removed)
        done = update_sidecar(photo, add, remove, naming=naming, digikam=digikam, tidy=tidy)
        return PhotoOutcome(
            photo, done.sidecar, done.outcome, done.added, done.removed, created=done.created
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
) -> ExportReport:
    """Write (or with ``dry_run`` only compute) keyword changes for many photos.

    ``items`` yields ``(photo_path, add, remove)`` with tag-path sets. ``progress(done, total,
    outcome)`` is called after each photo (``total`` is None when ``items`` has no length).
    ``cancelled()`` is polled before each photo; when it returns True the export stops and the
    report says so. A bad sidecar or a read-only folder skips that photo, never the run.
    """
    naming = check_naming(naming)
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    report = ExportReport(dry_run=dry_run, naming=naming)
    for done, (photo, add, remove, *tidy) in enumerate(items, 1):
        if cancelled is not None and cancelled():
            report.cancelled = True
            break
        try:
            result = export_one(
                Path(photo),
                add,
                remove,
                naming=naming,
                dry_run=dry_run,
                digikam=digikam,
                tidy=bool(tidy and tidy[0]),
            )
        except OSError as exc:  # e.g. a drive unmounted mid-run
            target = sidecar_path(Path(photo), naming)
            result = PhotoOutcome(Path(photo), target, "skipped", reason=str(exc.strerror or exc))
        report.outcomes.append(result)
        if progress is not None:
            progress(done, total, result)
    return report
