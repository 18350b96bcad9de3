"""``clipdesk``: the desktop application, and the headless commands.

    clipdesk                         open the window
    clipdesk add PATH...             add folders and index them
    clipdesk index                   bring every known folder up to date
    clipdesk search "TEXT"           photos matching a description
    clipdesk similar PHOTO           photos like an example photo
    clipdesk status                  model, backend, counts, failed files, watched folders
    clipdesk vocab / tags / tag / undo / review / retrain    tagging (see --help)
    clipdesk export / import-keywords                        XMP sidecars
    clipdesk watch [PATH...]         watch the folders and index what changes, until Ctrl-C

Every command takes ``--home DIR`` (or ``$CLIPDESK_HOME``) and ``--model``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from clipdesk import __version__
from clipdesk.embedding.backends import BACKENDS
from clipdesk.errors import Fatal

EXIT_OK, EXIT_FATAL, EXIT_USAGE = 0, 1, 2


def _common(suppress: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after its name.

    After the command they default to SUPPRESS, so that ``clipdesk --home X status``
    keeps X instead of the subcommand's default overwriting it.
    """
    d = {"default": argparse.SUPPRESS} if suppress else {}
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home", metavar="DIR", help="keep catalog, caches and settings in DIR", **d
    )
    common.add_argument(
        "--model",
        help="'test', an open_clip NAME:PRETRAINED (e.g. ViT-B-32-256:datacomp_s34b_b86k), "
        "NAME:/path/to/weights, or a model folder",
        **d,
    )
    common.add_argument("--backend", choices=BACKENDS, help="force a backend (default: auto)", **d)
    common.add_argument(
        "--int8", action="store_true", help="int8 ONNX on the CPU", **(d or {"default": None})
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", help="log what happens", **(d or {"default": False})
    )
    return common


