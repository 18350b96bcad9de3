"""The search commands: search (by text) and similar (by an example photo)."""

from __future__ import annotations

import json

from clipdesk.cli import args as args_
from clipdesk.ops import search as search_ops
from clipdesk.pathnames import shown

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    s = sub.add_parser("search", parents=[common], help="find photos by a text description")
    s.add_argument("text", type=args_.text)
    m = sub.add_parser("similar", parents=[common], help="find photos like an example photo")
    m.add_argument("photo")
    for cmd in (s, m):
        cmd.add_argument("--limit", type=args_.positive_int, default=20, help="at least 1")
        cmd.add_argument("--json", action="store_true", help="print JSON")
        cmd.add_argument(
            "--tag",
            action="append",
            type=args_.text,
            default=[],
            metavar="TAG",
            help="only photos with this tag or one below it (repeatable)",
        )
        cmd.add_argument(
            "--no-tag",
            action="append",
            type=args_.text,
            default=[],
            metavar="TAG",
            help="only photos without this tag or any below it (repeatable)",
        )


def _print_hits(hits, as_json: bool) -> None:
    if as_json:
        print(json.dumps([{**h.to_json(), "path": shown(h.path)} for h in hits], indent=2))
        return
    for h in hits:
        print(f"{h.score:7.4f}  {shown(h.path)}")


def cmd_search(library, args) -> int:
    hits = search_ops.find_text(library, args.text, args.limit, args.tag, args.no_tag)
    _print_hits(hits, args.json)
    return EXIT_OK


def cmd_similar(library, args) -> int:
    hits = search_ops.find_similar(library, args.photo, args.limit, args.tag, args.no_tag)
    _print_hits(hits, args.json)
    return EXIT_OK


COMMANDS = {"search": cmd_search, "similar": cmd_similar}
