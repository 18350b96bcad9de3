"""``clipdesk rate``, ``clipdesk list`` and ``clipdesk albums``: stars, colour labels and
pick/reject flags, photos listed by them and by tags without a text query, and smart albums
(issue 28). Everything goes through :mod:`clipdesk.ops.marks` and :mod:`clipdesk.ops.albums`."""

from __future__ import annotations

import argparse
import json

from clipdesk.catalog.browse import ORDERS
from clipdesk.catalog.marks import KEEP, LABELS
from clipdesk.cli import args as args_
from clipdesk.pathnames import shown
from clipdesk.wording import plural

EXIT_OK = 0


def _stars(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if not 0 <= n <= 5:
        raise argparse.ArgumentTypeError(f"stars go from 0 to 5, not {text!r}")
    return n


def _filters(p: argparse.ArgumentParser, album: bool) -> None:
    """The filters `list` and `albums add` share."""
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        type=args_.text,
        help="photos with this tag (or one below it); repeat for several",
    )
    p.add_argument(
        "--no-tag",
        action="append",
        default=[],
        metavar="TAG",
        type=args_.text,
        help="photos without this tag; repeat for several",
    )
    p.add_argument("--min-stars", type=_stars, default=0, metavar="N", help="at least N stars")
    p.add_argument("--label", choices=(*LABELS, "none"), help="this colour label (none: no label)")
    p.add_argument("--flag", choices=("pick", "reject", "none"), help="this flag (none: neither)")
    p.add_argument("--from", dest="taken_from", metavar="YYYY-MM-DD", help="taken on or after")
    p.add_argument("--to", dest="taken_to", metavar="YYYY-MM-DD", help="taken on or before")
    if album:
        p.add_argument(
            "--text",
            default=None,
            type=args_.text,
            metavar="QUERY",
            help="a search, as `clipdesk search` takes it (ranked by the model)",
        )


def add_parsers(sub, common) -> None:
    r = sub.add_parser(
        "rate",
        parents=[common],
        help="give photos stars, a colour label, or a pick or reject flag",
        description="Set the photographer's marks on photos, as Lightroom, darktable and "
        "digiKam keep them: --stars 0-5, --label red|yellow|green|blue|purple|none, and one "
        "of --pick, --reject or --unflag. `clipdesk undo` takes it back; `clipdesk export` "
        "writes them to the sidecars (the photo files are never changed).",
    )
    r.add_argument("photos", nargs="+", metavar="PHOTO")
    r.add_argument("--stars", type=_stars, metavar="N", help="0 to 5 stars (0: none)")
    r.add_argument("--label", choices=(*LABELS, "none"), help="a colour label (none: take it off)")
    flag = r.add_mutually_exclusive_group()
    flag.add_argument(
        "--pick", dest="flag", action="store_const", const="pick", help="flag them as picks"
    )
    flag.add_argument(
        "--reject",
        dest="flag",
        action="store_const",
        const="reject",
        help="flag them as rejects (exported as rating -1)",
    )
    flag.add_argument(
        "--unflag", dest="flag", action="store_const", const="none", help="take either flag off"
    )

    ls = sub.add_parser(
        "list",
        parents=[common],
        help="list photos by tag, stars, label, flag or album, without a text query",
        description="List the photos a filter lets through, each with its path, stars, "
        "label, flag and tags. Filters combine: every --tag, none of the --no-tag.",
    )
    _filters(ls, album=False)
    ls.add_argument("--album", metavar="NAME", type=args_.text, help="the photos of an album")
    ls.add_argument("--sort", choices=tuple(ORDERS), default="name", help="the order")
    ls.add_argument("--json", action="store_true", help="print JSON")

    a = sub.add_parser(
        "albums",
        parents=[common],
        help="smart albums: saved searches that follow the photos as they change",
        description="List the smart albums (the default), add one from filters and an "
        "optional text search, or remove one. `clipdesk list --album NAME` lists its photos.",
    )
    a.add_argument("--json", action="store_true", help="print JSON")
    asub = a.add_subparsers(dest="albums_command", metavar="ACTION")
    asub.add_parser("list", parents=[common], help="the albums and what each holds")
    add = asub.add_parser("add", parents=[common], help="save a search as an album")
    add.add_argument("name", type=args_.text, metavar="NAME")
    _filters(add, album=True)
    add.add_argument("--replace", action="store_true", help="change the album of that name")
    rm = asub.add_parser("remove", parents=[common], help="remove an album (no photo changes)")
    rm.add_argument("name", type=args_.text, metavar="NAME")


