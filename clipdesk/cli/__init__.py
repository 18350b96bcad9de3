"""``clipdesk``: the desktop application, and the headless commands.

    clipdesk                         open the window
    clipdesk add FOLDER...           add folders and index them
    clipdesk index                   bring every known folder up to date
    clipdesk search "TEXT"           photos matching a description
    clipdesk similar PHOTO           photos like an example photo
    clipdesk duplicates              groups of near-duplicate photos and bursts
    clipdesk status                  model, backend, counts, failed files, watched folders
    clipdesk vocab / tags / tag / undo / review / retrain    tagging (see --help)
    clipdesk export / import-keywords                        XMP sidecars
    clipdesk conflicts               marks changed both here and in a sidecar; decide them
    clipdesk watch [FOLDER...]       watch the folders and index what changes, until Ctrl-C
    clipdesk repair                  back up a damaged catalog and recover what can be read
    clipdesk forget --missing [PATH...]   forget photos whose files are gone, with their tags
    clipdesk faces PHOTO / people    the faces on a photo; people and clusters (see --help)
    clipdesk text PHOTO              the words read in a photo (search them with text:WORDS)
    clipdesk rate PHOTO... / list / albums   stars, labels, flags; list by them; smart albums
    clipdesk cluster-embed FOLDER... --output DIR    embed an archive on a Ray cluster
    clipdesk import-embeddings DIR   bring a cluster run's vectors into this library

Every command takes ``--home DIR`` (or ``$CLIPDESK_HOME``) and ``--model``. Each command
group lives in its own module here and calls :mod:`clipdesk.ops` for what it does; this
module builds the parser and is the one error boundary: an expected failure is one line
on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sqlite3
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from clipdesk import __version__
from clipdesk.catalog import CatalogDamaged, CatalogTooNew
from clipdesk.catalog.opening import disk_full
from clipdesk.cli import (
    cluster,
    conflicts,
    duplicates,
    indexing,
    marks,
    people,
    search,
    sidecars,
    tagging,
    text,
    watch,
)
from clipdesk.embedding.backends import BACKENDS
from clipdesk.errors import Fatal
from clipdesk.home import app_paths
from clipdesk.pathnames import shown

EXIT_OK, EXIT_FATAL, EXIT_USAGE = 0, 1, 2
GROUPS = (
    indexing,
    search,
    duplicates,
    tagging,
    marks,
    people,
    text,
    sidecars,
    conflicts,
    watch,
    cluster,
)
COMMANDS = {name: fn for group in GROUPS for name, fn in group.COMMANDS.items()}
# Commands that work from the catalog alone: they never load a model (a tag vector the
# catalog lacks waits in the learning queue for `index`, `retrain` or the worker).
MODEL_FREE = {
    "duplicates",
    "status",
    "tags",
    "tag",
    "undo",
    "vocab",
    "review",
    "export",
    "import-keywords",
    "forget",
    "faces",
    "people",
    "text",
    "rate",
    "albums",
    "conflicts",
}
# Read-only commands that load a model: once they have answered, the process may end
# without tearing the interpreter down (``entry``).
QUICK_EXIT = {"search", "similar"}
_answered: list[str] = []  # the command main() finished, its library closed


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
        "--no-faces",
        action="store_true",
        help="look for no faces in this run (the `faces` setting stays as it is)",
        **(d or {"default": False}),
    )
    common.add_argument(
        "--no-places",
        action="store_true",
        help="name no places from GPS in this run (the `places` setting stays as it is)",
        **(d or {"default": False}),
    )
    common.add_argument(
        "--no-text",
        action="store_true",
        help="read no words in photos in this run (the `text` setting stays as it is)",
        **(d or {"default": False}),
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
    for group in GROUPS:
        group.add_parsers(sub, common)
    _describe_commands(p)
    return p


def _describe_commands(parser: argparse.ArgumentParser) -> None:
    """Every command's own ``--help`` says what it does: a command with no description of
    its own gets its one-line help from the command list, as a sentence."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help for a in action._choices_actions}
        for name, command in action.choices.items():
            text = helps.get(name)
            if command.description is None and text:
                command.description = text[0].upper() + text[1:] + "."
            _describe_commands(command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    if not args.command:  # no command: the desktop application
        from clipdesk.gui.app import run

        return run(args)
    from clipdesk.catalog import busy
    from clipdesk.pipeline.library import FolderNotFound, Library, ModelUnavailable

    # A write that meets another process's lock waits, and says so once (not a crash).
    busy.set_default_notice(lambda text: print(f"clipdesk: {text}", file=sys.stderr, flush=True))

    downloader = None
    try:
        library = Library(args.home, args.model, args.backend, args.int8)
        library.allow_model = args.command not in MODEL_FREE
        library.no_faces = args.no_faces
        library.no_places = args.no_places
        library.no_text = args.no_text
        if library.allow_model:  # weights to download show a bar on stderr
            from clipdesk.cli.progress import DownloadPrinter
            from clipdesk.embedding.hooks import DownloadHooks

            downloader = DownloadPrinter(sys.stderr)
            library.download = DownloadHooks(downloader)
        try:
            rc = COMMANDS[args.command](library, args)
        finally:
            library.close()
            if downloader is not None:
                downloader.close()
        _answered.append(args.command)
        return rc
    except ModelUnavailable as exc:
        from clipdesk.embedding.download import DownloadCancelled

        if isinstance(exc, DownloadCancelled):  # Ctrl-C: the partial file waits for next time
            print(f"clipdesk: {shown(str(exc))}", file=sys.stderr)
            return 130
        print(f"clipdesk: error: {shown(str(exc))}", file=sys.stderr)
        return EXIT_FATAL
    except (Fatal, FolderNotFound) as exc:
        print(f"clipdesk: error: {shown(str(exc))}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("clipdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `clipdesk tags x.jpg | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (sqlite3.Error, OSError, CatalogDamaged, CatalogTooNew) as exc:
        message = explain(exc, app_paths(args.home).catalog)
        if message is None:
            raise  # not an expected failure: a bug, and its traceback is wanted
        if args.verbose:
            traceback.print_exc()
        print(f"clipdesk: error: {shown(message)}", file=sys.stderr)
        return EXIT_FATAL


def entry() -> None:
    """The ``clipdesk`` command (and ``python -m clipdesk``): ``main``, then exit. A search
    that has answered (read-only; its catalog closed, its output flushed) ends the process
    at once: freeing ONNX Runtime's session and every module at interpreter shutdown takes
    another 40-50 ms of a ~400 ms cold search (benchmarks/startup.py)."""
    rc = main()
    if _answered and _answered[-1] in QUICK_EXIT:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # `clipdesk search x | head -1`: the reader left, that is fine
            pass
        logging.shutdown()
        os._exit(rc)
    sys.exit(rc)


def explain(exc: BaseException, catalog: Path) -> str | None:
    """One line saying what went wrong and what to do, for every failure a user can meet
    (the catalog damaged, read-only, too new or locked; permissions; a full disk); None for
    anything else."""
    if isinstance(exc, (CatalogDamaged, CatalogTooNew)):
        return str(exc)
    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError):
        if "readonly" in text or "read-only" in text:
            return (
                f"the catalog {catalog} (or its folder) is read-only: this command has to "
                "write to it; make it writable (search, similar, status, tags, review and "
                "export --dry-run only read)"
            )
        if "disk is full" in text or "database or disk is full" in text:
            return "the disk holding the catalog is full: free some space and run it again"
        if "locked" in text or "busy" in text:
            return "another ClipDesk process is writing the catalog: try again when it is done"
        if "unable to open" in text:
            return (
                f"cannot open the catalog {catalog}: check that its folder exists and that "
                "you may read and write it"
            )
        if "disk i/o error" in text:
            if disk_full(catalog.parent):  # SQLite's word when it cannot make its -shm
                return "the disk holding the catalog is full: free some space and run it again"
            return f"the disk failed while reading or writing the catalog {catalog}: check it"
        return None
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return str(CatalogDamaged(catalog, str(exc)))
        return None
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return f"the disk is full{where}: free some space and run it again"
        if exc.errno == errno.EROFS:
            return f"the file system is read-only{where}"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return f"permission denied{where}: check who owns it and its permissions"
        if exc.errno == errno.EIO:
            return f"the disk failed (I/O error){where}: check it"
        return None
    return None


if __name__ == "__main__":
    sys.exit(main())