def _parser() -> argparse.ArgumentParser:
    top = _common(suppress=False)
    common = _common(suppress=True)
    p = argparse.ArgumentParser(
        prog="clipdesk",
        description="Tag, search and organise photos with CLIP, on your own machine.",
        parents=[top],
    )
    p.add_argument("--version", action="version", version=f"clipdesk {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("add", parents=[common], help="add photo folders and index them")
    a.add_argument("paths", nargs="+", metavar="PATH")
    sub.add_parser("index", parents=[common], help="bring every known folder up to date")
    s = sub.add_parser("search", parents=[common], help="find photos by a text description")
    s.add_argument("text")
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--json", action="store_true", help="print JSON")
    m = sub.add_parser("similar", parents=[common], help="find photos like an example photo")
    m.add_argument("photo")
    m.add_argument("--limit", type=int, default=20)
    m.add_argument("--json", action="store_true", help="print JSON")
    st = sub.add_parser("status", parents=[common], help="model, backend, counts, failed files")
    st.add_argument("--json", action="store_true", help="print JSON")
    for cmd in (s, m):
        cmd.add_argument(
            "--tag",
            action="append",
            default=[],
            metavar="TAG",
            help="only photos with this tag (repeatable)",
        )
        cmd.add_argument(
            "--no-tag",
            action="append",
            default=[],
            metavar="TAG",
            help="only photos without this tag (repeatable)",
        )
    from clipdesk import cli_sidecars, cli_tagging, cli_watch

    cli_tagging.add_parsers(sub, common)
    cli_sidecars.add_parsers(sub, common)
    cli_watch.add_parsers(sub, common)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    if not args.command:  # no command: the desktop application
        from clipdesk.gui.app import run

        return run(args)
    from clipdesk.library import FolderNotFound, Library, ModelUnavailable

    try:
        library = Library(args.home, args.model, args.backend, args.int8)
        try:
            return COMMANDS[args.command](library, args)
        finally:
            library.close()
    except (Fatal, ModelUnavailable, FolderNotFound) as exc:
        print(f"clipdesk: error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("clipdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `clipdesk tags x.jpg | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _index(library, args, folder_ids=None) -> int:
    from clipdesk.cli_progress import ProgressPrinter

    if args.model or args.backend or args.int8 is not None:
        library.remember_model()
    cancel = threading.Event()
    old = signal.signal(signal.SIGINT, lambda *_: cancel.set())  # finish the batch, then stop
    try:
        embedder = library.embedder
        with ProgressPrinter(sys.stderr, f"{embedder.name} on {embedder.backend}") as printer:
            result = library.index(folder_ids, printer, cancel)
    finally:
        signal.signal(signal.SIGINT, old)
    s = result.scan
    print(
        f"{s.seen} photos seen ({s.added} new, {s.changed} changed, {s.moved} moved, "
        f"{s.missing} missing), {result.embedded} embedded, {len(result.failed)} skipped"
    )
    for folder in s.missing_folders:
        print(f"  folder not found (unmounted?), its photos are kept as missing: {folder}")
    for path, reason in result.failed:
        print(f"  skipped {path}: {reason}")
    if result.cancelled:
        print("stopped early; run `clipdesk index` to continue where it stopped")
        return 130
    return EXIT_OK


def cmd_add(library, args) -> int:
    ids = library.add_folders(args.paths)
    return _index(library, args, ids)


def cmd_index(library, args) -> int:
    if not library.catalog.folders():
        raise Fatal("no folders yet: add one with `clipdesk add PATH`")
    return _index(library, args)


def _print_hits(hits, as_json: bool) -> None:
    if as_json:
        print(json.dumps([h.to_json() for h in hits], indent=2))
        return
    for h in hits:
        print(f"{h.score:7.4f}  {h.path}")


def _require_embeddings(library) -> None:
    embedder = library.embedder
    model_id = library.catalog.model_id(embedder.name, embedder.dim)
    if not library.catalog.conn.execute(
        "SELECT 1 FROM embeddings WHERE model_id = ? LIMIT 1", (model_id,)
    ).fetchone():
        raise Fatal(
            f"no photos are indexed with {embedder.name} yet: run `clipdesk add PATH` "
            "or `clipdesk index` first"
        )


def _filter(library, args):
    from clipdesk.cli_tagging import _tag
    from clipdesk.search import tag_filter

    return tag_filter(
        library.catalog,
        [_tag(library, t).id for t in args.tag],
        [_tag(library, t).id for t in args.no_tag],
    )


def cmd_search(library, args) -> int:
    from clipdesk.search import search_text

    _require_embeddings(library)
    only = _filter(library, args)
    hits = search_text(library.catalog, library.embedder, args.text, args.limit, only=only)
    _print_hits(hits, args.json)
    return EXIT_OK


def cmd_similar(library, args) -> int:
    from clipdesk.imaging import ImageError
    from clipdesk.search import NotFound, search_similar

    _require_embeddings(library)
    try:
        hits = search_similar(
            library.catalog, library.embedder, args.photo, args.limit, only=_filter(library, args)
        )
    except (NotFound, ImageError) as exc:
        raise Fatal(f"{args.photo}: {exc}") from None
    _print_hits(hits, args.json)
    return EXIT_OK


def cmd_status(library, args) -> int:
    from clipdesk.worker_state import read_state

    cat = library.catalog
    watch = read_state(library.paths.data_dir)  # None: no worker is alive
    folders = []
    for folder_id, path in cat.folders():
        n = cat.conn.execute("SELECT COUNT(*) FROM photos WHERE folder_id = ?", (folder_id,))

        mode = (watch or {}).get("folders", {}).get(path, {})
        folders.append(
            {
                "path": path,
                "photos": n.fetchone()[0],
                "present": os.path.isdir(path),
                "watched_by": mode.get("mode"),
                "watch_reason": mode.get("reason"),
            }
        )
    info = {
        "model": library.model_name,
        "backend": library.planned_backend(),
        "home": str(library.paths.data_dir.parent),
        "catalog": str(library.paths.catalog),
        "folders": folders,
        "counts": cat.status_counts(),
        "failed": [{"path": p, "reason": r} for p, r in cat.failures()],
        "watcher": {"running": watch is not None, "pid": (watch or {}).get("pid")},
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    print(f"model:    {info['model']}")
    print(f"backend:  {info['backend']}")
    print(f"catalog:  {info['catalog']}")
    print(
        "watcher:  "
        + (
            f"running (pid {watch.get('pid')})"
            if watch
            else "not running (start it with `clipdesk watch`)"
        )
    )
    for f in folders:
        state = "" if f["present"] else "  (not found: unmounted?)"
        if f["watched_by"]:
            why = f" ({f['watch_reason']})" if f["watch_reason"] else ""
            state += f"  watched by {f['watched_by']}{why}"
        print(f"folder:   {f['path']}  {f['photos']} photos{state}")
    print("photos:   " + ", ".join(f"{v} {k}" for k, v in info["counts"].items()))
    for f in info["failed"]:
        print(f"failed:   {f['path']}: {f['reason']}")
    return EXIT_OK


COMMANDS = {
    "add": cmd_add,
    "index": cmd_index,
    "search": cmd_search,
    "similar": cmd_similar,
    "status": cmd_status,
}


def _more_commands() -> None:
    from clipdesk.cli_sidecars import COMMANDS as SIDECARS
    from clipdesk.cli_tagging import COMMANDS as TAGGING
    from clipdesk.cli_watch import COMMANDS as WATCH

    COMMANDS.update(TAGGING)
    COMMANDS.update(SIDECARS)
    COMMANDS.update(WATCH)


_more_commands()

if __name__ == "__main__":
    sys.exit(main())
