"""``clipdesk conflicts``: the marks changed both in ClipDesk and in a photo's sidecar since
ClipDesk last read or wrote it, and the user's decision on them (:mod:`clipdesk.ops.conflicts`)."""

from __future__ import annotations

import json
import sys

from clipdesk.pathnames import shown
from clipdesk.wording import plural

EXIT_OK, EXIT_USAGE = 0, 2


def add_parsers(sub, common) -> None:
    c = sub.add_parser(
        "conflicts",
        parents=[common],
        help="sidecar conflicts: marks changed both here and in another program; decide them",
        description="List the photos whose stars, colour label or flag changed both in "
        "ClipDesk and in their sidecar (another program) since ClipDesk last read or wrote it, "
        "to different values: neither `clipdesk export` nor `clipdesk index` writes over "
        "them. Decide with --take-file (the sidecar's values become the photo's; `clipdesk "
        "undo` takes it back) or --keep-clipdesk (ClipDesk's stay; the next `clipdesk export` "
        "writes them), for the photos given or --all.",
    )
    decide = c.add_mutually_exclusive_group()
    decide.add_argument(
        "--take-file",
        nargs="*",
        metavar="PHOTO",
        help="take the sidecar's values for these photos (or --all)",
    )
    decide.add_argument(
        "--keep-clipdesk",
        nargs="*",
        metavar="PHOTO",
        help="keep ClipDesk's values for these photos (or --all); export writes them",
    )
    c.add_argument("--all", action="store_true", help="every photo in conflict")
    c.add_argument("--json", action="store_true", help="print JSON")


def _usage(text: str) -> int:
    print(f"clipdesk conflicts: error: {text}", file=sys.stderr)
    return EXIT_USAGE


def cmd_conflicts(library, args) -> int:
    from clipdesk.ops import conflicts as conflict_ops

    photos = args.take_file if args.take_file is not None else args.keep_clipdesk
    if photos is None:
        if args.all:
            return _usage("--all goes with --take-file or --keep-clipdesk")
        found = conflict_ops.conflicts(library)
        if args.json:
            print(json.dumps([c.to_json() for c in found], ensure_ascii=False, indent=1))
            return EXIT_OK
        for c in found:
            print(f"{shown(c.path)}: {c.describe()}")
        count = len({c.photo_id for c in found})
        if count:
            print(
                f"{plural(count, 'photo')} with sidecar conflicts: decide with "
                "`clipdesk conflicts --take-file PHOTO...` or `--keep-clipdesk PHOTO...` "
                "(or --all)"
            )
        else:
            print("no sidecar conflicts")
        return EXIT_OK
    if bool(photos) == args.all:
        return _usage("give the photos, or --all (not both)")
    take = args.take_file is not None
    done = conflict_ops.resolve_paths(library, photos or None, take)
    decided = len(done.photo_ids)
    if args.json:
        print(json.dumps({"decided": decided, "took": "sidecar" if take else "clipdesk"}))
        return EXIT_OK
    if not decided:
        print("no sidecar conflicts on those photos")
    elif take:
        print(
            f"took the sidecar's marks on {plural(decided, 'photo')} "
            "(`clipdesk undo` takes it back)"
        )
    else:
        print(
            f"kept ClipDesk's marks on {plural(decided, 'photo')}: the next `clipdesk export` "
            "writes them into the sidecars"
        )
    return EXIT_OK


COMMANDS = {"conflicts": cmd_conflicts}
