"""The sidecar commands: export and import-keywords."""

from __future__ import annotations

import argparse
import json
import sys

from clipdesk.pathnames import shown
from clipdesk.wording import plural

EXIT_OK, EXIT_FATAL = 0, 1


def add_parsers(sub, common) -> None:
    e = sub.add_parser(
        "export",
        parents=[common],
        help="write tags and marks (stars, colour labels, pick and reject flags) to XMP sidecars",
        description="Write each photo's confirmed tags, its marks and its named faces into its "
        "XMP sidecar, keeping everything other programs wrote. A sidecar is read again just "
        "before it is written: a change another program made since ClipDesk last read it is "
        "kept (the next `clipdesk index` reads it), and a mark changed on both sides is a "
        "conflict, left as it is (`clipdesk conflicts`). --dry-run says all of it.",
    )
    e.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders (default: all)")
    e.add_argument(
        "--naming",
        choices=("ext", "base"),
        default=None,
        help="ext: photo.jpg.xmp (darktable, digiKam; default); base: photo.xmp (Lightroom)",
    )
    e.add_argument(
        "--include-suggested",
        action="store_true",
        help="also write suggestions above their threshold",
    )
    e.add_argument(
        "--pair-raw",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with --naming base: a RAW+JPEG pair (photo.cr2, photo.jpg) is one photo with one "
        "sidecar, photo.xmp, holding both photos' tags (default: no; the JPEG gets "
        "photo.jpg.xmp). Remembered like --naming",
    )
    e.add_argument(
        "--force",
        action="store_true",
        help="replace read-only sidecars too (they keep their mode); links are never followed",
    )
    e.add_argument("--dry-run", action="store_true", help="list the changes, write nothing")
    e.add_argument("--json", action="store_true", help="print JSON")
    i = sub.add_parser(
        "import-keywords", parents=[common], help="read keywords from sidecars and photos as tags"
    )
    i.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders (default: all)")


def cmd_export(library, args) -> int:
    from clipdesk.ops import sidecars as sidecar_ops  # the XMP engine: only for sidecars

    options = sidecar_ops.ExportOptions(
        tuple(args.paths) if args.paths else None,
        args.naming,
        args.include_suggested,
        args.dry_run,
        force=args.force,
        pair_raw=args.pair_raw,
    )
    report = sidecar_ops.export(library, options)
    if args.json:
        print(
            json.dumps(
                {
                    "dry_run": report.dry_run,
                    "naming": report.naming,
                    "photos": [
                        {
                            "photo": shown(o.photo),
                            "sidecar": shown(o.sidecar) if o.sidecar else None,
                            "outcome": o.outcome,
                            "added": list(o.added),
                            "removed": list(o.removed),
                            "reason": o.reason or None,
                            "note": o.note or None,
                            "rating": o.rating or None,
                            "rating_note": o.rating_note or None,
                            "faces_added": list(o.regions.added),
                            "faces_removed": list(o.regions.removed),
                            "marks": list(o.sync.changes),
                            "sidecar_changes_kept": list(o.sync.withheld),
                            "conflicts": [
                                {
                                    "mark": c.mark,
                                    "clipdesk": c.clipdesk,
                                    "sidecar": c.file,
                                    "base": c.base,
                                }
                                for c in o.sync.conflicts
                            ],
                        }
                        for o in report.outcomes
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return _exit_status(sidecar_ops.not_written(report))
    for o in report.outcomes:
        for note in (o.note, o.rating_note):
            if note:
                print(f"note     {shown(o.photo)}: {shown(note)}", file=sys.stderr)
        if o.sync.withheld:
            print(
                f"note     {shown(o.photo)}: kept the sidecar's {' '.join(o.sync.withheld)} "
                "another program made (the next `clipdesk index` reads them)",
                file=sys.stderr,
            )
        for c in o.sync.conflicts:
            print(
                f"conflict {shown(o.photo)}: {c.describe()}: left as it is "
                "(`clipdesk conflicts` decides)",
                file=sys.stderr,
            )
        if o.outcome == "skipped":
            where = f" ({shown(o.sidecar)})" if o.sidecar and o.sidecar != o.photo else ""
            print(f"skipped  {shown(o.photo)}{where}: {shown(o.reason)}", file=sys.stderr)
        elif o.changes():
            changes = o.changes()
            if o.outcome == "removed":
                changes.append("(file removed: ClipDesk made it and it held nothing else)")
            print(f"{shown(o.sidecar)}: {' '.join(changes)}")
    print(report.summary())
    return _exit_status(sidecar_ops.not_written(report))


def _exit_status(refused) -> int:
    """1, with one line on stderr, when the disk refused sidecars (a full disk, a read-only
    folder): the export is not done, and a script must not take it for done."""
    if not refused:
        return EXIT_OK
    print(
        f"clipdesk: error: {plural(len(refused), 'sidecar')} could not be written "
        f"({shown(refused[0].reason)}): free some space or make the folders writable, then "
        "run `clipdesk export` again (the catalog records only the sidecars written)",
        file=sys.stderr,
    )
    return EXIT_FATAL


def cmd_import_keywords(library, args) -> int:
    from clipdesk.ops import sidecars as sidecar_ops

    report = sidecar_ops.import_photo_keywords(library, args.paths)
    for path, reason in report.errors:
        print(f"skipped  {shown(path)}: {shown(reason)}", file=sys.stderr)
    faces = f"; {plural(report.faces, 'face')} from face regions" if report.faces else ""
    print(
        f"{plural(report.keywords, 'keyword')} imported on {plural(report.photos, 'photo')}; "
        f"{plural(len(report.new_tags), 'new tag')}{faces}"
    )
    return EXIT_OK


COMMANDS = {"export": cmd_export, "import-keywords": cmd_import_keywords}
