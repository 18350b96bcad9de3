"""``clipdesk duplicates``: groups of near-duplicate photos and bursts, each photo told
apart from its keeper: an exact copy, the same picture in another file, or a similar shot."""

from __future__ import annotations

import json

from clipdesk.cli.args import number
from clipdesk.pathnames import shown
from clipdesk.search.duplicates import LAYOUT_THRESHOLD, THRESHOLD, Kind
from clipdesk.wording import plural

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    d = sub.add_parser(
        "duplicates",
        parents=[common],
        help="groups of near-duplicate photos (copies, edits, bursts)",
        description="Photos whose embeddings are at least THRESHOLD alike and whose "
        "thumbnails have the same layout form a group; the first photo of each group "
        "(most pixels, then largest file, then sharpest) is the suggested keeper, marked *. "
        "Every other photo is, to its keeper, an exact copy (the same bytes), the same "
        "picture (another file of it: recompressed, resized, another format) or a similar "
        "shot (a burst frame, the subject moved, an edit or a crop); a group is labelled with "
        "the loosest of its photos' kinds.",
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
        "--kind",
        dest="kinds",
        action="append",
        choices=[k.value for k in Kind],
        help="only the photos of this kind besides each keeper (repeat for several); a group "
        "with none is left out, and --reject-copies and --reject-similar flag only these",
    )
    d.add_argument(
        "--reject-copies",
        action="store_true",
        help="flag each group's exact copies and copies of the same picture as rejected, "
        "never its keeper or a similar shot (a flag in the catalog, which `clipdesk export` "
        "writes to the sidecar as xmp:Rating -1; no file is deleted or changed; `clipdesk "
        "undo` takes it back)",
    )
    d.add_argument(
        "--reject-similar",
        action="store_true",
        help="flag the similar shots as rejected too (alone: only them)",
    )
    d.add_argument(
        "--json",
        action="store_true",
        help="print JSON (a `kind` per group, and per photo: null for the keeper)",
    )


# The columns of a photo's line, under the header: the mark (* the keeper, x rejected),
# pixels, file size, likeness to the keeper (blank for the keeper), kind, when taken, path.
HEADER = f"  {'pixels':>11}  {'size':>8}  {'alike':>5}  {'kind':<12}  {'taken':<19}  path"


def _describe(m) -> str:
    size = f"{m.width}x{m.height}" if m.width and m.height else "?x?"
    weight = f"{m.size / 1e6:.1f} MB" if m.size >= 1e6 else f"{m.size / 1e3:.0f} KB"
    keeper = m.kind is None
    alike = "" if keeper else f"{m.score:.3f}"
    kind = "keeper" if keeper else m.kind.label
    return f"{size:>11}  {weight:>8}  {alike:>5}  {kind:<12}  {m.taken_at or '':<19}"


def _rejecting(args) -> set[Kind]:
    kinds = {Kind.EXACT, Kind.SAME} if args.reject_copies else set()
    return kinds | {Kind.SIMILAR} if args.reject_similar else kinds


def cmd_duplicates(library, args) -> int:
    from clipdesk.ops import duplicates as dup_ops
    from clipdesk.search.duplicates import count_kinds, restrict

    found = dup_ops.duplicate_groups(
        library,
        args.threshold,
        None if args.no_layout else args.layout,
        args.within,
    )
    groups = restrict(found, {Kind(k) for k in args.kinds or ()})
    rejecting = _rejecting(args)
    done = dup_ops.reject_copies(library, groups, rejecting) if rejecting else None
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
        print(
            f"no near-duplicates of those kinds among {plural(len(found), 'group')} "
            "(leave out --kind to see them)"
            if found
            else "no near-duplicates found"
        )
        return EXIT_OK
    photos = sum(len(g.members) for g in groups)
    keepers = "the keeper" if len(groups) == 1 else "the keepers"
    others = count_kinds(m for g in groups for m in g.members)
    print(
        f"{plural(len(groups), 'group')}, {plural(photos, 'photo')} (besides {keepers}: {others})"
    )
    print(f"\n{HEADER}")
    for n, g in enumerate(groups, 1):
        mixed = len({m.kind for m in g.members[1:]}) > 1  # then say how many of each
        print(f"\ngroup {n}: {g.kind.group_label}" + (f" ({count_kinds(g.members)})" * mixed))
        for i, m in enumerate(g.members):
            mark = "*" if i == 0 else "x" if m.photo_id in rejected else " "
            print(f"{mark} {_describe(m)}  {shown(m.path)}")
    if done is not None:
        flagged = plural(done.flagged, "photo")
        print(f"\n{flagged} newly flagged as rejected (x); their files are untouched")
        if done.spared:
            hint = "--reject-similar" if Kind.SIMILAR not in rejecting else "--reject-copies"
            print(f"left as they are: {count_kinds(done.spared)} ({hint} flags them too)")
    return EXIT_OK


COMMANDS = {"duplicates": cmd_duplicates}
