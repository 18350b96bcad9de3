"""The search commands: search (a query: text terms, example photos) and similar (an
example photo alone). The query language is ``clipdesk/search/query.py``'s; weaker matches than
the cut-off (``clipdesk/ops/relevance.py``) are counted, not listed, unless ``--all``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from clipdesk.cli import args as args_
from clipdesk.pathnames import shown

if TYPE_CHECKING:
    from clipdesk.ops import search as search_ops

EXIT_OK = 0


def _score(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not -1.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a score is between -1 and 1, not {value:g}")
    return value


def add_parsers(sub, common) -> None:
    s = sub.add_parser(
        "search",
        parents=[common],
        help="find photos by a description (docs/guide/search.md has the syntax)",
        description=(
            "Find photos by a description. Syntax: plain words are one description; "
            '"quoted phrases" are terms of their own; -term leaves out, +term requires; '
            "term:2 weighs a term. Example: clipdesk search 'beach -people' or "
            "clipdesk search --like photo.jpg 'in winter'. Photos that match less well "
            "than the relevance cut-off are counted, not listed (--all lists them)."
        ),
    )
    s.add_argument(
        "text", type=args_.text, nargs="?", metavar="TEXT", help="the query (quote it as one)"
    )
    s.add_argument(
        "--like",
        action="append",
        default=[],
        metavar="PHOTO",
        help="an example photo, in the library or any image file (repeatable); "
        "with text: photos like it with what the text says",
    )
    m = sub.add_parser("similar", parents=[common], help="find photos like an example photo")
    m.add_argument("photo", metavar="PHOTO", help="the example: in the library or any image file")
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
    cutoff = s.add_mutually_exclusive_group()
    cutoff.add_argument(
        "--all",
        action="store_true",
        help="list the weaker matches too (the best --limit, whatever their score)",
    )
    cutoff.add_argument(
        "--min-score",
        type=_score,
        metavar="S",
        help="list photos scoring at least S (the first column) instead of the cut-off",
    )


def _print_hits(hits, as_json: bool) -> None:
    if as_json:
        print(json.dumps([{**h.to_json(), "path": shown(h.path)} for h in hits], indent=2))
        return
    for h in hits:
        print(f"{h.score:7.4f}  {shown(h.path)}")


def _matches(n: int, kind: str) -> str:
    return f"{n:,} {kind} match{'es' if n > 1 else ''}"


def _say_hidden(found: search_ops.Found, limit: int) -> None:
    """The counts of matches past the limit and of weaker matches, on stderr (stdout stays
    the list a script reads)."""
    if found.unlisted:
        print(f"{_matches(found.unlisted, 'more')} past --limit {limit}", file=sys.stderr)
    if not found.hidden:
        return
    if found.hits:
        print(f"{_matches(found.hidden, 'weaker')} hidden; --all shows them", file=sys.stderr)
    else:
        what = found.query.describe()
        print(f"no photo matches {what!r} well; closest shown with --all", file=sys.stderr)


def cmd_search(library, args) -> int:
    from clipdesk.ops import search as search_ops

    query = search_ops.read_query(args.text, args.like, bool(args.tag or args.no_tag))
    found = search_ops.find(
        library, query, args.limit, args.tag, args.no_tag, args.all, args.min_score
    )
    _print_hits(found.hits, args.json)
    _say_hidden(found, args.limit)
    if query.has_words and not found.hits and not found.hidden:
        _say_no_words(library, query)
    return EXIT_OK


def _say_no_words(library, query) -> None:
    """Why a text: search found nothing, on stderr: no photo's words hold it (and, where no
    words are being read, why)."""
    from clipdesk.ops import text as text_ops

    held = " and ".join(f'"{w}"' for w in query.words) or "those words"
    print(f"no photo's words hold {held}", file=sys.stderr)
    why = text_ops.availability(library)
    if why:
        print(why, file=sys.stderr)


def cmd_similar(library, args) -> int:
    from clipdesk.ops import search as search_ops

    query = search_ops.read_query(None, [args.photo])
    found = search_ops.find(library, query, args.limit, args.tag, args.no_tag)
    _print_hits(found.hits, args.json)
    return EXIT_OK


COMMANDS = {"search": cmd_search, "similar": cmd_similar}