def cmd_rate(library, args) -> int:
    from clipdesk.ops import marks as marks_ops

    label = KEEP if args.label is None else (None if args.label == "none" else args.label)
    flag = KEEP if args.flag is None else (None if args.flag == "none" else args.flag)
    stars = KEEP if args.stars is None else args.stars
    print(marks_ops.rate(library, args.photos, stars, label, flag).describe())
    return EXIT_OK


def _flags_text(m) -> str:
    parts = ["★" * m.stars or "-", m.label or "-", m.flag or "-"]
    return "  ".join(f"{p:<6}" for p in parts)


def cmd_list(library, args) -> int:
    from clipdesk.ops import albums as album_ops
    from clipdesk.ops import marks as marks_ops

    flt = marks_ops.read_filter(
        library,
        args.tag,
        args.no_tag,
        args.min_stars,
        args.label,
        args.flag,
        args.taken_from,
        args.taken_to,
    )
    if args.album:
        album = album_ops.find(library, args.album)
        held = album_ops.photos(library, album, args.sort)
        listed = {p.id: p for p in marks_ops.list_photos(library, flt, args.sort)}
        photos = [listed[i] for i in held.ids if i in listed]
    else:
        photos = marks_ops.list_photos(library, flt, args.sort)
    if args.json:
        print(json.dumps([p.as_json() for p in photos], ensure_ascii=False, indent=1))
        return EXIT_OK
    for p in photos:
        print(f"{_flags_text(p.marks)}  {shown(p.path)}  {', '.join(p.tags)}".rstrip())
    print(plural(len(photos), "photo"))
    return EXIT_OK


def cmd_albums(library, args) -> int:
    from clipdesk.ops import albums as album_ops

    action = args.albums_command or "list"
    if action == "add":
        album = album_ops.add(
            library,
            args.name,
            args.text or "",
            args.tag,
            args.no_tag,
            args.min_stars,
            args.label,
            args.flag,
            args.taken_from,
            args.taken_to,
            args.replace,
        )
        print(f"saved the album “{album.name}”")
        return EXIT_OK
    if action == "remove":
        album_ops.remove(library, args.name)
        print(f"removed the album “{args.name}” (its photos are as they were)")
        return EXIT_OK
    rows = []
    for album in album_ops.albums(library):
        counted = not album.filter.text
        n = len(album_ops.photos(library, album).ids) if counted else None
        rows.append({"name": album.name, "photos": n, **_described(library, album)})
    if getattr(args, "json", False):
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        print("no albums yet: `clipdesk albums add NAME --min-stars 4` saves one")
    for row in rows:
        count = "" if row["photos"] is None else f" ({plural(row['photos'], 'photo')})"
        print(f"{row['name']}{count}: {row['filter']}")
    return EXIT_OK


def _described(library, album) -> dict:
    from clipdesk.tagging.store import TagStore

    f = album.filter
    paths = TagStore(library.catalog).paths()
    parts = [f"“{f.text}”"] if f.text else []
    parts += [f"tag {paths.get(t, '(a deleted tag)')}" for t in f.tags]
    parts += [f"not {paths.get(t, '(a deleted tag)')}" for t in f.no_tags]
    if f.min_stars:
        parts.append(f"{f.min_stars}+ stars")
    parts += [f"label {f.label}"] if f.label else []
    parts += [f"flag {f.flag}"] if f.flag else []
    parts += [f"from {f.taken_from}"] if f.taken_from else []
    parts += [f"to {f.taken_to}"] if f.taken_to else []
    return {"filter": ", ".join(parts)}


COMMANDS = {"rate": cmd_rate, "list": cmd_list, "albums": cmd_albums}
