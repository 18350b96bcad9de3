"""``clipdesk text``: the words read in a photo (issue 30), and the setting that turns reading
them on or off. Searching by them is ``clipdesk search 'text:WORDS'``. Everything goes
through :mod:`clipdesk.ops.text`."""

from __future__ import annotations

import json

from clipdesk.pathnames import shown

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    t = sub.add_parser(
        "text",
        parents=[common],
        help="the words read in a photo; --on / --off turns reading them on or off",
        description="Show the words read in a photo (signs, menus, documents, screenshots: "
        "only photos that look like they hold text are read, on this machine), or turn "
        "reading them on or off. Find photos by their words with clipdesk search "
        "'text:WORDS'. Nothing is written to sidecars.",
    )
    t.add_argument("photo", metavar="PHOTO", nargs="?")
    t.add_argument("--json", action="store_true", help="print JSON")
    switch = t.add_mutually_exclusive_group()
    switch.add_argument("--on", action="store_true", help="read words in photos (the default)")
    switch.add_argument("--off", action="store_true", help="read no words (what was read stays)")


def run_text(library, args) -> int:
    from clipdesk.catalog.photo_text import TextRead
    from clipdesk.ops import text as text_ops

    if args.on or args.off:
        text_ops.switch(library, bool(args.on))
        print("reading words in photos: " + ("on" if args.on else "off"))
        if args.photo is None:
            return EXIT_OK
    if args.photo is None:
        why = text_ops.availability(library)
        print(why or "reading words in photos: on (`clipdesk text PHOTO` shows a photo's)")
        return EXIT_OK
    found = text_ops.words(library, args.photo)
    if args.json:
        out = {"photo": shown(args.photo), "state": found.state.name.lower(), "text": found.text}
        print(json.dumps(out, ensure_ascii=False))
        return EXIT_OK
    if found.text:
        print(found.text)
    else:
        print(f"{shown(args.photo)}: {found.summary}")
        if found.state is TextRead.NOT_YET and (why := text_ops.availability(library)):
            print(why)
    return EXIT_OK


COMMANDS = {"text": run_text}
