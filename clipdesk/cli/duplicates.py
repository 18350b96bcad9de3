"""``clipdesk duplicates``: groups of near-duplicate photos and bursts."""

from __future__ import annotations

import json

from clipdesk.cli.args import number
from clipdesk.pathnames import shown
from clipdesk.search.duplicates import LAYOUT_THRESHOLD, THRESHOLD

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    d = sub.add_parser(
        "duplicates",
        parents=[common],
        help="groups of near-duplicate photos (copies, edits, bursts)",
        description="Photos whose embeddings are at least THRESHOLD alike and whose "
        "thumbnails have the same layout form a group; the first photo of each group "
        "(most pixels, then largest file, then sharpest) is the suggested keeper, marked *.",
    )
    d.add_argument(
        "--threshold",
        type=number(0, 1, above=True),
        default=THRESHOLD,
        help=f"embedding cosine for a candidate pair (default {THRESHOLD}; lower finds more)",
    )
    d.add_argument(
        "--layout",
        type=number(0, 1, above=True),
        default=LAYOUT_THRESHOLD,
        help=f"thumbnail layout similarity that confirms a pair (default {LAYOUT_THRESHOLD})",
    )
    d.add_argument(
        "--no-layout",
        action="store_true",
        help="group on the embeddings alone (finds the same scene from other angles too)",
    )
    d.add_argument(
        "--within",
        type=number(0),
        metavar="SECONDS",
        help="bursts: only photos taken at most this far apart (EXIF DateTimeOriginal)",
    )
    d.add_argument(
        "--reject-copies",
        action="store_true",
        help="flag every photo but each group's keeper as rejected (a flag in the "
        "catalog, which `clipdesk export` writes to the sidecar as xmp:Rating -1; no file is "
        "deleted or changed)",
    )
    d.add_argument("--json", action="store_true", help="print JSON")


def _describe(m) -> str:
    size = f"{m.width}x{m.height}" if m.width and m.height else "?x?"
    taken = f"  {m.taken_at}" if m.taken_at else ""
    weight = f"{m.size / 1e6:.1f} MB" if m.size >= 1e6 else f"{m.size / 1e3:.0f} KB"
    return f"{size:>11}  {weight:>8}  {m.score:.3f}{taken}"


def cmd_duplicates(library, args) -> int:
    from clipdesk.ops import duplicates as dup_ops

    groups = dup_ops.duplicate_groups(
        library,
        args.threshold,
        None if args.no_layout else args.layout,
        args.within,
    )
    flagged = 0
    if args.reject_copies:
        for g in groups:
            flagged += dup_ops.keep_one(
                library, g.keeper.photo_id, [m.photo_id for m in g.members[1:]]
            )
    rejected = dup_ops.reject_flagged(library, [m.photo_id for g in groups for m in g.members])
    if args.json:
        out = []
        for g in groups:
            item = g.to_json()
            item["keeper"] = shown(item["keeper"])
            for p, m in zip(item["photos"], g.members, strict=True):
                p["path"] = shown(p["path"])
                p["rejected"] = m.photo_id in rejected
            out.append(item)
        print(json.dumps(out, indent=2))
        return EXIT_OK
    if not groups:
        print("no near-duplicates found")
        return EXIT_OK
    photos = sum(len(g.members) for g in groups)
    print(f"{len(groups)} groups, {photos} photos ({photos - len(groups)} besides the keepers)")
    for n, g in enumerate(groups, 1):
        print(f"\ngroup {n}:")
        for i, m in enumerate(g.members):
            mark = "*" if i == 0 else "x" if m.photo_id in rejected else " "
            print(f"{mark} {_describe(m)}  {shown(m.path)}")
    if args.reject_copies:
        print(f"\n{flagged} photos newly flagged as rejected (x); their files are untouched")
    return EXIT_OK


COMMANDS = {"duplicates": cmd_duplicates}
